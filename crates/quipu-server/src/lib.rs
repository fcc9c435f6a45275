//! Running a Quipu network: configuration (defaults, a TOML file,
//! environment and flags), opening storage, the HTTP server (HTTPS when it
//! terminates TLS itself) with its graceful shutdown, and the demo network.
//! The `quipu` binary is a command line over this; the test kit and the
//! benchmark start servers with it too.

pub mod app;
pub mod config;
pub mod demo;
pub mod tls;

/// Errors at the edge are reported to a person and end the process.
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
