//! Blocked clients: who waits for which key, and the API blocking
//! commands use (Redis's `blocked.c`).
//!
//! The [`BlockingRegistry`] lives inside the keyspace, under the keyspace
//! lock, like the WATCH table: the check "nothing to pop, so block" and the
//! registration happen under the same lock as every write, so no push can
//! slip between them, and every write already goes through
//! [`crate::db::Keyspace::key_modified`], where a key some client waits on
//! is marked ready (Redis's `signalKeyAsReady`): pushes, ZADD, but also
//! RENAME, MOVE, COPY, RESTORE, SORT STORE, *STORE commands that create the
//! key. SWAPDB marks the blocked keys of both databases. A deletion, a
//! FLUSHDB or a value of another type wakes nobody: the client keeps
//! waiting, as in Redis. XREADGROUP clients are the exception (Redis
//! 7.2's `unblock_on_nokey`): a deletion or type change signalled through
//! `key_modified`, or XGROUP DESTROY, wakes them and the re-run answers
//! NOGROUP or WRONGTYPE.
//!
//! Ready keys are served after the writing command (after EXEC for a
//! transaction), from [`crate::session::Session::call`], as Redis's
//! `handleClientsBlockedOnKeys` does: for each ready key that holds a live
//! value, the first client in its FIFO queue waiting for that type is woken
//! through its mailbox ([`crate::mailbox::Mailbox::wake`]). Only one client
//! per key is woken at a time: the woken client re-runs its command under
//! the keyspace lock, and its own pop (or its leaving the registry, whatever
//! its reply) marks the key ready again for the next one. So clients are
//! served in the order they blocked, and two clients woken for one element
//! cannot both get it. A re-run that finds nothing (another client took the
//! element first) blocks again, keeping its place in the queues.
//!
//! # Blocking from a command
//!
//! A data handler that finds nothing to serve calls [`Ctx::block_on`] with
//! the kind of value it waits for ([`BlockKind`]), its keys (in the
//! selected database), a timeout in milliseconds (0: forever;
//! [`parse_timeout`] reads Redis's seconds-as-double argument) and the
//! reply to give when the timeout passes. Dispatch then keeps the command
//! in the session, registers the client, and re-runs the whole command
//! through dispatch each time the client is woken (the ACL rules are
//! checked again, as Redis 7.2 re-processes woken commands), until it
//! replies with something else than another `block_on`. Inside MULTI/EXEC
//! `block_on` does not block: it returns the timeout reply at once
//! ([`Ctx::can_block`] tells a handler that needs another reply there).
//! XREAD / XREADGROUP ... BLOCK use the same call with
//! [`BlockKind::Stream`].

use crate::cmd::Ctx;
use crate::db::Value;
use crate::mailbox::Mailbox;
use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use moat_resp::Frame;
use std::collections::VecDeque;
use std::sync::Arc;

/// What a blocked client waits for (Redis's `bstate.btype`): a key only
/// serves clients waiting for the type of value it now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    List,
    ZSet,
    Stream,
    /// WAIT: no key, only a timeout or CLIENT UNBLOCK ends it.
    Replication,
    /// WAITAOF: no key; re-run when the AOF's fsynced offset moves or
    /// the AOF is turned off ([`BlockingRegistry::wake_kind`]).
    Aof,
}

impl BlockKind {
    /// The kind of client a value can serve.
    pub fn of(value: &Value) -> Option<BlockKind> {
        match value {
            Value::List(_) => Some(BlockKind::List),
            Value::ZSet(_) => Some(BlockKind::ZSet),
            Value::Stream(_) => Some(BlockKind::Stream),
            _ => None,
        }
    }
}

/// What a handler asked for with [`Ctx::block_on`].
#[derive(Debug, Clone)]
pub struct BlockRequest {
    pub kind: BlockKind,
    pub keys: Vec<Bytes>,
    /// Milliseconds; 0 waits forever.
    pub timeout_ms: i64,
    pub on_timeout: Frame,
    /// The command to re-run when woken, when it is not the one received
    /// (XREAD's `$` becomes the id it stood for, as Redis rewrites it).
    pub rerun_argv: Option<Vec<Bytes>>,
    /// Also woken when a key is deleted or changes type (XREADGROUP: its
    /// group is gone, the re-run answers the error; Redis 7.2's
    /// `unblock_on_nokey`).
    pub unblock_on_nokey: bool,
}

