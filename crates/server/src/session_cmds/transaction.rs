//! MULTI, EXEC, DISCARD.
//!
//! Queueing happens in dispatch (a command inside MULTI passes every check
//! and is queued instead of run); EXEC runs the queue under one keyspace
//! lock, and checks every queued command's permissions again because the
//! rules may have changed since it was queued.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::{Session, Transaction};
use bytes::Bytes;
use moat_acl::LogContext;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] =
    &[("multi", multi), ("exec", exec), ("discard", discard)];

fn multi(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.transaction.is_some() {
        return Frame::error("ERR MULTI calls can not be nested");
    }
    session.transaction = Some(Transaction::default());
    session.info.lock().multi = 0;
    Frame::ok()
}

fn discard(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.transaction.take().is_none() {
        return Frame::error("ERR DISCARD without MULTI");
    }
    session.end_transaction();
    Frame::ok()
}

fn exec(session: &mut Session, ks: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let Some(transaction) = session.transaction.take() else {
        return Frame::error("ERR EXEC without MULTI");
    };
    let watch_broken = session.watch_broken(ks);
    session.end_transaction();
    if transaction.aborted {
        return Frame::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watch_broken {
        return Frame::NullArray;
    }
    let table = session.shared.table;
    let mut replies = Vec::with_capacity(transaction.queued.len());
    for (id, argv) in transaction.queued {
        let cmd = table.get(id);
        if let Err(denial) = session.user.check(cmd, &argv) {
            session.record_denial(cmd, &argv, denial, LogContext::Multi);
            replies.push(Frame::error(format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}",
                denial.exec_recheck_reason()
            )));
            continue;
        }
        replies.push(session.call(ks, cmd, &argv));
    }
    Frame::Array(replies)
}
