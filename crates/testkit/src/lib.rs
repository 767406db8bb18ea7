//! Test support for moat: real processes, real sockets, real redis-cli.
//!
//! moat's promise is that clients cannot tell it from Redis 7.2, so its
//! tests talk to it exactly as clients do, over TCP, and wherever possible
//! compare it with a real Redis instead of with a tester's memory of Redis:
//!
//! * [`ServerProcess`] starts moat-server or a reference server on a free
//!   port in its own directory and stops it on drop;
//! * [`reference`] finds the reference binaries, skipping loudly (or failing
//!   under `MOAT_REQUIRE_REFERENCE=1`) when they are absent;
//! * [`Client`] is a thin blocking RESP client that shows frames as sent;
//!   [`render()`] prints them as redis-cli does;
//! * [`golden`] runs text scripts of commands and expected replies;
//! * [`differential`] runs scripts against moat and Redis side by side,
//!   forgiving only what [`accepted_differences`] lists;
//! * [`redis_cli()`](redis_cli::redis_cli) runs the real redis-cli binary.

pub mod accepted_differences;
mod client;
pub mod differential;
mod error;
pub mod golden;
pub mod redis_cli;
pub mod reference;
mod render;
mod report;
mod script;
mod server;
mod split_args;

pub use client::{encode_command, Client, DEFAULT_TIMEOUT};
pub use error::{Result, TestkitError};
pub use redis_cli::redis_cli;
pub use render::{quote, render};
pub use report::Report;
pub use script::script_files;
pub use server::{ServerBuilder, ServerProcess};
pub use split_args::split_args;

use std::path::PathBuf;

/// The repository's `tests/` directory, home of `golden/` and `differential/`.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests")
}

/// `tests/golden`.
pub fn golden_dir() -> PathBuf {
    tests_dir().join("golden")
}

/// `tests/differential`.
pub fn differential_dir() -> PathBuf {
    tests_dir().join("differential")
}
