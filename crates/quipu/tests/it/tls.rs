//! HTTPS served by Quipu itself (`--tls-cert`/`--tls-key`), for a shop network without a reverse
//! proxy: a client that trusts the certificate gets the API over http/1.1 and h2, with the peer's
//! address still known to the per-address limits; plain http, stalled handshakes and unusable files
//! are refused without disturbing anything else.

use std::sync::Arc;
use std::time::Duration;

use quipu_server::app::{Listener, Server, Setup};
use quipu_server::config::TlsFiles;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::concurrency::{config_file, free_port};
use crate::harness::{Api, Backend, Storage, quipu_binary, run_quipu, test_config};

/// A self-signed certificate for 127.0.0.1 and its key, as PEM files in a temporary directory.
struct SelfSigned {
    _dir: tempfile::TempDir,
    files: TlsFiles,
    pem: String,
    der: rustls::pki_types::CertificateDer<'static>,
}

fn self_signed() -> SelfSigned {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem") };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, signing_key.serialize_pem()).unwrap();
    SelfSigned { _dir: dir, files, pem: cert.pem(), der: cert.der().clone() }
}

/// A client that trusts only `certificate` and speaks only https.
fn trusting(certificate: &SelfSigned) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.pem.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap()
}

/// An h2 connection negotiated by ALPN, trusting `certificate`.
async fn h2_connection(
    certificate: &SelfSigned,
    addr: std::net::SocketAddr,
) -> hyper::client::conn::http2::SendRequest<axum::body::Body> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.der.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "the server offers h2");
    let io = hyper_util::rt::TokioIo::new(tls);
    let (sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
    tokio::spawn(connection);
    sender
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_the_api_over_http1_and_h2_and_refuses_plain_http() {
    let certificate = self_signed();
    let tls = quipu_server::tls::load(&certificate.files).unwrap();
    let storage = Storage::new(Backend::Sqlite).await;
    let mut config = test_config();
    // A small per-address limit on logins and registrations: it only bites if handlers see the peer.
    config.http.auth_requests_per_minute = 4;
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let setup = Setup::production(config.settings, config.http);
    let server = Server::start(storage.store.clone(), setup, Listener::new(tcp, Some(tls))).await.unwrap();
    assert!(server.https);
    let addr = server.addr;

    // Clients that connect and never finish a handshake hold up nobody else.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut garbage = tokio::net::TcpStream::connect(addr).await.unwrap();
    garbage.write_all(b"\x16\x03\x01\xff\xffnot a client hello").await.unwrap();

    let client = trusting(&certificate);
    let health = client.get(format!("https://{addr}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.version(), reqwest::Version::HTTP_11);
    // The browser is told to come back over HTTPS only, for a year.
    assert_eq!(health.headers()["strict-transport-security"], "max-age=31536000");
    let login = client.get(format!("https://{addr}/login")).send().await.unwrap();
    assert_eq!(login.headers()["strict-transport-security"], "max-age=31536000");

    let api = Api { api: format!("https://{addr}/api/v1"), client: client.clone() };
    let dana = api.customer("+15550030001").await;
    assert_eq!(api.balance(&dana).await, 0, "an authenticated call over HTTPS");
    let (status, me) = api.get("/me", &dana.token).await;
    assert_eq!(status, 200, "{me}");

    // Registration and login counted against this address: it is known over TLS too.
    let mut limited = false;
    for _ in 0..6 {
        let (status, _) =
            api.post("/auth/login", None, json!({"phone": dana.phone, "password": "customer-password"})).await;
        if status == 429 {
            limited = true;
            break;
        }
        assert_eq!(status, 200);
    }
    assert!(limited, "the per-address limit saw the client's address");

    let mut h2 = h2_connection(&certificate, addr).await;
    let request = axum::http::Request::get(format!("https://{addr}/healthz")).body(axum::body::Body::empty()).unwrap();
    let response = h2.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), axum::http::Version::HTTP_2);

    let plain = reqwest::Client::new().get(format!("http://{addr}/healthz")).send().await;
    assert!(plain.is_err(), "plain http to the TLS port is refused: {plain:?}");
    let untrusting = reqwest::Client::builder().tls_built_in_root_certs(false).build().unwrap();
    assert!(untrusting.get(format!("https://{addr}/healthz")).send().await.is_err(), "an untrusted certificate");
    let health = client.get(format!("https://{addr}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "still serving after refused connections");

    // A stop with idle keep-alive connections, an open h2 connection and stalled handshakes
    // still ends promptly: the drain bound is for requests still running.
    tokio::time::timeout(Duration::from_secs(10), server.stop()).await.expect("stops promptly").unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
    drop((silent, garbage, h2));
    storage.assert_ledger_clean().await;
    storage.dispose().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quipu_serve_takes_its_certificate_from_flags_or_environment_and_names_unusable_files() {
    let certificate = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let base =
        vec!["--config".to_owned(), config_file(dir.path()), "--data-dir".to_owned(), data.display().to_string()];
    let cert = certificate.files.cert.display().to_string();
    let key = certificate.files.key.display().to_string();

    let (ok, _, stderr) =
        run_quipu(&[base.clone(), vec!["serve".into(), "--tls-cert".into(), cert.clone()]].concat(), &[]);
    assert!(!ok && stderr.contains("--tls-key") && stderr.contains("cert.pem"), "{stderr}");
    let missing = dir.path().join("missing-key.pem").display().to_string();
    let (ok, _, stderr) = run_quipu(
        &[base.clone(), vec!["serve".into(), "--tls-cert".into(), cert.clone(), "--tls-key".into(), missing]].concat(),
        &[],
    );
    assert!(!ok && stderr.contains("cannot read TLS key file") && stderr.contains("missing-key.pem"), "{stderr}");
    let demo = dir.path().join("demo");
    let (ok, _, stderr) = run_quipu(
        &["--data-dir".into(), demo.display().to_string(), "demo".into(), "--tls-cert".into(), cert.clone()],
        &[("QUIPU_TLS_KEY", cert.as_str())],
    );
    assert!(!ok && stderr.contains("cert.pem holds no private key"), "{stderr}");
    assert!(!demo.exists(), "the demo stops before it makes its directory");

    let port = free_port();
    let mut child = std::process::Command::new(quipu_binary())
        .args(&base)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--tls-cert", &cert])
        .env("QUIPU_TLS_KEY", &key)
        .env("QUIPU_LOG", "warn")
        .spawn()
        .unwrap();
    let client = trusting(&certificate);
    let mut ready = None;
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("https://127.0.0.1:{port}/readyz")).send().await {
            ready = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/readyz")).send().await;
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let exited = child.wait().unwrap();
    assert_eq!(ready, Some(reqwest::StatusCode::OK), "quipu serve answers over HTTPS");
    assert!(plain.is_err(), "and not over plain http");
    assert!(exited.success(), "graceful exit");
}
