//! Opening storage and running the HTTP server with a graceful shutdown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quipu_api::{AppState, metrics_recorder, router};
use quipu_core::{Background, Clock, OsRandom, Random, Services, Settings, SystemClock};
use quipu_http::HttpSettings;
use quipu_store::Store;
use quipu_web::WebSettings;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
    pub http: HttpSettings,
}

impl Setup {
    /// The real clock and the operating system's randomness.
    pub fn production(settings: Settings, http: HttpSettings) -> Self {
        Self { clock: Arc::new(SystemClock), random: Arc::new(OsRandom), settings, http }
    }

    /// The services on `store`, their events carrying the API's documents; `Background` stops them.
    pub async fn start_services(&self, store: Arc<dyn Store>) -> Fallible<(Arc<Services>, Background)> {
        let documents = Arc::new(quipu_api::JsonDocuments);
        let started =
            Services::start(store, self.clock.clone(), self.random.clone(), self.settings.clone(), documents).await?;
        Ok(started)
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub services: Arc<Services>,
    stop: oneshot::Sender<()>,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    task: JoinHandle<std::io::Result<()>>,
    background: Background,
}

impl Server {
    /// Starts the services and serves HTTP on `listener`.
    pub async fn start(store: Arc<dyn Store>, setup: Setup, listener: TcpListener) -> Fallible<Self> {
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
        listener: TcpListener,
    ) -> Fallible<Self> {
        let addr = listener.local_addr()?;
        let state = AppState::new(services.clone(), http, metrics_recorder());
        let closing = state.closing.clone();
        // The JSON API and the web pages, siblings over the same services; the API's fallback answers
        // any other path with a problem document.
        let web = WebSettings { api_document: quipu_api::openapi::document(), ..web };
        let pages = quipu_web::router(state.http.clone(), web);
        let app = router(state).merge(pages);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Peer addresses feed the per-address limit on login and registration.
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, backend = services.kernel.store.backend_name(), "quipu is listening");
        Ok(Self { addr, services, stop, closing, task, background })
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
