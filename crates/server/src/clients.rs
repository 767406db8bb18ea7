//! The registry of connected clients.
//!
//! A connection owns its state; what other connections may need to see
//! (`CLIENT LIST`, `CLIENT KILL`, `ACL DELUSER` closing a user's clients)
//! is published here as a small [`ClientInfo`] behind its own mutex, plus a
//! [`KillSwitch`] and a [`Mailbox`] the connection's task waits on.

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
    /// Full name of the last command (`client|list`).
    pub last_command: String,
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
    pub fn kill_where(&self, mut select: impl FnMut(&ClientInfo) -> bool) -> usize {
        let mut killed = 0;
        for handle in self.snapshot() {
            if select(&handle.info.lock()) {
                // A killed client no longer exists for others (tracking
                // redirects), even before its task has ended.
                handle.mailbox.close();
                handle.kill.kill();
                killed += 1;
            }
        }
        killed
    }
}

/// Formats one `CLIENT LIST` / `CLIENT INFO` line (Redis 7.2 field order).
///
/// Written by hand rather than with `format!`: every ACL denial logs this
/// line, and the formatting machinery made a refused command cost twice an
/// allowed one. The output is the same (see the test against `format!`).
/// `output` is the client's queued output, `(bytes, frames)`.
pub fn format_client_line(info: &ClientInfo, output: (usize, usize), now_ms: i64) -> String {
    let mut line = String::with_capacity(384);
    write_client_line(info, output, now_ms, &mut line);
    line
}

