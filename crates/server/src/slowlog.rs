//! The slow log and the latency monitor: what `SLOWLOG` and `LATENCY` report.
//!
//! Both are fed from one place, after a command ran in
//! [`crate::session::Session::call`], and both are cheap when nothing is
//! slow: the thresholds are atomics in [`crate::limits::Limits`] and the
//! lock is taken only for a command that crossed one.
//!
//! The slow log records what Redis records: the arguments as the command
//! left them (secrets already replaced by `(redacted)`, see
//! [`crate::redact`]), at most 32 of them and 128 bytes of each, so a
//! pathological request cannot make the log itself a memory problem.

use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};

/// `SLOWLOG_ENTRY_MAX_ARGC`.
const MAX_ARGC: usize = 32;
/// `SLOWLOG_ENTRY_MAX_STRING`.
const MAX_STRING: usize = 128;
/// `LATENCY_TS_LEN`: samples kept per latency event.
const LATENCY_HISTORY_LEN: usize = 160;

/// One slow log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    /// Unix time in seconds when the command was logged.
    pub time_secs: i64,
    pub duration_us: u64,
    pub argv: Vec<Bytes>,
    /// `ip:port` of the client.
    pub peer: String,
    pub client_name: Bytes,
}

/// Newest first, bounded by `slowlog-max-len`.
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl SlowLog {
    /// Adds an entry, trimming the log to `max_len`.
    pub fn push(
        &mut self,
        argv: &[Bytes],
        duration_us: u64,
        time_secs: i64,
        peer: String,
        client_name: Bytes,
        max_len: usize,
    ) {
        let entry = SlowEntry {
            id: self.next_id,
            time_secs,
            duration_us,
            argv: trimmed_argv(argv),
            peer,
            client_name,
        };
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// The newest `count` entries (`None`: all).
    pub fn newest(&self, count: Option<usize>) -> impl Iterator<Item = &SlowEntry> {
        self.entries.iter().take(count.unwrap_or(usize::MAX))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `SLOWLOG RESET`: ids keep counting, as in Redis.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// `CONFIG SET slowlog-max-len` shrinks the log at once.
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }
}

/// Redis's argument trimming: 31 arguments and a `... (N more arguments)`
/// marker past 32, strings cut at 128 bytes with `... (N more bytes)`.
fn trimmed_argv(argv: &[Bytes]) -> Vec<Bytes> {
    let keep = if argv.len() > MAX_ARGC {
        MAX_ARGC - 1
    } else {
        argv.len()
    };
    let mut out: Vec<Bytes> = argv[..keep]
        .iter()
        .map(|arg| {
            if arg.len() > MAX_STRING {
                let mut cut = arg[..MAX_STRING].to_vec();
                cut.extend_from_slice(
                    format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes(),
                );
                Bytes::from(cut)
            } else {
                arg.clone()
            }
        })
        .collect();
    if argv.len() > MAX_ARGC {
        out.push(Bytes::from(format!(
            "... ({} more arguments)",
            argv.len() - keep
        )));
    }
    out
}

/// One latency event's samples (`LATENCY HISTORY`), oldest first.
#[derive(Debug, Default, Clone)]
pub struct LatencyEvent {
    /// `(unix seconds, milliseconds)`; one sample per second at most,
    /// keeping the worst of that second, as Redis does.
    pub samples: VecDeque<(i64, u64)>,
    /// The all-time maximum.
    pub max_ms: u64,
}

/// Latency spikes by event name (`command`, `fast-command`, ...).
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    events: BTreeMap<&'static str, LatencyEvent>,
}

impl LatencyMonitor {
    pub fn add_sample(&mut self, event: &'static str, time_secs: i64, latency_ms: u64) {
        let entry = self.events.entry(event).or_default();
        entry.max_ms = entry.max_ms.max(latency_ms);
        match entry.samples.back_mut() {
            Some((time, worst)) if *time == time_secs => *worst = (*worst).max(latency_ms),
            _ => {
                entry.samples.push_back((time_secs, latency_ms));
                if entry.samples.len() > LATENCY_HISTORY_LEN {
                    entry.samples.pop_front();
                }
            }
        }
    }

    pub fn events(&self) -> impl Iterator<Item = (&'static str, &LatencyEvent)> {
        self.events.iter().map(|(name, event)| (*name, event))
    }

    pub fn event(&self, name: &[u8]) -> Option<&LatencyEvent> {
        self.events
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, e)| e)
    }

    /// Resets the named events (all when `names` is empty); returns how
    /// many existed.
    pub fn reset(&mut self, names: &[Bytes]) -> usize {
        if names.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        let before = self.events.len();
        self.events
            .retain(|name, _| !names.iter().any(|n| n.as_ref() == name.as_bytes()));
        before - self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_args as args;

    #[test]
    fn long_requests_are_trimmed_like_redis() {
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
        let trimmed = trimmed_argv(&args(&many));
        assert_eq!(trimmed.len(), 32);
        assert_eq!(trimmed[31], Bytes::from("... (9 more arguments)"));
        let long = "x".repeat(130);
        let trimmed = trimmed_argv(&args(&["set", &long]));
        assert_eq!(
            trimmed[1],
            Bytes::from(format!("{}... (2 more bytes)", "x".repeat(128)))
        );
    }

    #[test]
    fn slowlog_is_newest_first_and_bounded() {
        let mut log = SlowLog::default();
        for i in 0..5 {
            log.push(
                &args(&["get", &i.to_string()]),
                10,
                0,
                String::new(),
                Bytes::new(),
                3,
            );
        }
        let ids: Vec<u64> = log.newest(None).map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        log.reset();
        log.push(&args(&["get"]), 1, 0, String::new(), Bytes::new(), 3);
        assert_eq!(log.newest(Some(1)).next().unwrap().id, 5);
    }

    #[test]
    fn latency_keeps_the_worst_sample_of_each_second() {
        let mut monitor = LatencyMonitor::default();
        monitor.add_sample("command", 100, 5);
        monitor.add_sample("command", 100, 9);
        monitor.add_sample("command", 101, 3);
        let event = monitor.event(b"command").unwrap();
        assert_eq!(event.samples, [(100, 9), (101, 3)]);
        assert_eq!(event.max_ms, 9);
        assert_eq!(monitor.reset(&args(&["command", "other"])), 1);
        assert!(monitor.is_empty());
    }
}
