//! MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing happens in dispatch (a command inside MULTI passes every check
//! and is queued instead of run); EXEC runs the queue under one keyspace
//! lock, and checks every queued command's permissions again because the
//! rules may have changed since it was queued. WATCH registers keys in the
//! keyspace's [`crate::db::WatchTable`]; any change to them (writes,
//! expiry, FLUSHDB, FLUSHALL, SWAPDB) makes EXEC answer a null array.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::{Session, Transaction};
use crate::shared::now_ms;
use bytes::Bytes;
use moat_acl::LogContext;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

fn multi(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.transaction.is_some() {
        return Frame::error("ERR MULTI calls can not be nested");
    }
    session.transaction = Some(Transaction::default());
    session.info.lock().multi = 0;
    Frame::ok()
}

fn discard(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.transaction.is_none() {
        return Frame::error("ERR DISCARD without MULTI");
    }
    session.end_transaction(ks);
    Frame::ok()
}

fn exec(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let Some(transaction) = session.transaction.take() else {
        return Frame::error("ERR EXEC without MULTI");
    };
    let watch_broken = session.watch_broken(ks);
    // Redis unwatches before running the queue, but the client stays in
    // MULTI state (`multi=<n>` in CLIENT LIST and the ACL log) until the
    // queue has run.
    session.unwatch_all(ks);
    if transaction.aborted {
        session.end_transaction(ks);
        return Frame::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watch_broken {
        session.end_transaction(ks);
        return Frame::NullArray;
    }
    let table = session.shared.table;
    let mut replies = Vec::with_capacity(transaction.queued.len());
    session.in_exec = true;
    for (id, argv) in transaction.queued {
        let cmd = table.get(id);
        if let Err(denial) = session.user.check(cmd, &argv) {
            // The keys were unwatched before the queue ran: no `d` flag.
            session.record_denial(cmd, &argv, denial, LogContext::Multi, false);
            replies.push(Frame::error(format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}",
                denial.exec_recheck_reason()
            )));
            continue;
        }
        replies.push(session.call(ks, cmd, &argv));
    }
    session.in_exec = false;
    session.end_transaction(ks);
    Frame::Array(replies)
}

fn watch(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if session.transaction.is_some() {
        return Frame::error("ERR WATCH inside MULTI is not allowed");
    }
    let db = session.client.db;
    let id = session.client.id;
    let now = now_ms();
    let keyspace = ks.get();
    for key in &argv[1..] {
        let expired = keyspace.is_logically_expired(db, key, now);
        if keyspace.watch.watch(id, db, key, expired) {
            session.watched.push((db, key.clone()));
        }
    }
    Frame::ok()
}

fn unwatch(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.unwatch_all(ks);
    Frame::ok()
}
