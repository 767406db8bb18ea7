//! A connection's command statistics, added to the shared counters once
//! per batch of requests instead of once per command.
//!
//! Every command moves four shared counters (INFO commandstats' calls and
//! microseconds, its latency histogram bucket, `total_commands_processed`),
//! and an atomic increment costs about as much as the rest of a GET's
//! bookkeeping. A connection keeps its batch's figures here and adds them
//! before it writes the batch's replies, so a pipeline of 16 costs a
//! sixteenth of the atomics. What other clients can observe does not
//! change: in Redis, too, another client's INFO runs before or after a
//! whole batch of a connection, never inside it. Readers on the same
//! connection (INFO, LATENCY HISTOGRAM) flush first. Figures gathered
//! before a CONFIG RESETSTAT (on any connection) are dropped, not added
//! after it: each batch notes the reset count it started under.

use crate::stats::Stats;
use std::sync::atomic::Ordering::Relaxed;

/// One command's figures since the last flush.
struct Pending {
    command: u32,
    calls: u64,
    usec: u64,
    failed: u64,
    /// Histogram counter indexes and how many times each was hit.
    latency: Vec<(usize, u64)>,
}

#[derive(Default)]
pub struct BatchStats {
    /// Few entries (a batch is usually one or two commands), searched in
    /// order; kept allocated between batches.
    pending: Vec<Pending>,
    used: usize,
    commands_processed: u64,
    /// `Stats::resets` when the pending figures were gathered.
    resets_seen: u64,
}

impl BatchStats {
    /// One completed call; `latency_nanos` when latency tracking is on.
    pub fn record(
        &mut self,
        stats: &Stats,
        command: u32,
        usec: u64,
        failed: u64,
        latency_nanos: Option<u64>,
    ) {
        self.drop_if_reset(stats);
        let entry = match self.pending[..self.used]
            .iter()
            .position(|entry| entry.command == command)
        {
            Some(at) => &mut self.pending[at],
            None => self.new_entry(command),
        };
        entry.calls += 1;
        entry.usec += usec;
        entry.failed += failed;
        if let Some(nanos) = latency_nanos {
            let index = crate::latency_histogram::counts_index_of(nanos);
            match entry.latency.iter_mut().find(|(at, _)| *at == index) {
                Some((_, count)) => *count += 1,
                None => entry.latency.push((index, 1)),
            }
        }
    }

    /// A command counted in `total_commands_processed` (one that blocked,
    /// when it completes).
    pub fn count_processed(&mut self, stats: &Stats) {
        self.drop_if_reset(stats);
        self.commands_processed += 1;
    }

    /// Forgets what was gathered before a reset that happened since.
    fn drop_if_reset(&mut self, stats: &Stats) {
        let resets = stats.resets.load(Relaxed);
        if resets != self.resets_seen {
            self.resets_seen = resets;
            self.discard();
        }
    }

    fn new_entry(&mut self, command: u32) -> &mut Pending {
        if self.used == self.pending.len() {
            self.pending.push(Pending {
                command,
                calls: 0,
                usec: 0,
                failed: 0,
                latency: Vec::new(),
            });
        } else {
            let entry = &mut self.pending[self.used];
            entry.command = command;
            entry.calls = 0;
            entry.usec = 0;
            entry.failed = 0;
            entry.latency.clear();
        }
        self.used += 1;
        &mut self.pending[self.used - 1]
    }

    /// Adds everything to the shared counters.
    pub fn flush(&mut self, stats: &Stats) {
        self.drop_if_reset(stats);
        for entry in &self.pending[..self.used] {
            let stat = &stats.commands[entry.command as usize];
            stat.calls.fetch_add(entry.calls, Relaxed);
            stat.usec.fetch_add(entry.usec, Relaxed);
            if entry.failed > 0 {
                stat.failed_calls.fetch_add(entry.failed, Relaxed);
            }
            for &(index, count) in &entry.latency {
                stats.latency.add(entry.command as usize, index, count);
            }
        }
        self.used = 0;
        if self.commands_processed > 0 {
            stats
                .total_commands_processed
                .fetch_add(self.commands_processed, Relaxed);
            self.commands_processed = 0;
        }
    }

    fn discard(&mut self) {
        self.used = 0;
        self.commands_processed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_adds_what_each_call_would_have_added() {
        let stats = Stats::new(8);
        let mut batch = BatchStats::default();
        for round in 0..3u64 {
            batch.record(&stats, 2, 5, 0, Some(1000));
            batch.record(&stats, 3, 7, 1, Some(250_000));
            batch.record(&stats, 2, 1, 0, Some(1000 + round));
            batch.count_processed(&stats);
            batch.flush(&stats);
        }
        assert_eq!(stats.commands[2].calls.load(Relaxed), 6);
        assert_eq!(stats.commands[2].usec.load(Relaxed), 18);
        assert_eq!(stats.commands[3].failed_calls.load(Relaxed), 3);
        assert_eq!(stats.total_commands_processed.load(Relaxed), 3);
        assert_eq!(stats.latency.get(2).map(|h| h.total()), Some(6));
        assert_eq!(stats.latency.get(3).map(|h| h.total()), Some(3));
        let reference = crate::latency_histogram::LatencyHistogram::default();
        reference.record(250_000);
        let histogram = stats.latency.get(3).unwrap();
        assert_eq!(histogram.total(), 3 * reference.total());
    }

    #[test]
    fn figures_from_before_a_reset_are_never_added() {
        let stats = Stats::new(4);
        let mut batch = BatchStats::default();
        batch.record(&stats, 1, 5, 0, None);
        batch.count_processed(&stats);
        stats.reset();
        batch.flush(&stats);
        assert_eq!(stats.commands[1].calls.load(Relaxed), 0);
        assert_eq!(stats.total_commands_processed.load(Relaxed), 0);
        // Calls after the reset, in the same batch, count.
        batch.record(&stats, 1, 5, 0, None);
        stats.reset();
        batch.record(&stats, 1, 3, 0, None);
        batch.count_processed(&stats);
        batch.flush(&stats);
        assert_eq!(stats.commands[1].calls.load(Relaxed), 1);
        assert_eq!(stats.commands[1].usec.load(Relaxed), 3);
        assert_eq!(stats.total_commands_processed.load(Relaxed), 1);
    }
}