/// How `CLIENT UNBLOCK` ends a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    Timeout,
    Error,
}

/// What a woken client must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// A key became ready: re-run the command.
    Rerun,
    /// CLIENT UNBLOCK asked for this ending.
    Unblocked(Unblock),
    /// Not blocked (a stale wake-up).
    Nothing,
}

struct Blocked {
    mailbox: Arc<Mailbox>,
    db: usize,
    keys: Vec<Bytes>,
    kind: BlockKind,
    /// Woken and not yet re-run: its keys wait for it before waking others.
    woken: bool,
    /// See [`BlockRequest::unblock_on_nokey`].
    unblock_on_nokey: bool,
    /// Blocked with a timeout (Redis's timeout table).
    timed: bool,
    unblock: Option<Unblock>,
}

/// Blocked clients by id, and their FIFO queues by `(db, key)`.
#[derive(Default)]
pub struct BlockingRegistry {
    clients: HashMap<u64, Blocked>,
    keys: HashMap<(usize, Bytes), VecDeque<u64>>,
    ready: Vec<(usize, Bytes)>,
    ready_set: HashSet<(usize, Bytes)>,
}

impl BlockingRegistry {
    /// Nobody is blocked: the write path pays this one test.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// `blocked_clients` of INFO.
    pub fn blocked_clients(&self) -> usize {
        self.clients.len()
    }

    /// `clients_in_timeout_table` of INFO: blocked clients with a timeout.
    pub fn timed_clients(&self) -> usize {
        self.clients.values().filter(|b| b.timed).count()
    }

    /// `total_blocking_keys` of INFO: distinct keys with a waiter.
    pub fn blocking_keys(&self) -> usize {
        self.keys.len()
    }

    pub fn is_blocked(&self, client: u64) -> bool {
        self.clients.contains_key(&client)
    }

