//! Configuration values read on every request, cached as atomics so the
//! hot path never takes the configuration lock. `CONFIG SET` refreshes them.

use moat_config::{ClientClass, Config, OutputBufferLimit};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

pub struct Limits {
    max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
    /// `client-output-buffer-limit`, per class: hard, soft, soft seconds.
    output: [[AtomicI64; 3]; 3],
}

impl Limits {
    pub fn new(max_bulk_len: u64, query_buffer_limit: u64) -> Limits {
        let limits = Limits {
            max_bulk_len: AtomicU64::new(max_bulk_len),
            query_buffer_limit: AtomicU64::new(query_buffer_limit),
            output: Default::default(),
        };
        for class in ClientClass::ALL {
            limits.set_output_buffer_limit(
                class,
                moat_config::special::DEFAULT_OUTPUT_BUFFER_LIMITS[class as usize],
            );
        }
        limits
    }

    /// `proto-max-bulk-len`.
    pub fn max_bulk_len(&self) -> i64 {
        self.max_bulk_len.load(Relaxed) as i64
    }

    /// `client-query-buffer-limit`.
    pub fn query_buffer_limit(&self) -> usize {
        self.query_buffer_limit.load(Relaxed) as usize
    }

    pub fn set(&self, max_bulk_len: u64, query_buffer_limit: u64) {
        self.max_bulk_len.store(max_bulk_len, Relaxed);
        self.query_buffer_limit.store(query_buffer_limit, Relaxed);
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
}
