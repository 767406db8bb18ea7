//! Configuration values read on every request, cached as atomics so the
//! hot path never takes the configuration lock. `CONFIG SET` refreshes them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub struct Limits {
    max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
}

impl Limits {
    pub fn new(max_bulk_len: u64, query_buffer_limit: u64) -> Limits {
        Limits {
            max_bulk_len: AtomicU64::new(max_bulk_len),
            query_buffer_limit: AtomicU64::new(query_buffer_limit),
        }
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
}
