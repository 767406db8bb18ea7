//! The server: network loop, connections, dispatch, keyspace, commands.
//!
//! A request flows: bytes → [`moat_resp::parse_request`] (in [`net`]) →
//! command lookup and arity ([`moat_commands`]) → authentication → ACL
//! check ([`moat_acl`], in [`session`] and nowhere else) → MULTI queueing
//! or execution by a handler ([`cmd`] for data, [`session_cmds`] for the
//! connection and the server) → encoded reply, flushed once per pipelined
//! batch.

#[cfg(feature = "core")]
pub mod alloc;
pub mod client;
#[cfg(feature = "core")]
pub mod clients;
pub mod cmd;
pub mod db;
#[cfg(feature = "core")]
pub mod dispatch;
#[cfg(feature = "core")]
pub mod limits;
#[cfg(feature = "core")]
pub mod logging;
#[cfg(feature = "core")]
pub mod net;
#[cfg(feature = "core")]
pub mod pause;
#[cfg(feature = "core")]
pub mod session;
#[cfg(feature = "core")]
pub mod session_cmds;
#[cfg(feature = "core")]
pub mod shared;
#[cfg(feature = "core")]
pub mod startup;
#[cfg(feature = "core")]
pub mod stats;

#[cfg(feature = "core")]
/// Parses arguments, loads configuration, serves until shutdown; returns
/// the process exit code.
pub fn run_from_args(args: Vec<std::ffi::OsString>) -> i32 {
    startup::run(args)
}
