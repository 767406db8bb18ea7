//! Configuration values read on every request, cached as atomics so the
//! hot path never takes the configuration lock. `CONFIG SET` refreshes them
//! with [`Limits::refresh`].

use moat_config::{ClientClass, Config, OutputBufferLimit};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

pub struct Limits {
    max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
    slowlog_slower_than_us: AtomicI64,
    slowlog_max_len: AtomicU64,
    latency_threshold_ms: AtomicU64,
    /// `latency-tracking`: per-command latency histograms.
    latency_tracking: AtomicBool,
    /// `maxmemory` (0: none), so commands skip the eviction check without
    /// locking anything when there is no limit.
    maxmemory: AtomicU64,
    /// `timeout` in seconds (0: idle clients stay).
    idle_timeout_secs: AtomicU64,
    /// `maxmemory-clients` in bytes, a percentage resolved against
    /// `maxmemory` (0: no limit).
    maxmemory_clients: AtomicU64,
    /// `client-output-buffer-limit`, per class: hard, soft, soft seconds.
    output: [[AtomicI64; 3]; 3],
    busy_reply_threshold_ms: AtomicU64,
    /// `tracking-table-max-keys` (0: no limit).
    tracking_table_max_keys: AtomicU64,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        let limits = Limits {
            max_bulk_len: AtomicU64::new(0),
            query_buffer_limit: AtomicU64::new(0),
            slowlog_slower_than_us: AtomicI64::new(0),
            slowlog_max_len: AtomicU64::new(0),
            latency_threshold_ms: AtomicU64::new(0),
            latency_tracking: AtomicBool::new(true),
            maxmemory: AtomicU64::new(0),
            idle_timeout_secs: AtomicU64::new(0),
            maxmemory_clients: AtomicU64::new(0),
            output: Default::default(),
            busy_reply_threshold_ms: AtomicU64::new(0),
            tracking_table_max_keys: AtomicU64::new(0),
        };
        limits.refresh(config);
        limits
    }

    /// Re-reads every cached value.
    pub fn refresh(&self, config: &Config) {
        let int = |name: &str, default: i64| config.get_int(name).unwrap_or(default);
        self.max_bulk_len.store(
            int("proto-max-bulk-len", 512 * 1024 * 1024).max(0) as u64,
            Relaxed,
        );
        self.query_buffer_limit.store(
            int("client-query-buffer-limit", 1024 * 1024 * 1024).max(0) as u64,
            Relaxed,
        );
        self.slowlog_slower_than_us
            .store(int("slowlog-log-slower-than", 10_000), Relaxed);
        self.slowlog_max_len
            .store(int("slowlog-max-len", 128).max(0) as u64, Relaxed);
        self.latency_threshold_ms
            .store(int("latency-monitor-threshold", 0).max(0) as u64, Relaxed);
        self.latency_tracking
            .store(config.get_bool("latency-tracking").unwrap_or(true), Relaxed);
        self.maxmemory
            .store(config.get_u64("maxmemory").unwrap_or(0), Relaxed);
        self.idle_timeout_secs
            .store(int("timeout", 0).max(0) as u64, Relaxed);
        let maxmemory = config.get_u64("maxmemory").unwrap_or(0);
        let clients = match int("maxmemory-clients", 0) {
            // A percentage (stored negative) of maxmemory, as Redis.
            percent if percent < 0 => {
                (u128::from(maxmemory) * u128::from(percent.unsigned_abs()) / 100) as u64
            }
            bytes => bytes as u64,
        };
        self.maxmemory_clients.store(clients, Relaxed);
        self.load_output_buffer_limits(config);
        self.busy_reply_threshold_ms
            .store(int("busy-reply-threshold", 5000).max(0) as u64, Relaxed);
        self.tracking_table_max_keys.store(
            int("tracking-table-max-keys", 1_000_000).max(0) as u64,
            Relaxed,
        );
    }

    /// `tracking-table-max-keys`; 0 means no limit.
    pub fn tracking_table_max_keys(&self) -> usize {
        self.tracking_table_max_keys.load(Relaxed) as usize
    }

    /// `maxmemory` in bytes; 0 means no limit.
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Relaxed)
    }

    /// `maxmemory-clients` in bytes; 0 means no limit.
    pub fn maxmemory_clients(&self) -> u64 {
        self.maxmemory_clients.load(Relaxed)
    }

    /// `timeout` in seconds; 0 means never close idle clients.
    pub fn idle_timeout_secs(&self) -> u64 {
        self.idle_timeout_secs.load(Relaxed)
    }

    /// `proto-max-bulk-len`.
    pub fn max_bulk_len(&self) -> i64 {
        self.max_bulk_len.load(Relaxed) as i64
    }

    /// `client-query-buffer-limit`.
    pub fn query_buffer_limit(&self) -> usize {
        self.query_buffer_limit.load(Relaxed) as usize
    }

    /// `slowlog-log-slower-than` in microseconds; negative disables the log.
    pub fn slowlog_slower_than_us(&self) -> i64 {
        self.slowlog_slower_than_us.load(Relaxed)
    }

    /// `slowlog-max-len`.
    pub fn slowlog_max_len(&self) -> usize {
        self.slowlog_max_len.load(Relaxed) as usize
    }

    /// `latency-monitor-threshold` in milliseconds; 0 disables the monitor.
    pub fn latency_threshold_ms(&self) -> u64 {
        self.latency_threshold_ms.load(Relaxed)
    }

    /// `latency-tracking`.
    pub fn latency_tracking(&self) -> bool {
        self.latency_tracking.load(Relaxed)
    }

    /// `client-output-buffer-limit` of one class.
    pub fn output_buffer_limit(&self, class: ClientClass) -> OutputBufferLimit {
        let [hard, soft, seconds] = &self.output[class as usize];
        OutputBufferLimit {
            hard_bytes: hard.load(Relaxed) as u64,
            soft_bytes: soft.load(Relaxed) as u64,
            soft_seconds: seconds.load(Relaxed),
        }
    }

    pub fn set_output_buffer_limit(&self, class: ClientClass, limit: OutputBufferLimit) {
        let [hard, soft, seconds] = &self.output[class as usize];
        hard.store(limit.hard_bytes.min(i64::MAX as u64) as i64, Relaxed);
        soft.store(limit.soft_bytes.min(i64::MAX as u64) as i64, Relaxed);
        seconds.store(limit.soft_seconds, Relaxed);
    }

    /// Re-reads every output limit from the configuration.
    pub fn load_output_buffer_limits(&self, config: &Config) {
        for class in ClientClass::ALL {
            self.set_output_buffer_limit(class, config.output_buffer_limit(class));
        }
    }

    /// `busy-reply-threshold` (alias `lua-time-limit`) in milliseconds: how
    /// long a script runs before other clients are answered BUSY.
    pub fn busy_reply_threshold_ms(&self) -> u64 {
        self.busy_reply_threshold_ms.load(Relaxed)
    }
}
