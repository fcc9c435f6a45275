//! HTTPS without a reverse proxy: the certificate chain and private key
//! (`--tls-cert`/`--tls-key`) read into a rustls configuration on the ring
//! provider, offering h2 and http/1.1. `app` serves connections with it.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Fallible;
use crate::config::TlsFiles;

/// What the server offers in ALPN, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the certificate chain and key; every failure names the file it is about.
/// Both files are read before either is parsed, so a missing one is reported as such.
pub fn load(files: &TlsFiles) -> Fallible<Arc<ServerConfig>> {
    let cert_pem = read(&files.cert, "certificate")?;
    let key_pem = read(&files.key, "key")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("TLS certificate file {}: not valid PEM: {e}", files.cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "TLS certificate file {} holds no certificate (a PEM \"BEGIN CERTIFICATE\" block)",
            files.cert.display()
        )
        .into());
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "TLS key file {} holds no private key (a PEM \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \
             \"BEGIN EC PRIVATE KEY\" block)",
            files.key.display()
        ),
        other => format!("TLS key file {}: not valid PEM: {other}", files.key.display()),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate {} with key {}: {e}", files.cert.display(), files.key.display()))?;
    config.alpn_protocols = ALPN.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(Arc::new(config))
}

fn read(path: &Path, what: &str) -> Fallible<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read TLS {what} file {}: {e}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Syntactically a PEM certificate: parsing the chain only decodes base64, so this reaches the key.
    const NOT_REALLY_A_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    fn error(files: &TlsFiles) -> String {
        load(files).expect_err("loading fails").to_string()
    }

    #[test]
    fn each_unusable_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let files = TlsFiles { cert: cert.clone(), key: key.clone() };

        let missing_cert = error(&files);
        assert!(missing_cert.contains("cannot read TLS certificate file") && missing_cert.contains("cert.pem"));

        std::fs::write(&cert, NOT_REALLY_A_CERTIFICATE).unwrap();
        let missing_key = error(&files);
        assert!(missing_key.contains("cannot read TLS key file") && missing_key.contains("key.pem"), "{missing_key}");

        std::fs::write(&key, NOT_REALLY_A_CERTIFICATE).unwrap();
        let no_key = error(&files);
        assert!(no_key.contains("key.pem holds no private key"), "{no_key}");

        std::fs::write(&cert, "not PEM at all\n").unwrap();
        let no_cert = error(&files);
        assert!(no_cert.contains("cert.pem holds no certificate"), "{no_cert}");
    }
}
