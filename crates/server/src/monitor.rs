//! MONITOR: every executed command, as one status line, pushed into the
//! mailbox of each monitoring client.
//!
//! The line is Redis's: `+<secs>.<usecs> [<db> <addr>] "arg" "arg"...`,
//! arguments quoted as `sdscatrepr` quotes them, secrets replaced by
//! `"(redacted)"`. Admin commands and those flagged `skip_monitor` are not
//! shown (Redis considers them too dangerous to echo). The registry keeps
//! a counter beside its lock so that the common case, nobody monitoring,
//! costs one relaxed load per command.

use crate::mailbox::Mailbox;
use crate::shared::Shared;
use bytes::{BufMut, Bytes, BytesMut};
use parking_lot::RwLock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub struct Monitors {
    list: RwLock<Vec<(u64, Arc<Mailbox>)>>,
    count: AtomicUsize,
}

impl Monitors {
    pub fn add(&self, id: u64, mailbox: Arc<Mailbox>) {
        let mut list = self.list.write();
        if list.iter().all(|(other, _)| *other != id) {
            list.push((id, mailbox));
        }
        self.count.store(list.len(), Relaxed);
    }

    pub fn remove(&self, id: u64) {
        let mut list = self.list.write();
        list.retain(|(other, _)| *other != id);
        self.count.store(list.len(), Relaxed);
    }

    pub fn is_empty(&self) -> bool {
        self.count.load(Relaxed) == 0
    }

    /// Sends one command line to every monitor; `argv` is already
    /// redacted ([`crate::redact`]).
    pub fn feed(&self, shared: &Shared, db: usize, addr: SocketAddr, argv: &[Bytes]) {
        if self.is_empty() {
            return;
        }
        let shown: Vec<&[u8]> = argv.iter().map(|a| a.as_ref()).collect();
        let line = format_line(SystemTime::now(), db, addr, &shown);
        for (_, mailbox) in self.list.read().iter() {
            mailbox.push(line.clone(), shared);
        }
    }
}

fn format_line(when: SystemTime, db: usize, addr: SocketAddr, argv: &[&[u8]]) -> Bytes {
    let since = when.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut out = BytesMut::with_capacity(64 + argv.iter().map(|a| a.len() + 3).sum::<usize>());
    out.put_slice(
        format!(
            "+{}.{:06} [{} {}]",
            since.as_secs(),
            since.subsec_micros(),
            db,
            addr
        )
        .as_bytes(),
    );
    for arg in argv {
        out.put_u8(b' ');
        quote_into(arg, &mut out);
    }
    out.put_slice(b"\r\n");
    out.freeze()
}

/// Redis's `sdscatrepr` ([`moat_resp::repr`]) into the line.
fn quote_into(arg: &[u8], out: &mut BytesMut) {
    out.put_slice(moat_resp::repr(arg).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn line_format_matches_redis() {
        let when = UNIX_EPOCH + Duration::from_micros(1_701_420_000_123_456);
        let addr: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let line = format_line(when, 0, addr, &[b"set", b"k", b"a \"b\"\n\x01"]);
        assert_eq!(
            &line[..],
            b"+1701420000.123456 [0 127.0.0.1:5555] \"set\" \"k\" \"a \\\"b\\\"\\n\\x01\"\r\n"
        );
    }
}
