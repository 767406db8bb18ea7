//! The registry of connected clients.
//!
//! A connection owns its state; what other connections may need to see
//! (`CLIENT LIST`, `CLIENT KILL`, `ACL DELUSER` closing a user's clients)
//! is published here as a small [`ClientInfo`] behind its own mutex, plus a
//! [`KillSwitch`] and a [`Mailbox`] the connection's task waits on.

use crate::client_line::ClientLine;
use crate::mailbox::Mailbox;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What other connections may observe about a client.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    pub name: Option<Bytes>,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    pub db: usize,
    pub user: Bytes,
    pub resp: u8,
    /// `-1` outside MULTI, else the number of queued commands.
    pub multi: i64,
    pub subscriptions: usize,
    pub pattern_subscriptions: usize,
    pub shard_subscriptions: usize,
    /// Subscribed channels, patterns and shard channels, for ACL changes
    /// that must close subscribers who lost a channel.
    pub channels: Vec<Bytes>,
    pub patterns: Vec<Bytes>,
    pub shard_channels: Vec<Bytes>,
    /// Full name of the last command (`client|list`), from the command
    /// table (or `NULL`): noting it per command copies nothing.
    pub last_command: &'static str,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    pub no_evict: bool,
    pub no_touch: bool,
    /// In MONITOR mode.
    pub monitor: bool,
    pub query_buffer: usize,
    /// Replies encoded but not yet written (published only while large),
    /// for `maxmemory-clients`.
    pub reply_pending: usize,
    /// Blocked in BLPOP, WAIT... (`b` in CLIENT LIST).
    pub blocked: bool,
    /// CLIENT TRACKING on (`t`), in BCAST mode (`B`), with a redirect
    /// target found gone (`R`), and the redirect (`redir=`, when on).
    pub tracking: bool,
    pub tracking_bcast: bool,
    pub tracking_broken_redirect: bool,
    pub tracking_redirect: u64,
}

impl ClientInfo {
    /// A connection as it starts: database 0, RESP2, no name, not in
    /// MULTI, subscribed to nothing, no flags.
    pub fn new(
        id: u64,
        addr: SocketAddr,
        laddr: SocketAddr,
        fd: i32,
        user: Bytes,
        now_ms: i64,
    ) -> ClientInfo {
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            name: None,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            db: 0,
            user,
            resp: 2,
            multi: -1,
            subscriptions: 0,
            pattern_subscriptions: 0,
            shard_subscriptions: 0,
            channels: Vec::new(),
            patterns: Vec::new(),
            shard_channels: Vec::new(),
            last_command: "NULL",
            lib_name: None,
            lib_ver: None,
            no_evict: false,
            no_touch: false,
            monitor: false,
            query_buffer: 0,
            reply_pending: 0,
            blocked: false,
            tracking: false,
            tracking_bcast: false,
            tracking_broken_redirect: false,
            tracking_redirect: 0,
        }
    }
}

/// Asks a connection to close; the connection's task waits on it.
#[derive(Default)]
pub struct KillSwitch {
    killed: AtomicBool,
    notify: crate::signal::Signal,
}

impl KillSwitch {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.notify.notify();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Resolves once [`KillSwitch::kill`] was called.
    pub async fn killed(&self) {
        while !self.is_killed() {
            self.notify.wait().await;
        }
    }
}

/// One registered client.
#[derive(Clone)]
pub struct ClientHandle {
    pub info: Arc<Mutex<ClientInfo>>,
    pub kill: Arc<KillSwitch>,
    pub mailbox: Arc<Mailbox>,
}

/// All connected clients by id (ids ascend, as `CLIENT LIST` orders them).
#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<u64, ClientHandle>>,
    last_id: AtomicU64,
}

impl ClientRegistry {
    /// A fresh client id (ids start at 1 and never repeat).
    pub fn next_id(&self) -> u64 {
        self.last_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn register(&self, handle: ClientHandle) {
        let id = handle.info.lock().id;
        self.clients.lock().insert(id, handle);
    }

    pub fn unregister(&self, id: u64) {
        self.clients.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    /// The client with this id, if connected (Redis's `lookupClientByID`).
    pub fn get(&self, id: u64) -> Option<ClientHandle> {
        self.clients.lock().get(&id).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every client, ordered by id.
    pub fn snapshot(&self) -> Vec<ClientHandle> {
        self.clients.lock().values().cloned().collect()
    }

    /// Calls `visit` with each client's info (locked) and mailbox.
    pub fn for_each(&self, mut visit: impl FnMut(&ClientInfo, &Mailbox)) {
        for handle in self.snapshot() {
            visit(&handle.info.lock(), &handle.mailbox);
        }
    }

    /// Kills every client for which `select` holds; returns how many.
    /// A client killed already is gone for Redis (`freeClient` unlinks it
    /// at once), so it is neither selected nor counted again.
    pub fn kill_where(&self, mut select: impl FnMut(&ClientInfo) -> bool) -> usize {
        let mut killed = 0;
        for handle in self.snapshot() {
            if handle.kill.is_killed() {
                continue;
            }
            if select(&handle.info.lock()) {
                // Its mailbox reads as closed from now on.
                handle.kill.kill();
                killed += 1;
            }
        }
        killed
    }
}

/// Formats one `CLIENT LIST` / `CLIENT INFO` line (Redis 7.2 field order,
/// see [`ClientLine`]). `output` is the client's queued output,
/// `(bytes, frames)`.
pub fn format_client_line(info: &ClientInfo, output: (usize, usize), now_ms: i64) -> String {
    ClientLine::capture(info, output, now_ms).to_line()
}
