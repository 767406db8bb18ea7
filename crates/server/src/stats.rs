//! Server statistics reported by `INFO` and reset by `CONFIG RESETSTAT`.
//!
//! Counters are relaxed atomics: they are observations, not
//! synchronisation, and the hot path must not take a lock to count.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

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
    /// Error replies by their first word (`ERR`, `WRONGTYPE`, `NOPERM`...).
    pub errors: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    pub fn new(command_count: usize) -> Stats {
        Stats {
            total_connections_received: AtomicU64::new(0),
            total_commands_processed: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            total_net_input_bytes: AtomicU64::new(0),
            total_net_output_bytes: AtomicU64::new(0),
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
        }
    }

    /// Counts an error reply under its code, as `INFO errorstats` shows it.
    pub fn count_error(&self, message: &[u8]) {
        self.total_error_replies.fetch_add(1, Relaxed);
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
        if errors.len() >= 128 {
            return;
        }
        errors.insert(code.into_owned(), 1);
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        for counter in [
            &self.total_connections_received,
            &self.total_commands_processed,
            &self.rejected_connections,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
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
        self.errors.lock().clear();
    }
}
