//! The `quipu` binary's library half: configuration, opening storage,
//! running the server, seeding the demo. `main.rs` is only the CLI; tests
//! drive these functions directly and the binary as a process.

pub mod app;
pub mod bench;
pub mod bench_http;
pub mod config;
pub mod demo;
pub mod qr;

/// Errors at the binary's edge are reported to a person and end the process.
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
