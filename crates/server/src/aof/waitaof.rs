//! WAITAOF's side of the AOF: waking blocked clients when the fsynced
//! offset moves (the command is `session_cmds/aof.rs`).
//!
//! A WAITAOF client blocks without keys ([`BlockKind::Aof`]) and re-runs
//! when woken: the AOF threads call [`wake_waiters`] after each fsync
//! round, the rewrite thread after installing a base (the first base of
//! a run-time `appendonly yes` makes what was fsynced count), and
//! turning the AOF off wakes them with the keyspace it already holds.
//! The keyspace lock is taken only while a WAITAOF client may be
//! blocked: the command sets [`super::Aof::waitaof_waiters`] under that
//! lock before it reads the fsynced offset, so an fsync that lands in
//! between always finds the flag and wakes it.

use crate::blocking::BlockKind;
use crate::shared::Shared;
use std::sync::atomic::Ordering::SeqCst;

/// Wakes the blocked WAITAOF clients if the fsynced offset moved since
/// they were last woken (always, with `force`).
pub fn wake_waiters(shared: &Shared, force: bool) {
    let aof = &shared.aof;
    if !aof.waitaof_waiters.load(SeqCst) {
        return;
    }
    let fsynced = aof.fsynced_offset();
    if aof.waitaof_woken_at.swap(fsynced, SeqCst) == fsynced && !force {
        return;
    }
    let mut keyspace = shared.keyspace.lock();
    if keyspace.blocking.wake_kind(BlockKind::Aof) == 0 {
        aof.waitaof_waiters.store(false, SeqCst);
    }
}

/// Called by WAITAOF, under the keyspace lock, before it reads the
/// fsynced offset.
pub fn note_waiter(shared: &Shared) {
    shared.aof.waitaof_waiters.store(true, SeqCst);
}
