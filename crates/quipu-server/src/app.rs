//! Opening storage and running the HTTP server, or the HTTPS one when it
//! terminates TLS itself, with a graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Extension};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use quipu_api::{AppState, metrics_recorder, router};
use quipu_core::market::MarketSettings;
use quipu_core::{Background, Clock, OsRandom, Random, Services, Settings, SystemClock};
use quipu_http::HttpSettings;
use quipu_store::Store;
use quipu_web::WebSettings;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower_layer::Layer;

use crate::Fallible;
use crate::config::StorageConfig;

/// The SQLite file inside a data directory.
pub const SQLITE_FILE: &str = "quipu.sqlite3";
/// SQLite read connections; reads run beside the single writer.
const SQLITE_READERS: u32 = 8;

/// Resolves the data directory: the default one is created on first start;
/// one the operator named must exist, so a typo never scatters money into a
/// fresh empty database.
pub fn prepare_data_dir(data_dir: &Path, explicit: bool) -> Fallible<PathBuf> {
    if data_dir.is_dir() {
        return Ok(data_dir.join(SQLITE_FILE));
    }
    if data_dir.exists() {
        return Err(format!("data directory {} is not a directory", data_dir.display()).into());
    }
    if explicit {
        return Err(format!(
            "data directory {} does not exist; create it first (an explicitly given path is never created)",
            data_dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    Ok(data_dir.join(SQLITE_FILE))
}

pub async fn open_store(storage: &StorageConfig) -> Fallible<Arc<dyn Store>> {
    Ok(match storage {
        StorageConfig::Sqlite { data_dir, explicit } => {
            let file = prepare_data_dir(data_dir, *explicit)?;
            Arc::new(quipu_store_sqlite::open(&file, SQLITE_READERS).await?)
        }
        StorageConfig::Postgres { url, max_connections } => {
            Arc::new(quipu_store_postgres::connect(url, *max_connections).await?)
        }
    })
}

/// What a server runs with: time and randomness (injected, so a test can move the clock), and
/// what the operator tuned.
pub struct Setup {
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub settings: Settings,
    pub market: MarketSettings,
    pub http: HttpSettings,
}

impl Setup {
    /// The real clock and the operating system's randomness.
    pub fn production(settings: Settings, http: HttpSettings) -> Self {
        Self {
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            settings,
            market: MarketSettings::default(),
            http,
        }
    }

    /// The services on `store`, their events carrying the API's documents; `Background` stops them.
    pub async fn start_services(&self, store: Arc<dyn Store>) -> Fallible<(Arc<Services>, Background)> {
        let documents = Arc::new(quipu_api::JsonDocuments);
        let (clock, random, settings) = (self.clock.clone(), self.random.clone(), self.settings.clone());
        let started = Services::start(store, clock, random, settings, self.market, documents).await?;
        Ok(started)
    }
}

/// Most TLS connections served at once. Each holds a task, rustls state and buffers (tens of KiB), so
/// a few thousand stay within tens of MiB, while a shop network's phones and tills open far fewer;
/// past it, new connections wait in the kernel's accept queue instead of growing memory without bound.
const MAX_TLS_CONNECTIONS: usize = 4096;
/// How long a client has to complete its TLS handshake: a stalled one holds only its own task.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stop waits for open TLS connections to finish: every request ends within
/// `REQUEST_TIMEOUT`, and a little more lets its answer be written. Then the rest are cut.
const TLS_DRAIN_TIMEOUT: Duration = Duration::from_secs(quipu_http::REQUEST_TIMEOUT.as_secs() + 5);

/// How often an idle h2 connection is pinged: a phone that left the shop's Wi-Fi without closing its
/// connection goes unanswered (hyper waits 20 s) and its slot is freed.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(60);

/// Where a server listens: a bound TCP socket, and the TLS configuration when it terminates HTTPS itself
/// (see [`crate::tls::load`]). A bare `TcpListener` converts into a plain-HTTP one.
pub struct Listener {
    tcp: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Listener {
    pub fn new(tcp: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self { tcp, tls }
    }

    /// Whether connections are HTTPS.
    pub fn https(&self) -> bool {
        self.tls.is_some()
    }
}

impl From<TcpListener> for Listener {
    fn from(tcp: TcpListener) -> Self {
        Self::new(tcp, None)
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// Whether this server terminates TLS itself (secure cookies, `https://` links). Behind a reverse
    /// proxy that does it, this is `false` even though clients speak HTTPS.
    pub https: bool,
    pub services: Arc<Services>,
    stop: oneshot::Sender<()>,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    task: JoinHandle<std::io::Result<()>>,
    background: Background,
}

impl Server {
    /// Starts the services and serves HTTP (or HTTPS) on `listener`.
    pub async fn start(store: Arc<dyn Store>, setup: Setup, listener: impl Into<Listener>) -> Fallible<Self> {
        let (services, background) = setup.start_services(store).await?;
        Self::serve(services, background, setup.http, WebSettings::default(), listener)
    }

    /// Serves HTTP on `listener` for services already started (and perhaps
    /// seeded: until now, connections wait in the listener's queue, so not even
    /// `/readyz` answers before the data a caller expects exists).
    pub fn serve(
        services: Arc<Services>,
        background: Background,
        http: HttpSettings,
        web: WebSettings,
        listener: impl Into<Listener>,
    ) -> Fallible<Self> {
        let Listener { tcp: listener, tls } = listener.into();
        let addr = listener.local_addr()?;
        let https = tls.is_some();
        let state = AppState::new(services.clone(), http, metrics_recorder());
        let closing = state.closing.clone();
        // The JSON API and the web pages (built on the API), merged into one router; the API's fallback
        // answers any other path with a problem document.
        let web = WebSettings { api_document: quipu_api::openapi::document(), https: web.https || https, ..web };
        let pages = quipu_web::router(state.http.clone(), web);
        let app = router(state).merge(pages);
        let app = if https { quipu_http::strict_transport(app) } else { app };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = match tls {
            Some(tls) => tokio::spawn(serve_tls(listener, TlsAcceptor::from(tls), app, stopped)),
            None => tokio::spawn(async move {
                // Peer addresses feed the per-address limit on login and registration.
                axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
            }),
        };
        let scheme = if https { "https" } else { "http" };
        tracing::info!(%addr, scheme, backend = services.kernel.store.backend_name(), "quipu is listening");
        Ok(Self { addr, https, services, stop, closing, task, background })
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests (each
    /// waits for its batch to be durable), then drain the ledger writer.
    pub async fn stop(self) -> Fallible<()> {
        // Live event streams never finish by themselves: end them first.
        self.closing.send_replace(true);
        let _ = self.stop.send(());
        let served = self.task.await;
        self.background.shutdown().await;
        served??;
        tracing::info!("quipu stopped; every acknowledged transfer is committed");
        Ok(())
    }
}

/// Serves HTTPS until `stopped`: one task per connection (its handshake bounded by
/// `TLS_HANDSHAKE_TIMEOUT`, so a slow or silent client never holds up the accept loop), at most
/// `MAX_TLS_CONNECTIONS` at once. On stop it accepts no more, lets open connections finish their
/// requests (idle ones close at once), and cuts what is left after `TLS_DRAIN_TIMEOUT`.
async fn serve_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Router,
    mut stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(MAX_TLS_CONNECTIONS));
    let (closing, closed) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = &mut stopped => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        connections.spawn(serve_tls_connection(acceptor.clone(), stream, peer, app.clone(), closed.clone(), permit));
    }
    drop(listener);
    closing.send_replace(true);
    let drained =
        tokio::time::timeout(TLS_DRAIN_TIMEOUT, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "TLS connections still open after the drain timeout: closing them");
        connections.shutdown().await;
    }
    Ok(())
}

/// An accept error is about one connection (it is gone: carry on) or about the process (out of file
/// descriptors: wait a moment, as `axum::serve` does, rather than spin).
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused)
    {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One HTTPS connection: the handshake, then HTTP/1.1 or h2 as ALPN chose, with the peer's address
/// where the handlers look for it (`ConnectInfo`, as `axum::serve` puts it).
async fn serve_tls_connection(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let handshake = tokio::select! {
        handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => handshake,
        _ = closed(&mut closing) => return,
    };
    let stream = match handshake {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let service = TowerToHyperService::new(Extension(ConnectInfo(peer)).layer(app));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The timer bounds how long HTTP/1.1 may take to send a request's headers.
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(H2_KEEP_ALIVE_INTERVAL);
    let mut connection = pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
    let served = tokio::select! {
        served = connection.as_mut() => served,
        _ = closed(&mut closing) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = served {
        tracing::debug!(%peer, %error, "HTTPS connection ended with an error");
    }
}

/// Resolves once the server is closing.
async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
