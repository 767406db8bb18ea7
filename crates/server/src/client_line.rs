//! A client's `CLIENT LIST` line: its fields captured at one moment, the
//! text written when someone reads it.
//!
//! `CLIENT LIST` and `CLIENT INFO` capture and write at once. The ACL log
//! captures at every denial (a repeated denial replaces its entry's client
//! info each time, as Redis does) but the text is read only by `ACL LOG`:
//! capturing is a few copies and reference-count bumps, formatting is what
//! made a refused command cost twice an allowed one, so the log stores a
//! [`ClientLine`] and formats it on read. One writer serves both, so the
//! text is the same either way.

use crate::clients::ClientInfo;
use bytes::Bytes;
use std::net::SocketAddr;

/// The values of one client line, taken from a [`ClientInfo`], the
/// client's queued output and the time of capture.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLine {
    id: u64,
    addr: SocketAddr,
    laddr: SocketAddr,
    fd: i32,
    name: Option<Bytes>,
    /// `age` and `idle` in seconds, as of the capture.
    age: i64,
    idle: i64,
    monitor: bool,
    blocked: bool,
    tracking: bool,
    tracking_broken_redirect: bool,
    tracking_bcast: bool,
    /// A watched key changed (Redis's `CLIENT_DIRTY_CAS`, flag `d`): kept
    /// by the keyspace, so set by callers that hold it.
    dirty_cas: bool,
    /// The connection closes once its replies are written (Redis's
    /// `CLIENT_CLOSE_AFTER_REPLY`, flag `c`): known to its own session only.
    close_after_reply: bool,
    /// `redir=`: the tracking redirect while tracking is on, else -1.
    redirect: i64,
    no_evict: bool,
    no_touch: bool,
    db: usize,
    subscriptions: usize,
    pattern_subscriptions: usize,
    shard_subscriptions: usize,
    multi: i64,
    query_buffer: usize,
    /// Queued output: bytes and frames.
    omem: usize,
    oll: usize,
    last_command: &'static str,
    user: Bytes,
    resp: u8,
    lib_name: Option<Bytes>,
    lib_ver: Option<Bytes>,
}

impl ClientLine {
    /// The line's values now. `output` is the client's queued output,
    /// `(bytes, frames)`.
    pub fn capture(info: &ClientInfo, output: (usize, usize), now_ms: i64) -> ClientLine {
        let (omem, oll) = output;
        ClientLine {
            id: info.id,
            addr: info.addr,
            laddr: info.laddr,
            fd: info.fd,
            name: info.name.clone(),
            age: (now_ms - info.created_ms).max(0) / 1000,
            idle: (now_ms - info.last_interaction_ms).max(0) / 1000,
            monitor: info.monitor,
            blocked: info.blocked,
            tracking: info.tracking,
            tracking_broken_redirect: info.tracking_broken_redirect,
            tracking_bcast: info.tracking_bcast,
            redirect: if info.tracking {
                info.tracking_redirect as i64
            } else {
                -1
            },
            no_evict: info.no_evict,
            no_touch: info.no_touch,
            dirty_cas: false,
            close_after_reply: false,
            db: info.db,
            subscriptions: info.subscriptions,
            pattern_subscriptions: info.pattern_subscriptions,
            shard_subscriptions: info.shard_subscriptions,
            multi: info.multi,
            query_buffer: info.query_buffer,
            omem,
            oll,
            last_command: info.last_command,
            user: info.user.clone(),
            resp: info.resp,
            lib_name: info.lib_name.clone(),
            lib_ver: info.lib_ver.clone(),
        }
    }

