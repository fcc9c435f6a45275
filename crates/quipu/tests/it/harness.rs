//! The test kit, and what only this package's tests know: where the built
//! `quipu` binary is.

use std::path::PathBuf;

pub use quipu_testkit::*;

/// The path of the built `quipu` binary.
pub fn quipu_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_quipu"))
}

/// Runs `quipu` with arguments, returning (exit success, stdout, stderr).
pub fn run_quipu(args: &[String], env: &[(&str, &str)]) -> (bool, String, String) {
    quipu_testkit::run(&quipu_binary(), args, env)
}
