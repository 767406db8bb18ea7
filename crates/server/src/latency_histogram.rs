//! Per-command latency histograms (`latency-tracking`), as Redis keeps
//! them for `INFO latencystats` and `LATENCY HISTOGRAM`.
//!
//! Redis records each command's duration into an HdrHistogram with
//! lowest value 1 ns, highest 1 s and two significant digits, and both
//! of its outputs are read straight off that layout: a percentile is the
//! highest value equivalent to the bucket where the cumulative count
//! reaches it, and `LATENCY HISTOGRAM` walks the buckets with HdrHistogram's
//! logarithmic iterator (first step 1024 ns, base 2). Users compare these
//! numbers across servers, so the layout here is HdrHistogram's, bucket
//! for bucket, and the readers are its algorithms; only the counters are
//! relaxed atomics, so that recording from any connection takes no lock.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// `LATENCY_HISTOGRAM_MIN_VALUE` / `MAX_VALUE`, in nanoseconds.
const MIN_VALUE: u64 = 1;
const MAX_VALUE: u64 = 1_000_000_000;

/// Two significant digits: `2 * 10^2` distinguishable values need a
/// sub-bucket count of 256 (2^8).
const SUB_BUCKET_COUNT_MAGNITUDE: u32 = 8;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_COUNT: u64 = 1 << SUB_BUCKET_COUNT_MAGNITUDE;
const SUB_BUCKET_HALF_COUNT: u64 = SUB_BUCKET_COUNT / 2;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;

/// Buckets needed to reach `MAX_VALUE` (HdrHistogram's
/// `buckets_needed_to_cover_value`), computed once at compile time.
const BUCKET_COUNT: usize = {
    let mut smallest_untrackable = SUB_BUCKET_COUNT;
    let mut buckets = 1;
    while smallest_untrackable <= MAX_VALUE {
        smallest_untrackable <<= 1;
        buckets += 1;
    }
    buckets
};
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

/// The counters only: recording is one relaxed increment, and the total
/// is summed when someone reads it (INFO, LATENCY HISTOGRAM), which is
/// rare next to recording.
pub struct LatencyHistogram {
    counts: Box<[AtomicU64]>,
}

