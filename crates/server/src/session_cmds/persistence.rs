//! SAVE, BGSAVE, LASTSAVE and FLUSHALL (which, as in Redis, also
//! rewrites the RDB file when save points are configured).

use crate::cmd::keys::check_flush_mode;
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::persist::jobs;
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("save", save),
    ("bgsave", bgsave),
    ("lastsave", lastsave),
    ("flushall", flushall),
];

const IN_PROGRESS: &str = "ERR Background save already in progress";

fn save(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.shared.persist.bgsave_in_progress.load(Relaxed) {
        return Frame::error(IN_PROGRESS);
    }
    match jobs::save_now(&session.shared, ks.get()) {
        Ok(()) => Frame::ok(),
        // Redis answers a failed SAVE with its bare shared `-ERR`.
        Err(_) => Frame::error("ERR"),
    }
}

fn bgsave(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let schedule = match argv {
        [_] => false,
        [_, arg] if arg.eq_ignore_ascii_case(b"schedule") => true,
        _ => return Frame::error("ERR syntax error"),
    };
    let shared = session.shared.clone();
    let in_progress = shared.persist.bgsave_in_progress.load(Relaxed);
    if in_progress && schedule {
        // Redis runs the scheduled save once the current child exits;
        // here the save points' next tick after it finishes does.
        shared.persist.bgsave_scheduled.store(true, Relaxed);
        return Frame::Simple(Bytes::from_static(b"Background saving scheduled"));
    }
    match jobs::start_background_save(&shared, ks.get()) {
        Ok(()) => Frame::Simple(Bytes::from_static(b"Background saving started")),
        Err(jobs::InProgress) => Frame::error(IN_PROGRESS),
    }
}

fn lastsave(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::Integer(session.shared.last_save_secs.load(Relaxed))
}

/// `flushAllDataAndResetRDB`: empty everything, cancel a running
/// background save and rewrite the file when save points exist. Only the
/// keys removed count as changes, yet the flush always propagates, as
/// Redis's `forceCommandPropagation` makes it (an empty FLUSHALL too).
fn flushall(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if let Err(error) = check_flush_mode(argv) {
        return error;
    }
    let shared = session.shared.clone();
    let keyspace = ks.get();
    keyspace.flush_all();
    jobs::supersede_background_save(&shared);
    if !shared.config.read().save_points().is_empty() {
        let _ = jobs::save_now(&shared, keyspace);
    }
    let db = session.client.db;
    keyspace.propagate.replace_own(db, argv.to_vec());
    Frame::ok()
}