/// [`format_client_line`] into an existing buffer (appended), so that the
/// ACL log can reuse the buffer of the entry a denial folds into.
pub fn write_client_line(
    info: &ClientInfo,
    output: (usize, usize),
    now_ms: i64,
    line: &mut String,
) {
    let (omem, oll) = output;
    let start = line.len();
    let mut field = |name: &str, value: &dyn LineValue| {
        if line.len() > start {
            line.push(' ');
        }
        line.push_str(name);
        line.push('=');
        value.push_to(line);
    };
    let lossy = |bytes: &Option<Bytes>| {
        bytes
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    // Redis's flag order: O (monitor), P (pub/sub), x (MULTI), ...
    let mut flags = String::new();
    if info.monitor {
        flags.push('O');
    }
    if info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0 {
        flags.push('P');
    }
    if info.multi >= 0 {
        flags.push('x');
    }
    if info.blocked {
        flags.push('b');
    }
    if info.tracking {
        flags.push('t');
    }
    if info.tracking_broken_redirect {
        flags.push('R');
    }
    if info.tracking_bcast {
        flags.push('B');
    }
    if info.no_evict {
        flags.push('e');
    }
    if info.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    field("id", &info.id);
    field("addr", &info.addr);
    field("laddr", &info.laddr);
    field("fd", &i64::from(info.fd));
    field("name", &lossy(&info.name).as_str());
    field("age", &((now_ms - info.created_ms).max(0) / 1000));
    field("idle", &((now_ms - info.last_interaction_ms).max(0) / 1000));
    field("flags", &flags.as_str());
    field("db", &info.db);
    field("sub", &info.subscriptions);
    field("psub", &info.pattern_subscriptions);
    field("ssub", &info.shard_subscriptions);
    field("multi", &info.multi);
    field("qbuf", &info.query_buffer);
    field("qbuf-free", &16384usize.saturating_sub(info.query_buffer));
    for (name, value) in [("argv-mem", 0usize), ("multi-mem", 0), ("rbs", 16384)] {
        field(name, &value);
    }
    field("rbp", &0usize);
    field("obl", &0usize);
    field("oll", &oll);
    field("omem", &omem);
    field("tot-mem", &(16384 + info.query_buffer + omem));
    field("events", &"r");
    field("cmd", &info.last_command.as_str());
    field("user", &String::from_utf8_lossy(&info.user).as_ref());
    field("redir", &redirect_field(info));
    field("resp", &usize::from(info.resp));
    field("lib-name", &lossy(&info.lib_name).as_str());
    field("lib-ver", &lossy(&info.lib_ver).as_str());
}

/// `redir=`: the tracking redirect while tracking is on, else -1.
fn redirect_field(info: &ClientInfo) -> i64 {
    if info.tracking {
        info.tracking_redirect as i64
    } else {
        -1
    }
}

/// A value of a client line, appended without `fmt`.
trait LineValue {
    fn push_to(&self, line: &mut String);
}

impl LineValue for &str {
    fn push_to(&self, line: &mut String) {
        line.push_str(self);
    }
}

impl LineValue for u64 {
    fn push_to(&self, line: &mut String) {
        line.push_str(itoa::Buffer::new().format(*self));
    }
}

impl LineValue for usize {
    fn push_to(&self, line: &mut String) {
        line.push_str(itoa::Buffer::new().format(*self));
    }
}

impl LineValue for i64 {
    fn push_to(&self, line: &mut String) {
        line.push_str(itoa::Buffer::new().format(*self));
    }
}

impl LineValue for SocketAddr {
    fn push_to(&self, line: &mut String) {
        match self {
            SocketAddr::V4(v4) => {
                for (i, octet) in v4.ip().octets().iter().enumerate() {
                    if i > 0 {
                        line.push('.');
                    }
                    line.push_str(itoa::Buffer::new().format(*octet));
                }
                line.push(':');
                line.push_str(itoa::Buffer::new().format(v4.port()));
            }
            SocketAddr::V6(_) => {
                use std::fmt::Write;
                let _ = write!(line, "{self}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line as `format!` writes it, the reference for the hand-written one.
    fn with_format(info: &ClientInfo, (omem, oll): (usize, usize), now_ms: i64) -> String {
        let lossy = |b: &Option<Bytes>| {
            b.as_ref()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default()
        };
        let mut flags = String::new();
        if info.monitor {
            flags.push('O');
        }
        if info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0 {
            flags.push('P');
        }
        if info.multi >= 0 {
            flags.push('x');
        }
        if info.blocked {
            flags.push('b');
        }
        if info.tracking {
            flags.push('t');
        }
        if info.tracking_broken_redirect {
            flags.push('R');
        }
        if info.tracking_bcast {
            flags.push('B');
        }
        if info.no_evict {
            flags.push('e');
        }
        if info.no_touch {
            flags.push('T');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events=r cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
            info.id, info.addr, info.laddr, info.fd, lossy(&info.name),
            (now_ms - info.created_ms).max(0) / 1000, (now_ms - info.last_interaction_ms).max(0) / 1000,
            flags, info.db, info.subscriptions, info.pattern_subscriptions, info.shard_subscriptions,
            info.multi, info.query_buffer, 16384usize.saturating_sub(info.query_buffer),
            0, 0, 16384, 0, 0, oll, omem, 16384 + info.query_buffer + omem, info.last_command,
            String::from_utf8_lossy(&info.user), redirect_field(info), info.resp, lossy(&info.lib_name), lossy(&info.lib_ver),
        )
    }

    fn sample() -> ClientInfo {
        ClientInfo {
            id: 18446744073709551615,
            addr: "127.0.0.1:51234".parse().unwrap(),
            laddr: "10.200.0.255:6379".parse().unwrap(),
            fd: 8,
            name: Some(Bytes::from_static(b"worker-1")),
            created_ms: 1_000,
            last_interaction_ms: 61_999,
            db: 3,
            user: Bytes::from_static(b"cache\xffreader"),
            resp: 3,
            multi: -1,
            subscriptions: 0,
            pattern_subscriptions: 0,
            shard_subscriptions: 0,
            channels: Vec::new(),
            patterns: Vec::new(),
            shard_channels: Vec::new(),
            last_command: "client|list".into(),
            lib_name: None,
            lib_ver: Some(Bytes::from_static(b"4.5")),
            no_evict: false,
            no_touch: false,
            query_buffer: 26,
            monitor: false,
            reply_pending: 0,
            blocked: false,
            tracking: false,
            tracking_bcast: false,
            tracking_broken_redirect: false,
            tracking_redirect: 0,
        }
    }

    #[test]
    fn hand_written_line_equals_the_format_macro() {
        let mut info = sample();
        for now in [0, 62_000, 5_000_000] {
            assert_eq!(
                format_client_line(&info, (0, 0), now),
                with_format(&info, (0, 0), now)
            );
        }
        info.multi = 4;
        info.pattern_subscriptions = 2;
        info.no_evict = true;
        info.no_touch = true;
        info.fd = -1;
        info.id = 0;
        info.name = None;
        info.query_buffer = 20_000;
        info.addr = "[::1]:7000".parse().unwrap();
        info.monitor = true;
        info.blocked = true;
        info.tracking = true;
        info.tracking_bcast = true;
        info.tracking_broken_redirect = true;
        info.tracking_redirect = 12;
        assert_eq!(
            format_client_line(&info, (4096, 3), 99),
            with_format(&info, (4096, 3), 99)
        );
    }
}
