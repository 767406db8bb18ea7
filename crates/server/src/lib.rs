//! The server: network loop, connections, dispatch, keyspace, commands.
//!
//! A request flows: bytes → [`moat_resp::RequestParser`] (in [`net`]) →
//! command lookup and arity ([`moat_commands`]) → authentication → ACL
//! check ([`moat_acl`], in [`session`] and nowhere else) → MULTI queueing
//! or execution by a handler ([`cmd`] for data, [`session_cmds`] for the
//! connection and the server) → encoded reply, flushed once per pipelined
//! batch.

pub mod alloc;
pub mod aof;
pub mod batch_stats;
pub mod blocked;
pub mod blocking;
pub mod check;
pub mod client;
pub mod client_line;
pub mod clients;
pub mod clock;
pub mod cmd;
pub mod command_cache;
pub mod conn_limits;
pub mod db;
pub mod dispatch;
pub mod instantaneous;
pub mod latency_histogram;
pub mod limits;
pub mod logging;
pub mod long_double;
pub mod mailbox;
pub mod monitor;
pub mod net;
pub mod oom;
pub mod open_files;
pub mod pause;
pub mod persist;
pub mod process;
pub mod protected;
pub mod pubsub;
pub mod redact;
pub mod scripting;
pub mod session;
pub mod session_cmds;
pub mod shared;
pub mod signal;
pub mod slowlog;
pub mod sparkline;
pub mod startup;
pub mod stats;
pub mod tracking;

/// Parses arguments, loads configuration, serves until shutdown; returns
/// the process exit code.
pub fn run_from_args(args: Vec<std::ffi::OsString>) -> i32 {
    startup::run(args)
}

/// A request's arguments from text, for unit tests.
#[cfg(test)]
pub(crate) fn test_args(list: &[&str]) -> Vec<bytes::Bytes> {
    list.iter()
        .map(|s| bytes::Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}
