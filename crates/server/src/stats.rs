//! Server statistics reported by `INFO` and reset by `CONFIG RESETSTAT`.
//!
//! Counters are relaxed atomics: they are observations, not
//! synchronisation, and the hot path must not take a lock to count.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Redis stops tracking new error codes past this many distinct ones.
const MAX_ERROR_CODES: usize = 128;

/// Per-command counters (`INFO commandstats`).
#[derive(Default)]
pub struct CommandStat {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected_calls: AtomicU64,
    pub failed_calls: AtomicU64,
}

/// Server-wide counters.
pub struct Stats {
    pub total_connections_received: AtomicU64,
    pub total_commands_processed: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub total_net_input_bytes: AtomicU64,
    pub total_net_output_bytes: AtomicU64,
    /// Reads from and writes to client sockets (Redis's
    /// `stat_total_reads_processed` / `stat_total_writes_processed`).
    pub total_reads_processed: AtomicU64,
    pub total_writes_processed: AtomicU64,
    /// The `instantaneous_*` rates, sampled by the cron.
    pub instantaneous: crate::instantaneous::Instantaneous,
    pub acl_access_denied_auth: AtomicU64,
    pub acl_access_denied_cmd: AtomicU64,
    pub acl_access_denied_key: AtomicU64,
    pub acl_access_denied_channel: AtomicU64,
    pub total_error_replies: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    /// Clients closed for exceeding `client-output-buffer-limit`.
    pub client_output_buffer_limit_disconnections: AtomicU64,
    /// Clients closed to stay under `maxmemory-clients` (INFO `evicted_clients`).
    pub evicted_clients: AtomicU64,
    /// Indexed by command id.
    pub commands: Vec<CommandStat>,
    /// Per-command latency histograms (`latency-tracking`).
    pub latency: crate::latency_histogram::CommandHistograms,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`...), except
    /// `NOPERM`: see [`Stats::error_counts`] for all of them.
    errors: Mutex<BTreeMap<String, u64>>,
    /// `NOPERM` replies, counted without the lock: a client refused in a
    /// loop must not pay more than one that is allowed. `noperm_tracked`
    /// says whether the code is among the tracked ones (it may arrive
    /// after the 128 distinct codes Redis stops at).
    noperm_errors: AtomicU64,
    noperm_tracked: AtomicBool,
    /// Counts the resets, so figures a connection gathered before one are
    /// not added after it ([`crate::batch_stats`]).
    pub resets: AtomicU64,
}

impl Stats {
    pub fn new(command_count: usize) -> Stats {
        Stats {
            total_connections_received: AtomicU64::new(0),
            total_commands_processed: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            total_net_input_bytes: AtomicU64::new(0),
            total_net_output_bytes: AtomicU64::new(0),
            total_reads_processed: AtomicU64::new(0),
            total_writes_processed: AtomicU64::new(0),
            instantaneous: Default::default(),
            acl_access_denied_auth: AtomicU64::new(0),
            acl_access_denied_cmd: AtomicU64::new(0),
            acl_access_denied_key: AtomicU64::new(0),
            acl_access_denied_channel: AtomicU64::new(0),
            total_error_replies: AtomicU64::new(0),
            unexpected_error_replies: AtomicU64::new(0),
            client_output_buffer_limit_disconnections: AtomicU64::new(0),
            evicted_clients: AtomicU64::new(0),
            commands: (0..command_count).map(|_| CommandStat::default()).collect(),
            latency: crate::latency_histogram::CommandHistograms::new(command_count),
            errors: Mutex::new(BTreeMap::new()),
            noperm_errors: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            noperm_tracked: AtomicBool::new(false),
        }
    }

    /// Counts an error reply under its code, as `INFO errorstats` shows it.
    pub fn count_error(&self, message: &[u8]) {
        self.total_error_replies.fetch_add(1, Relaxed);
        if message.starts_with(b"NOPERM ") || message == b"NOPERM" {
            self.count_noperm();
            return;
        }
        let code_len = message
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(message.len());
        let code = String::from_utf8_lossy(&message[..code_len]);
        let mut errors = self.errors.lock();
        // Known codes (nearly every error) are counted without allocating.
        if let Some(count) = errors.get_mut(code.as_ref()) {
            *count += 1;
            return;
        }
        // Redis stops tracking new error codes past 128 distinct ones.
        if errors.len() + usize::from(self.noperm_tracked.load(Relaxed)) >= MAX_ERROR_CODES {
            return;
        }
        errors.insert(code.into_owned(), 1);
    }

    /// `count_error` for `NOPERM`: one atomic add once the code is tracked.
    fn count_noperm(&self) {
        if !self.noperm_tracked.load(Relaxed) {
            // Becoming tracked is decided under the lock, as for any code.
            let errors = self.errors.lock();
            if !self.noperm_tracked.load(Relaxed) {
                if errors.len() >= MAX_ERROR_CODES {
                    return;
                }
                self.noperm_tracked.store(true, Relaxed);
            }
        }
        self.noperm_errors.fetch_add(1, Relaxed);
    }

    /// Every tracked error code and its count, by code (`INFO errorstats`).
    pub fn error_counts(&self) -> Vec<(String, u64)> {
        let errors = self.errors.lock();
        let mut counts: Vec<(String, u64)> =
            errors.iter().map(|(code, n)| (code.clone(), *n)).collect();
        if self.noperm_tracked.load(Relaxed) {
            let noperm = ("NOPERM".to_string(), self.noperm_errors.load(Relaxed));
            let at = counts.partition_point(|(code, _)| code.as_str() < "NOPERM");
            counts.insert(at, noperm);
        }
        counts
    }

    /// The cron's sample of the `instantaneous_*` rates.
    pub fn sample_instantaneous(&self, now_ms: i64) {
        self.instantaneous.sample(
            now_ms,
            [
                self.total_commands_processed.load(Relaxed),
                self.total_net_input_bytes.load(Relaxed),
                self.total_net_output_bytes.load(Relaxed),
            ],
        );
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        self.instantaneous.reset(crate::shared::now_ms());
        self.resets.fetch_add(1, Relaxed);
        for counter in [
            &self.total_connections_received,
            &self.total_commands_processed,
            &self.rejected_connections,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
            &self.total_reads_processed,
            &self.total_writes_processed,
            &self.acl_access_denied_auth,
            &self.acl_access_denied_cmd,
            &self.acl_access_denied_key,
            &self.acl_access_denied_channel,
            &self.total_error_replies,
            &self.unexpected_error_replies,
            &self.client_output_buffer_limit_disconnections,
            &self.evicted_clients,
        ] {
            counter.store(0, Relaxed);
        }
        for stat in &self.commands {
            stat.calls.store(0, Relaxed);
            stat.usec.store(0, Relaxed);
            stat.rejected_calls.store(0, Relaxed);
            stat.failed_calls.store(0, Relaxed);
        }
        self.latency.reset();
        let mut errors = self.errors.lock();
        errors.clear();
        self.noperm_tracked.store(false, Relaxed);
        self.noperm_errors.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(stats: &Stats) -> Vec<(String, u64)> {
        stats.error_counts()
    }

    #[test]
    fn noperm_is_counted_in_order_with_the_other_codes() {
        let stats = Stats::new(0);
        for message in [
            &b"WRONGTYPE Operation against a key"[..],
            b"NOPERM No permissions to access a key",
            b"ERR syntax error",
            b"NOPERM User u has no permissions to run the 'get' command",
            b"MOVED 1 x",
        ] {
            stats.count_error(message);
        }
        let expected = [("ERR", 1), ("MOVED", 1), ("NOPERM", 2), ("WRONGTYPE", 1)]
            .map(|(code, n)| (code.to_string(), n));
        assert_eq!(counts(&stats), expected);
        assert_eq!(stats.total_error_replies.load(Relaxed), 5);
        stats.reset();
        assert!(counts(&stats).is_empty());
        stats.count_error(b"NOPERM x");
        assert_eq!(counts(&stats), [("NOPERM".to_string(), 1)]);
    }

    #[test]
    fn noperm_counts_against_the_limit_of_distinct_codes() {
        let stats = Stats::new(0);
        for i in 0..MAX_ERROR_CODES - 1 {
            stats.count_error(format!("E{i} x").as_bytes());
        }
        stats.count_error(b"NOPERM x");
        stats.count_error(b"LATE x");
        let codes = counts(&stats);
        assert_eq!(codes.len(), MAX_ERROR_CODES);
        assert!(codes.iter().any(|(code, _)| code == "NOPERM"));
        assert!(!codes.iter().any(|(code, _)| code == "LATE"));

        let full = Stats::new(0);
        for i in 0..MAX_ERROR_CODES {
            full.count_error(format!("E{i} x").as_bytes());
        }
        full.count_error(b"NOPERM x");
        assert!(!counts(&full).iter().any(|(code, _)| code == "NOPERM"));
    }
}
