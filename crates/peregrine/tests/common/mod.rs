//! Helpers shared by the CLI's integration tests.

use std::process::Command;

/// Runs the built `peregrine` binary (ignoring any `PEREGRINE_STORE` of the environment):
/// whether it succeeded, its stdout and its stderr.
pub fn peregrine(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(args)
        .env_remove("PEREGRINE_STORE")
        .output()
        .expect("peregrine runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}
