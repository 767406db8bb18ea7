//! MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing happens in dispatch (a command inside MULTI passes every check
//! and is queued instead of run); EXEC runs the queue under one keyspace
//! lock, and checks every queued command's permissions again because the
//! rules may have changed since it was queued. WATCH registers keys in the
//! keyspace's [`crate::db::WatchTable`]; any change to them (writes,
//! expiry, FLUSHDB, FLUSHALL, SWAPDB) makes EXEC answer a null array.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::{ReplyMode, Session, Transaction};
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
    let count = transaction.queued.len();
    let mut replies = Vec::with_capacity(count);
    // The protocol replies are made under, and where a queued HELLO
    // switched it (the index of the first reply under the new one): Redis
    // wrote each reply as it came. Empty, and allocating nothing, unless
    // the queue holds a HELLO.
    let first_protocol = session.client.protocol;
    let mut switches: Vec<(usize, moat_resp::Protocol)> = Vec::new();
    // A reply spliced in as several frames makes the output no single frame.
    let mut spliced_any = false;
    // Redis's `incrCommandStatsOnError`: EXEC counts as failed when an
    // error reply was added after the last command it called.
    let mut error_after_last_call = false;
    session.in_exec = true;
    for (id, argv) in transaction.queued {
        // Redis changes users in place: rules a queued ACL SETUSER (or
        // DELUSER of this client's user) changed apply to what follows.
        session.refresh_acl();
        let cmd = table.get(id);
        // Once the client is to be closed (a queued command deleted or
        // killed it), Redis adds no reply: the rest of the queue runs
        // unanswered.
        let answered = !session.close_after_reply;
        let reply = match session.user.check(cmd, &argv) {
            Err(denial) => {
                // The keys were unwatched before the queue ran: no `d` flag.
                session.record_denial(cmd, &argv, denial, LogContext::Multi, false);
                let text = Bytes::from(format!(
                    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}",
                    denial.exec_recheck_reason()
                ));
                // An error reply of EXEC's own (`addReplyErrorFormat`).
                session.shared.stats.count_error(&text);
                error_after_last_call = true;
                Frame::Error(text)
            }
            Ok(()) => {
                error_after_last_call = false;
                session.call(ks, cmd, &argv)
            }
        };
        let spliced = std::mem::take(&mut session.exec_spliced);
        if answered {
            let current = switches.last().map_or(first_protocol, |&(_, p)| p);
            if session.client.protocol != current {
                switches.push((replies.len(), session.client.protocol));
            }
            match reply {
                Frame::Array(frames) if spliced => {
                    spliced_any = true;
                    replies.extend(frames);
                }
                reply => replies.push(reply),
            }
        }
    }
    session.in_exec = false;
    session.end_transaction(ks);
    if error_after_last_call {
        session.note_failed_call();
    }
    let single_protocol = switches.is_empty() && session.client.protocol == first_protocol;
    if replies.len() != count || spliced_any || !single_protocol {
        return raw_reply(session, count, replies, first_protocol, &switches);
    }
    Frame::Array(replies)
}

/// EXEC's reply after a queued command marked the client to close:
/// Redis wrote the array's header for every queued command, then the
/// replies up to that command's. Not a valid frame, so it goes out as
/// raw output (nothing at all under CLIENT REPLY OFF or SKIP). So does a
/// reply whose replies were made under different protocols (a queued
/// HELLO): each is encoded in the protocol it was made under.
fn raw_reply(
    session: &mut Session,
    count: usize,
    replies: Vec<Frame>,
    first_protocol: moat_resp::Protocol,
    switches: &[(usize, moat_resp::Protocol)],
) -> Frame {
    if session.reply_mode == ReplyMode::On {
        let out = &mut session.deferred;
        out.extend_from_slice(format!("*{count}\r\n").as_bytes());
        let mut protocol = first_protocol;
        let mut switches = switches.iter().peekable();
        for (index, reply) in replies.into_iter().enumerate() {
            if let Some(&(_, switched)) = switches.next_if(|&&(at, _)| at == index) {
                protocol = switched;
            }
            reply.encode(protocol, out);
        }
    }
    session.no_reply = true;
    Frame::Array(Vec::new())
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
