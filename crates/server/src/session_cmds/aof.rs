//! BGREWRITEAOF, WAITAOF and turning the AOF on and off at run time.

use crate::blocking::{parse_timeout_ms, BlockKind};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] =
    &[("bgrewriteaof", bgrewriteaof), ("waitaof", waitaof)];

fn bgrewriteaof(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let shared = session.shared.clone();
    match crate::aof::rewrite::start(&shared, ks.get()) {
        Ok(()) => Frame::simple("Background append only file rewriting started"),
        Err(error) => Frame::error(error),
    }
}

/// Replicas that fsynced the client's writes: moat has none.
const ACKED_REPLICAS: i64 = 0;

/// `WAITAOF numlocal numreplicas timeout` (Redis 7.2): `[local, 0]`,
/// where local is 1 once the AOF fsynced the client's last write. Blocks
/// (without blocking the server) until enough are, the timeout passes
/// (0: never) or the AOF is turned off; answers at once inside MULTI.
/// Arguments are checked in Redis's order, with its words.
fn waitaof(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let not_integer = || Frame::error("ERR value is not an integer or out of range");
    let Some(numlocal) = moat_resp::string2ll(&argv[1]) else {
        return not_integer();
    };
    if !(0..=1).contains(&numlocal) {
        return Frame::error("ERR value is out of range, value must between 0 and 1");
    }
    // getPositiveLongFromObjectOrReply: one message for both failures.
    let numreplicas = match moat_resp::string2ll(&argv[2]) {
        Some(n) if n >= 0 => n,
        _ => return Frame::error("ERR value is out of range, must be positive"),
    };
    let timeout = match parse_timeout_ms(&argv[3], crate::shared::now_ms()) {
        Ok(ms) => ms,
        Err(error) => return error,
    };
    let shared = session.shared.clone();
    if numlocal > 0 && !shared.aof.is_enabled() {
        return Frame::error(
            "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.",
        );
    }
    // Under the keyspace lock, before the offset is read (see
    // `aof::waitaof`).
    ks.get();
    crate::aof::waitaof::note_waiter(&shared);
    let local = i64::from(shared.aof.fsynced_through(session.aof_last_write));
    let reply = Frame::Array(vec![Frame::Integer(local), Frame::Integer(ACKED_REPLICAS)]);
    if local >= numlocal && ACKED_REPLICAS >= numreplicas {
        return reply;
    }
    session
        .client
        .block_without_keys(BlockKind::Aof, timeout, reply)
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
        // WAITAOF clients waiting for a local fsync now get the error.
        keyspace.blocking.wake_kind(crate::blocking::BlockKind::Aof);
    }
}
