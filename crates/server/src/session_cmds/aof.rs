//! BGREWRITEAOF and turning the AOF on and off at run time.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[("bgrewriteaof", bgrewriteaof)];

fn bgrewriteaof(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let shared = session.shared.clone();
    match crate::aof::rewrite::start(&shared, ks.get()) {
        Ok(()) => Frame::simple("Background append only file rewriting started"),
        Err(error) => Frame::error(error),
    }
}

/// `CONFIG SET appendonly yes|no` (Redis's `startAppendOnly` and
/// `stopAppendOnly`): on starts appending and a rewrite whose base holds
/// the dataset as it is now; off writes and fsyncs what is pending and
/// stops. The keyspace is locked so no write falls between the two.
pub fn apply_appendonly(session: &mut Session, ks: &mut KeyspaceLock<'_>, on: bool) {
    let shared = session.shared.clone();
    let aof = &shared.aof;
    if on == aof.is_enabled() {
        return;
    }
    let keyspace = ks.get();
    if on {
        aof.retire_listed_files();
        aof.set_enabled(true);
        keyspace.propagate.enabled = true;
        if let Err(error) = crate::aof::rewrite::start(&shared, keyspace) {
            tracing::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {error}");
            aof.set_enabled(false);
            keyspace.propagate.enabled = false;
        }
    } else {
        aof.flush_and_sync();
        aof.stop();
        keyspace.propagate.enabled = false;
        keyspace.propagate.take();
    }
}