impl Default for LatencyHistogram {
    fn default() -> LatencyHistogram {
        LatencyHistogram {
            counts: (0..COUNTS_LEN).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

fn bucket_index(value: u64) -> u32 {
    // The position of the highest bit, with values below the first
    // bucket's range sharing bucket 0.
    (64 - (value | SUB_BUCKET_MASK).leading_zeros()) - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

fn sub_bucket_index(value: u64, bucket: u32) -> u64 {
    value >> bucket
}

fn counts_index(bucket: u32, sub_bucket: u64) -> usize {
    let base = ((bucket as u64 + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) as usize;
    base + (sub_bucket as usize) - SUB_BUCKET_HALF_COUNT as usize
}

/// The counter a duration lands in, clamped to the tracked range as
/// Redis's `updateCommandLatencyHistogram` clamps it (a sub-microsecond
/// command counts as 1 ns).
pub fn counts_index_of(nanos: u64) -> usize {
    let value = nanos.clamp(MIN_VALUE, MAX_VALUE);
    let bucket = bucket_index(value);
    counts_index(bucket, sub_bucket_index(value, bucket))
}

fn value_at_index(index: usize) -> u64 {
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index as u64 & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_index(value);
    sub_bucket_index(value, bucket) << bucket
}

fn equivalent_range(value: u64) -> u64 {
    let bucket = bucket_index(value);
    let adjusted = if sub_bucket_index(value, bucket) >= SUB_BUCKET_COUNT {
        bucket + 1
    } else {
        bucket
    };
    1 << adjusted
}

fn highest_equivalent(value: u64) -> u64 {
    lowest_equivalent(value) + equivalent_range(value) - 1
}

impl LatencyHistogram {
    /// Records one duration, clamped to the tracked range as Redis's
    /// `updateCommandLatencyHistogram` clamps it (a sub-microsecond
    /// command counts as 1 ns).
    pub fn record(&self, nanos: u64) {
        self.counts[counts_index_of(nanos)].fetch_add(1, Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().map(|count| count.load(Relaxed)).sum()
    }

    fn count_at(&self, index: usize) -> u64 {
        self.counts[index].load(Relaxed)
    }

    /// `hdr_value_at_percentile`, in nanoseconds.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        let wanted = (((requested / 100.0) * self.total() as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        let mut value = 0;
        for index in 0..COUNTS_LEN {
            seen += self.count_at(index);
            if seen >= wanted {
                value = value_at_index(index);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// `LATENCY HISTOGRAM`'s buckets: (microseconds, cumulative count),
    /// from HdrHistogram's logarithmic iterator (first bucket 1024 ns,
    /// base 2), keeping only the steps where the count grew, as Redis's
    /// `fillCommandCDF` does.
    pub fn cumulative_buckets(&self) -> Vec<(u64, u64)> {
        let total = self.total();
        let mut out = Vec::new();
        // The iterator's state, as in HdrHistogram's `hdr_iter`.
        let mut index: i64 = -1;
        let mut cumulative = 0;
        let mut value = 0;
        let mut highest = 0;
        let mut level: u64 = 1024;
        let mut level_lowest = lowest_equivalent(level);
        let mut previous = 0;
        loop {
            let has_next = cumulative < total;
            let next_beyond_level =
                index < COUNTS_LEN as i64 && value_at_index((index + 1) as usize) > level_lowest;
            if !has_next && !next_beyond_level {
                break;
            }
            // Move through buckets until one reaches the reporting level.
            let mut reached = false;
            loop {
                if value >= level_lowest {
                    level = level.saturating_mul(2);
                    level_lowest = lowest_equivalent(level);
                    reached = true;
                    break;
                }
                index += 1;
                if index >= COUNTS_LEN as i64 {
                    break;
                }
                cumulative += self.count_at(index as usize);
                value = value_at_index(index as usize);
                highest = highest_equivalent(value);
            }
            if !reached {
                break;
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
        }
        out
    }
}

/// One histogram per command, created on its first call as Redis does,
/// so commands never run cost nothing.
#[derive(Default)]
pub struct CommandHistograms {
    slots: Box<[std::sync::OnceLock<LatencyHistogram>]>,
}

impl CommandHistograms {
    pub fn new(command_count: usize) -> CommandHistograms {
        CommandHistograms {
            slots: (0..command_count)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    pub fn record(&self, command: usize, nanos: u64) {
        if let Some(slot) = self.slots.get(command) {
            slot.get_or_init(LatencyHistogram::default).record(nanos);
        }
    }

    /// Adds `count` calls to one counter ([`counts_index_of`]) of the
    /// command's histogram.
    pub fn add(&self, command: usize, index: usize, count: u64) {
        if let Some(slot) = self.slots.get(command) {
            if let Some(counter) = slot
                .get_or_init(LatencyHistogram::default)
                .counts
                .get(index)
            {
                counter.fetch_add(count, Relaxed);
            }
        }
    }

    /// The command's histogram, if it ever recorded a call since the last
    /// reset.
    pub fn get(&self, command: usize) -> Option<&LatencyHistogram> {
        self.slots
            .get(command)?
            .get()
            .filter(|histogram| histogram.total() > 0)
    }

    /// `CONFIG RESETSTAT`: Redis frees the histograms; zeroed counters
    /// read the same (a command without calls is not listed).
    pub fn reset(&self) {
        for histogram in self.slots.iter().filter_map(|slot| slot.get()) {
            for count in histogram.counts.iter() {
                count.store(0, Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr_histogram_for_redis_parameters() {
        assert_eq!(BUCKET_COUNT, 23);
        assert_eq!(COUNTS_LEN, 3072);
        assert_eq!(highest_equivalent(1), 1);
        assert_eq!(highest_equivalent(1000), 1003);
        assert_eq!(highest_equivalent(8000), 8031);
        assert_eq!(highest_equivalent(56_000), 56_063);
    }

    #[test]
    fn percentiles_read_as_redis_prints_them() {
        // Values seen on redis-server 7.0: one 8 us SET reads p50=8.031.
        let h = LatencyHistogram::default();
        h.record(8000);
        assert_eq!(h.value_at_percentile(50.0), 8031);
        let h = LatencyHistogram::default();
        for _ in 0..2 {
            h.record(56_000);
        }
        h.record(133_000);
        assert_eq!(h.value_at_percentile(50.0), 56_063);
        assert_eq!(h.value_at_percentile(99.0), 133_119);
        let h = LatencyHistogram::default();
        h.record(0);
        assert_eq!(h.value_at_percentile(50.0), 1);
    }

    #[test]
    fn cumulative_buckets_follow_the_logarithmic_iterator() {
        // redis-server 7.0: SET at 8 us -> {8: 1}; INFO at 56, 56, 133 us
        // -> {66: 2, 264: 3}; CONFIG GET at 14 us -> {16: 1}.
        let h = LatencyHistogram::default();
        h.record(8000);
        assert_eq!(h.cumulative_buckets(), [(8, 1)]);
        let h = LatencyHistogram::default();
        h.record(56_000);
        h.record(56_000);
        h.record(133_000);
        assert_eq!(h.cumulative_buckets(), [(66, 2), (264, 3)]);
        let h = LatencyHistogram::default();
        h.record(14_000);
        assert_eq!(h.cumulative_buckets(), [(16, 1)]);
        let h = LatencyHistogram::default();
        h.record(0);
        h.record(1000);
        h.record(3000);
        assert_eq!(h.cumulative_buckets(), [(1, 2), (4, 3)]);
        let h = LatencyHistogram::default();
        h.record(5_000_000_000);
        assert_eq!(h.total(), 1);
        // HdrHistogram's iterator runs out of buckets before the 2^30 ns
        // reporting level, so Redis lists nothing for the slowest bucket.
        assert_eq!(h.cumulative_buckets(), []);
        assert_eq!(h.value_at_percentile(50.0), highest_equivalent(MAX_VALUE));
    }
}