    /// Registers a client at the end of each of its keys' queues. A key
    /// named twice is waited on once.
    pub fn block(
        &mut self,
        client: u64,
        mailbox: Arc<Mailbox>,
        db: usize,
        kind: BlockKind,
        keys: &[Bytes],
        timed: bool,
    ) {
        self.remove(client);
        let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(key) {
                unique.push(key.clone());
            }
        }
        for key in &unique {
            self.keys
                .entry((db, key.clone()))
                .or_default()
                .push_back(client);
        }
        self.clients.insert(
            client,
            Blocked {
                mailbox,
                db,
                keys: unique,
                kind,
                woken: false,
                unblock_on_nokey: false,
                timed,
                unblock: None,
            },
        );
    }

    /// Marks a just-blocked client as woken by deletions and type changes.
    pub fn unblock_on_nokey(&mut self, client: u64) {
        if let Some(blocked) = self.clients.get_mut(&client) {
            blocked.unblock_on_nokey = true;
        }
    }

    /// A woken client that found nothing waits again, in the same place.
    pub fn rearm(&mut self, client: u64) {
        if let Some(blocked) = self.clients.get_mut(&client) {
            blocked.woken = false;
            blocked.unblock = None;
        }
    }

    /// Removes a client (served, timed out, unblocked, disconnected); its
    /// keys become ready again so that the next waiter is considered.
    pub fn remove(&mut self, client: u64) {
        let Some(blocked) = self.clients.remove(&client) else {
            return;
        };
        for key in blocked.keys {
            let slot = (blocked.db, key);
            let Some(queue) = self.keys.get_mut(&slot) else {
                continue;
            };
            queue.retain(|&id| id != client);
            if queue.is_empty() {
                self.keys.remove(&slot);
            } else {
                self.push_ready(slot);
            }
        }
    }

    /// Redis's `signalKeyAsReady`: remembered only if someone waits on it.
    pub fn mark_ready(&mut self, db: usize, key: &[u8]) {
        let slot = (db, Bytes::copy_from_slice(key));
        if self.keys.contains_key(&slot) {
            self.push_ready(slot);
        }
    }

    fn push_ready(&mut self, slot: (usize, Bytes)) {
        if self.ready_set.insert(slot.clone()) {
            self.ready.push(slot);
        }
    }

    /// Marks every waited-on key of the given databases (SWAPDB).
    pub fn mark_db_ready(&mut self, dbs: &[usize]) {
        let slots: Vec<(usize, Bytes)> = self
            .keys
            .keys()
            .filter(|(db, _)| dbs.contains(db))
            .cloned()
            .collect();
        for slot in slots {
            self.push_ready(slot);
        }
    }

    /// The ready keys, in the order they became ready.
    pub fn take_ready(&mut self) -> Vec<(usize, Bytes)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Wakes the first client waiting on `(db, key)` for `kind`, unless
    /// one woken earlier has not run yet (it will pass the key on).
    pub fn wake_first(&mut self, db: usize, key: &Bytes, kind: BlockKind) {
        self.wake_first_for(db, key, Some(kind));
    }

    /// [`BlockingRegistry::wake_first`] for a key holding a value of
    /// `kind` (`None`: no value, or one no blocking command waits for),
    /// counting clients that wake on deletions and type changes.
    pub fn wake_first_for(&mut self, db: usize, key: &Bytes, kind: Option<BlockKind>) {
        let Some(queue) = self.keys.get(&(db, key.clone())) else {
            return;
        };
        for id in queue {
            let Some(blocked) = self.clients.get_mut(id) else {
                continue;
            };
            if blocked.woken {
                return;
            }
            if Some(blocked.kind) == kind || blocked.unblock_on_nokey {
                blocked.woken = true;
                blocked.mailbox.wake();
                return;
            }
        }
    }

    /// Wakes every client blocked for `kind` that is not woken already
    /// (keyless kinds: their re-run decides). Returns how many clients
    /// of that kind are blocked.
    pub fn wake_kind(&mut self, kind: BlockKind) -> usize {
        let mut count = 0;
        for blocked in self.clients.values_mut().filter(|b| b.kind == kind) {
            count += 1;
            if !blocked.woken {
                blocked.woken = true;
                blocked.mailbox.wake();
            }
        }
        count
    }

    /// CLIENT UNBLOCK: false if the client is not blocked.
    pub fn request_unblock(&mut self, client: u64, how: Unblock) -> bool {
        let Some(blocked) = self.clients.get_mut(&client) else {
            return false;
        };
        blocked.unblock = Some(how);
        blocked.mailbox.wake();
        true
    }

    /// What a client that saw its mailbox wake-up must do.
    pub fn resume(&mut self, client: u64) -> Resume {
        match self.clients.get_mut(&client) {
            None => Resume::Nothing,
            Some(blocked) => match blocked.unblock {
                Some(how) => Resume::Unblocked(how),
                None if blocked.woken => Resume::Rerun,
                None => Resume::Nothing,
            },
        }
    }
}

/// `-UNBLOCKED` reply of `CLIENT UNBLOCK <id> ERROR`.
pub fn unblocked_error() -> Frame {
    Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
}

/// Redis 7.2's `getTimeoutFromObjectOrReply` for seconds: a `long
/// double` (`strtold`), beyond `LLONG_MAX` milliseconds out of range,
/// else truncated to milliseconds.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<i64, Frame> {
    use crate::cmd::c_float::{long_double_range, LongDoubleRange};
    let not_a_float = || Frame::error("ERR timeout is not a float or out of range");
    let parsed = crate::cmd::args::parse_float_text(arg).ok_or_else(not_a_float)?;
    // Past a double but within a long double, the value still reads (as
    // an infinity of its sign, or zero, here); past both, strtold fails.
    if parsed.out_of_range {
        let text = std::str::from_utf8(arg).unwrap_or_default();
        if long_double_range(text) == LongDoubleRange::Beyond {
            return Err(not_a_float());
        }
    }
    let ms = parsed.value * 1000.0;
    if ms > i64::MAX as f64 {
        return Err(Frame::error("ERR timeout is out of range"));
    }
    // A large negative value converts to LLONG_MIN, as C's conversion
    // does on the platforms Redis runs on: "negative".
    check_timeout(ms as i64, now_ms)
}

