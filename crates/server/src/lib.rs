//! The server: network loop, connections, dispatch, keyspace, commands.
//!
//! A request flows: bytes → [`moat_resp::parse_request`] → command lookup
//! and arity ([`moat_commands`]) → authentication → ACL check
//! ([`moat_acl`], in [`dispatch`] and nowhere else) → MULTI queueing or
//! execution by a handler in [`cmd`] → encoded reply, flushed once per
//! pipelined batch.

pub mod client;
pub mod cmd;
pub mod db;

/// Parses arguments, loads configuration, serves until shutdown; returns
/// the process exit code.
pub fn run_from_args(args: Vec<std::ffi::OsString>) -> i32 {
    let _ = args;
    todo!()
}