    /// CLIENT LIST's `flags` field, in Redis's order: O (monitor), P
    /// (pub/sub), x (MULTI), b, t, R, B, d, c, e, T; N for none.
    pub fn flags(&self) -> String {
        let mut flags = String::new();
        if self.monitor {
            flags.push('O');
        }
        if self.subscriptions + self.pattern_subscriptions + self.shard_subscriptions > 0 {
            flags.push('P');
        }
        if self.multi >= 0 {
            flags.push('x');
        }
        if self.blocked {
            flags.push('b');
        }
        if self.tracking {
            flags.push('t');
        }
        if self.tracking_broken_redirect {
            flags.push('R');
        }
        if self.tracking_bcast {
            flags.push('B');
        }
        if self.dirty_cas {
            flags.push('d');
        }
        if self.close_after_reply {
            flags.push('c');
        }
        if self.no_evict {
            flags.push('e');
        }
        if self.no_touch {
            flags.push('T');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        flags
    }

    /// The same line with the `d` flag as the keyspace's watches say.
    pub fn with_dirty_cas(mut self, dirty: bool) -> ClientLine {
        self.dirty_cas = dirty;
        self
    }

    /// The line of a connection that closes after its reply.
    pub fn with_close_after_reply(mut self, closing: bool) -> ClientLine {
        self.close_after_reply = closing;
        self
    }

    /// The line as text.
    pub fn to_line(&self) -> String {
        let mut line = String::with_capacity(384);
        self.write(&mut line);
        line
    }

    /// Appends the line (Redis 7.2 field order), written by hand rather
    /// than with `format!` (see the test against `format!`).
    pub fn write(&self, line: &mut String) {
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
        let flags = self.flags();
        field("id", &self.id);
        field("addr", &self.addr);
        field("laddr", &self.laddr);
        field("fd", &i64::from(self.fd));
        field("name", &lossy(&self.name).as_str());
        field("age", &self.age);
        field("idle", &self.idle);
        field("flags", &flags.as_str());
        field("db", &self.db);
        field("sub", &self.subscriptions);
        field("psub", &self.pattern_subscriptions);
        field("ssub", &self.shard_subscriptions);
        field("multi", &self.multi);
        field("qbuf", &self.query_buffer);
        field("qbuf-free", &16384usize.saturating_sub(self.query_buffer));
        for (name, value) in [("argv-mem", 0usize), ("multi-mem", 0), ("rbs", 16384)] {
            field(name, &value);
        }
        field("rbp", &0usize);
        field("obl", &0usize);
        field("oll", &self.oll);
        field("omem", &self.omem);
        field("tot-mem", &(16384 + self.query_buffer + self.omem));
        field("events", &"r");
        field("cmd", &self.last_command);
        field("user", &String::from_utf8_lossy(&self.user).as_ref());
        field("redir", &self.redirect);
        field("resp", &usize::from(self.resp));
        field("lib-name", &lossy(&self.lib_name).as_str());
        field("lib-ver", &lossy(&self.lib_ver).as_str());
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
        // The flags are the line's own: this test is about the writer.
        let flags = ClientLine::capture(info, (omem, oll), now_ms).flags();
        let redir = if info.tracking {
            info.tracking_redirect as i64
        } else {
            -1
        };
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events=r cmd={} user={} redir={redir} resp={} lib-name={} lib-ver={}",
            info.id, info.addr, info.laddr, info.fd, lossy(&info.name),
            (now_ms - info.created_ms).max(0) / 1000, (now_ms - info.last_interaction_ms).max(0) / 1000,
            flags, info.db, info.subscriptions, info.pattern_subscriptions, info.shard_subscriptions,
            info.multi, info.query_buffer, 16384usize.saturating_sub(info.query_buffer),
            0, 0, 16384, 0, 0, oll, omem, 16384 + info.query_buffer + omem, info.last_command,
            String::from_utf8_lossy(&info.user), info.resp, lossy(&info.lib_name), lossy(&info.lib_ver),
        )
    }

    fn sample() -> ClientInfo {
        ClientInfo {
            id: 18446744073709551615,
            name: Some(Bytes::from_static(b"worker-1")),
            last_interaction_ms: 61_999,
            db: 3,
            resp: 3,
            last_command: "client|list",
            lib_ver: Some(Bytes::from_static(b"4.5")),
            tracking: true,
            tracking_bcast: true,
            tracking_redirect: 42,
            query_buffer: 26,
            ..ClientInfo::new(
                0,
                "127.0.0.1:51234".parse().unwrap(),
                "10.200.0.255:6379".parse().unwrap(),
                8,
                Bytes::from_static(b"cache\xffreader"),
                1_000,
            )
        }
    }

    fn written(info: &ClientInfo, output: (usize, usize), now_ms: i64) -> String {
        ClientLine::capture(info, output, now_ms).to_line()
    }

    #[test]
    fn hand_written_line_equals_the_format_macro() {
        let mut info = sample();
        for now in [0, 62_000, 5_000_000] {
            assert_eq!(written(&info, (0, 0), now), with_format(&info, (0, 0), now));
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
        assert_eq!(
            written(&info, (4096, 3), 99),
            with_format(&info, (4096, 3), 99)
        );
    }

    #[test]
    fn a_capture_keeps_the_values_of_its_moment() {
        let mut info = sample();
        let line = ClientLine::capture(&info, (10, 1), 62_000);
        let text = line.to_line();
        info.db = 9;
        info.last_command = "get";
        info.name = None;
        assert_eq!(line.to_line(), text, "later changes do not show");
        assert_eq!(text, with_format(&sample(), (10, 1), 62_000));
    }
}
