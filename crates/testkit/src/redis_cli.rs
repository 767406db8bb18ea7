//! Running the real `redis-cli`, as the product seeds do.
//!
//! End-to-end tests replay user-facing sessions verbatim
//! (`redis-cli -u redis://user:pass@127.0.0.1:PORT SET k v`), so the
//! binary users actually run is part of what is tested, including its URL
//! parsing, its AUTH/HELLO handshake and its output formatting.

use crate::error::{Result, TestkitError};
use crate::reference;
use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// Runs `redis-cli -h 127.0.0.1 -p <port> <args...>` and returns its stdout.
/// Tests decide whether to skip with [`crate::reference::redis_cli`] first;
/// here a missing binary is an error.
///
/// A `-u URL` among `args` overrides host and port, as in redis-cli itself.
/// stdout is not a terminal, so redis-cli prints in its raw style unless
/// `--no-raw` is passed. A non-zero exit is an error carrying stderr.
pub fn redis_cli<A: AsRef<OsStr>>(port: u16, args: &[A]) -> Result<String> {
    redis_cli_output(port, args).map(|output| output.stdout)
}

/// What one redis-cli run printed. redis-cli reports some failures only on
/// stderr and still exits 0: `AUTH failed: WRONGPASS ...` for a bad `-a`
/// or `-u` password, after which it sends the command unauthenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOutput {
    pub stdout: String,
    pub stderr: String,
}

/// [`redis_cli`], keeping stderr too.
pub fn redis_cli_output<A: AsRef<OsStr>>(port: u16, args: &[A]) -> Result<CliOutput> {
    let cli = reference::find_redis_cli()
        .ok_or_else(|| TestkitError::Tool("redis-cli not found (install redis-tools)".into()))?;
    let output = Command::new(&cli)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| TestkitError::io(format!("run {}", cli.display()), e))?;
    if !output.status.success() {
        return Err(TestkitError::Tool(format!(
            "redis-cli exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(CliOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