/// The same for milliseconds (WAIT).
pub fn parse_timeout_ms(arg: &[u8], now_ms: i64) -> Result<i64, Frame> {
    let ms = crate::cmd::args::parse_i64(arg)
        .map_err(|_| Frame::error("ERR timeout is not an integer or out of range"))?;
    check_timeout(ms, now_ms)
}

fn check_timeout(ms: i64, now_ms: i64) -> Result<i64, Frame> {
    if ms < 0 {
        return Err(Frame::error("ERR timeout is negative"));
    }
    if ms > 0 && ms > i64::MAX - now_ms {
        return Err(Frame::error("ERR timeout is out of range"));
    }
    Ok(ms)
}

impl crate::client::ClientState {
    /// [`Ctx::block_on`] for session handlers (WAITAOF), without keys.
    pub fn block_without_keys(
        &mut self,
        kind: BlockKind,
        timeout_ms: i64,
        on_timeout: Frame,
    ) -> Frame {
        if !self.may_block {
            return on_timeout;
        }
        self.block = Some(BlockRequest {
            kind,
            keys: Vec::new(),
            timeout_ms,
            on_timeout,
            rerun_argv: None,
            unblock_on_nokey: false,
        });
        Frame::NullArray
    }
}

impl Ctx<'_> {
    /// Whether the command may block (not inside MULTI/EXEC or a script).
    pub fn can_block(&self) -> bool {
        self.client.may_block
    }

    /// Blocks the client on `keys` of the selected database: the command
    /// is re-run when one of them becomes ready, `on_timeout` is the reply
    /// after `timeout_ms` (0: never). Returns the reply to give now: none
    /// (dispatch withholds it) when blocking, `on_timeout` where blocking
    /// is not allowed.
    pub fn block_on(
        &mut self,
        kind: BlockKind,
        keys: &[Bytes],
        timeout_ms: i64,
        on_timeout: Frame,
    ) -> Frame {
        self.block_rerunning(kind, keys, timeout_ms, on_timeout, None, false)
    }

    /// [`Ctx::block_on`], re-running `rerun_argv` (when given) instead of
    /// the command received, and with `unblock_on_nokey` (see
    /// [`BlockRequest`]).
    pub fn block_rerunning(
        &mut self,
        kind: BlockKind,
        keys: &[Bytes],
        timeout_ms: i64,
        on_timeout: Frame,
        rerun_argv: Option<Vec<Bytes>>,
        unblock_on_nokey: bool,
    ) -> Frame {
        if !self.can_block() {
            return on_timeout;
        }
        self.client.block = Some(BlockRequest {
            kind,
            keys: keys.to_vec(),
            timeout_ms,
            on_timeout,
            rerun_argv,
            unblock_on_nokey,
        });
        // Never sent: dispatch sees the request and replies nothing.
        Frame::NullArray
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::KillSwitch;

    fn mailbox(id: u64) -> Arc<Mailbox> {
        Arc::new(Mailbox::new(id, Arc::new(KillSwitch::default())))
    }

    #[test]
    fn first_waiter_is_woken_and_passes_the_key_on() {
        let mut registry = BlockingRegistry::default();
        let (a, b) = (mailbox(1), mailbox(2));
        let key = Bytes::from_static(b"k");
        registry.block(
            1,
            a.clone(),
            0,
            BlockKind::List,
            std::slice::from_ref(&key),
            false,
        );
        registry.block(
            2,
            b.clone(),
            0,
            BlockKind::List,
            &[key.clone(), key.clone()],
            false,
        );
        assert_eq!(registry.blocking_keys(), 1);
        registry.mark_ready(0, b"k");
        registry.mark_ready(0, b"other");
        assert_eq!(registry.take_ready(), vec![(0, key.clone())]);
        registry.wake_first(0, &key, BlockKind::List);
        registry.wake_first(0, &key, BlockKind::List);
        assert!(a.take_wake());
        assert!(!b.take_wake(), "one wake per key until the first has run");
        assert_eq!(registry.resume(1), Resume::Rerun);
        registry.remove(1);
        assert_eq!(registry.take_ready(), vec![(0, key.clone())]);
        registry.wake_first(0, &key, BlockKind::List);
        assert!(b.take_wake());
    }

    #[test]
    fn a_key_of_another_type_wakes_nobody_of_this_kind() {
        let mut registry = BlockingRegistry::default();
        let (a, b) = (mailbox(1), mailbox(2));
        let key = Bytes::from_static(b"k");
        registry.block(
            1,
            a.clone(),
            0,
            BlockKind::List,
            std::slice::from_ref(&key),
            false,
        );
        registry.block(
            2,
            b.clone(),
            0,
            BlockKind::ZSet,
            std::slice::from_ref(&key),
            false,
        );
        registry.wake_first(0, &key, BlockKind::ZSet);
        assert!(!a.take_wake());
        assert!(b.take_wake());
    }

    #[test]
    fn keyless_kinds_are_woken_together_once() {
        let mut registry = BlockingRegistry::default();
        let (a, b, c) = (mailbox(1), mailbox(2), mailbox(3));
        registry.block(1, a.clone(), 0, BlockKind::Aof, &[], false);
        registry.block(2, b.clone(), 0, BlockKind::Aof, &[], true);
        registry.block(3, c.clone(), 0, BlockKind::Replication, &[], false);
        assert_eq!(registry.wake_kind(BlockKind::Aof), 2);
        assert!(a.take_wake() && b.take_wake() && !c.take_wake());
        assert_eq!(registry.wake_kind(BlockKind::Aof), 2);
        assert!(!a.take_wake(), "woken and not re-run yet: not woken twice");
        registry.rearm(1);
        registry.wake_kind(BlockKind::Aof);
        assert!(a.take_wake());
        registry.remove(1);
        registry.remove(2);
        assert_eq!(registry.wake_kind(BlockKind::Aof), 0);
    }

    #[test]
    fn unblock_requests_are_reported_once_blocked() {
        let mut registry = BlockingRegistry::default();
        let a = mailbox(1);
        assert!(!registry.request_unblock(1, Unblock::Error));
        registry.block(1, a.clone(), 0, BlockKind::Replication, &[], false);
        assert!(registry.request_unblock(1, Unblock::Timeout));
        assert!(a.take_wake());
        assert_eq!(registry.resume(1), Resume::Unblocked(Unblock::Timeout));
        registry.remove(1);
        assert!(registry.is_empty());
        assert_eq!(registry.resume(1), Resume::Nothing);
    }

    #[test]
    fn timeouts_follow_redis() {
        let now = 1_000;
        assert_eq!(parse_timeout(b"0", now), Ok(0));
        assert_eq!(parse_timeout(b"1.5", now), Ok(1500));
        assert_eq!(parse_timeout(b"0.0001", now), Ok(0));
        assert_eq!(
            parse_timeout(b"-1", now),
            Err(Frame::error("ERR timeout is negative"))
        );
        assert_eq!(
            parse_timeout(b"abc", now),
            Err(Frame::error("ERR timeout is not a float or out of range"))
        );
        assert_eq!(
            parse_timeout_ms(b"1.5", now),
            Err(Frame::error(
                "ERR timeout is not an integer or out of range"
            ))
        );
        assert_eq!(
            parse_timeout_ms(&i64::MAX.to_string().into_bytes(), now),
            Err(Frame::error("ERR timeout is out of range"))
        );
        assert_eq!(parse_timeout(b"0x10", now), Ok(16_000));
        let out_of_range = Err(Frame::error("ERR timeout is out of range"));
        for text in ["1e400", "inf", "9.3e15", "0x1p2000"] {
            assert_eq!(parse_timeout(text.as_bytes(), now), out_of_range, "{text}");
        }
        let negative = Err(Frame::error("ERR timeout is negative"));
        for text in ["-1e400", "-inf", "-9.3e15"] {
            assert_eq!(parse_timeout(text.as_bytes(), now), negative, "{text}");
        }
        let not_a_float = Err(Frame::error("ERR timeout is not a float or out of range"));
        for text in ["1e5000", "1e-5000", "nan", "0x"] {
            assert_eq!(parse_timeout(text.as_bytes(), now), not_a_float, "{text}");
        }
        assert_eq!(parse_timeout(b"1e-400", now), Ok(0));
    }
}
