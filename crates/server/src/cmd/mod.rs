//! Command handlers, one module per command group.
//!
//! A handler is a plain function from arguments to a reply. It receives a
//! [`Ctx`] holding the locked keyspace, the calling client's state and the
//! server's shared state. Arity, authentication and ACLs were checked before
//! it runs, so `argv.len()` is within the command's arity.

pub mod args;
pub mod bits;
pub mod c_float;
#[cfg(test)]
mod changes_tests;
pub mod collection;
pub mod dump;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod json;
pub mod keys;
pub mod list;
pub mod list_blocking;
pub mod memory;
pub mod migrate;
pub mod pqsort;
#[cfg(test)]
mod propagation_tests;
pub mod reply;
pub mod set;
pub mod sort;
pub mod stream;
pub mod strings;
pub mod wait;
pub mod zset;

use crate::client::ClientState;
use crate::db::Keyspace;
use bytes::Bytes;
use moat_resp::Frame;

/// What a handler works with.
pub struct Ctx<'a> {
    /// The keyspace, locked for the duration of the call.
    pub ks: &'a mut Keyspace,
    pub client: &'a mut ClientState,
    /// Milliseconds since the epoch, fixed for the whole command (Redis
    /// caches the time per command so a command sees one "now").
    pub now_ms: i64,
}

/// A command implementation.
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> Frame;

/// Every data handler module's commands, by lowercase full name.
pub fn data_handlers() -> Vec<(&'static str, Handler)> {
    [
        keys::handlers(),
        dump::handlers(),
        migrate::handlers(),
        strings::handlers(),
        bits::handlers(),
        hll::handlers(),
        hash::handlers(),
        set::handlers(),
        json::handlers(),
        zset::handlers(),
        list::handlers(),
        stream::handlers(),
        sort::handlers(),
        geo::handlers(),
        list_blocking::handlers(),
        wait::handlers(),
        memory::handlers(),
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
}
