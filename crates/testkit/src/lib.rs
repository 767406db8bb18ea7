//! Test support for moat: real processes, real sockets, real redis-cli.
//!
//! moat's promise is that clients cannot tell it from Redis 7.2, so its
//! tests talk to it exactly as clients do, over TCP, and wherever possible
//! compare it with a real Redis instead of with a tester's memory of Redis:
//!
//! * [`ServerProcess`] starts moat-server or a reference server on a free
//!   port in its own directory and stops it on drop;
//! * [`reference`](mod@reference) finds the reference binaries, skipping loudly (or failing
//!   under `MOAT_REQUIRE_REFERENCE=1`) when they are absent;
//! * [`Client`] is a thin blocking RESP client that shows frames as sent;
//!   [`render()`] prints them as redis-cli does;
//! * [`golden`] runs text scripts of commands and expected replies;
//! * [`differential`] runs scripts against moat and Redis side by side,
//!   forgiving only what [`accepted_differences`] lists;
//! * [`redis_cli()`](redis_cli::redis_cli) runs the real redis-cli binary;
//! * [`raw_protocol`] writes raw bytes (malformed RESP included) and
//!   records the exact answer and whether the server hung up.

pub mod accepted_differences;
mod client;
pub mod differential;
mod error;
pub mod golden;
mod push_order;
pub mod raw_protocol;
pub mod redis_cli;
pub mod reference;
mod render;
mod reply_edit;
mod report;
pub mod script;
mod server;

pub use client::{encode_command, Client, DEFAULT_TIMEOUT};
pub use error::{Result, TestkitError};
pub use redis_cli::{redis_cli, redis_cli_output, CliOutput};
pub use render::render;
pub use report::Report;
pub use script::script_files;
pub use server::{ServerBuilder, ServerProcess};

use std::path::{Path, PathBuf};

/// A builder for moat-server from the path Cargo gives integration tests,
/// `option_env!("CARGO_BIN_EXE_moat-server")`.
///
/// `option_env!` rather than `env!` keeps the test files compiling when the
/// binary is not built (it has required features); the tests then fail at
/// run time with this explanation instead of breaking the whole build.
pub fn moat_server(binary: Option<&str>) -> ServerBuilder {
    match binary {
        Some(path) if Path::new(path).is_file() => ServerBuilder::new(path),
        _ => panic!(
            "the moat-server binary ({}) was not built for this test run \
             (it has required features; see crates/server/Cargo.toml)",
            binary.unwrap_or("no path")
        ),
    }
}

/// A moat-server for a test that drives it with the real `redis-cli`, or
/// `None` (the test skips, with the notice [`reference::redis_cli`] prints)
/// when redis-cli is not installed.
pub fn moat_for_redis_cli(binary: Option<&str>) -> Option<ServerProcess> {
    reference::redis_cli()?;
    Some(moat_server(binary).start().expect("moat-server starts"))
}

/// The repository's `tests/` directory, home of `golden/` and `differential/`.
pub fn tests_dir() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/testkit -> the workspace root.
    let root = manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir);
    root.join("tests")
}

/// `tests/golden`.
pub fn golden_dir() -> PathBuf {
    tests_dir().join("golden")
}

/// `tests/differential`.
pub fn differential_dir() -> PathBuf {
    tests_dir().join("differential")
}
