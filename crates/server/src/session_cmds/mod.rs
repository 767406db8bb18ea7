//! Session commands: those that act on the connection or on the server
//! rather than on keys (AUTH, HELLO, CLIENT, MULTI/EXEC, CONFIG, ACL, INFO,
//! COMMAND...). They receive the whole [`Session`]; like data handlers they
//! run only after dispatch checked arity, authentication and ACLs.

mod acl;
mod aof;
mod client;
mod config;
mod connection;
mod memory;
mod monitor;
mod persistence;
mod pubsub;
mod scripting;
mod server;
mod slowlog;
mod standalone;
mod tracking;
mod transaction;

use crate::dispatch::SessionHandler;

/// The compatibility version moat reports (`INFO`, `HELLO`): the Redis
/// release whose behaviour it follows.
pub const REDIS_COMPAT_VERSION: &str = "7.2.4";

/// Every session handler by command full name.
pub fn handlers() -> Vec<(&'static str, SessionHandler)> {
    let mut all = Vec::new();
    all.extend_from_slice(connection::HANDLERS);
    all.extend_from_slice(client::HANDLERS);
    all.extend_from_slice(tracking::HANDLERS);
    all.extend_from_slice(transaction::HANDLERS);
    all.extend_from_slice(server::HANDLERS);
    all.extend_from_slice(config::HANDLERS);
    all.extend_from_slice(acl::HANDLERS);
    all.extend_from_slice(slowlog::HANDLERS);
    all.extend_from_slice(pubsub::HANDLERS);
    all.extend_from_slice(monitor::HANDLERS);
    all.extend_from_slice(scripting::HANDLERS);
    all.extend_from_slice(persistence::HANDLERS);
    all.extend_from_slice(aof::HANDLERS);
    all.extend(standalone::handlers());
    all.extend_from_slice(memory::HANDLERS);
    all
}

// The shared error builders, under the names the session handlers use.
use crate::cmd::reply::{quoting_error, subcommand_syntax_error};

/// Redis's help reply: a header line per container, then the lines, as status strings.
fn help_reply(lines: &[&str]) -> moat_resp::Frame {
    moat_resp::Frame::Array(
        lines
            .iter()
            .map(|l| moat_resp::Frame::Simple(bytes::Bytes::copy_from_slice(l.as_bytes())))
            .collect(),
    )
}
