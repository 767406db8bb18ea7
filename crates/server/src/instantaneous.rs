//! INFO's `instantaneous_*` figures, as Redis's `trackInstantaneousMetric`
//! computes them: every 100 ms the cron samples a counter's rate per
//! second since the last sample, and the figure is the mean of the last
//! 16 samples (so it follows the load over about 1.6 s).

use parking_lot::Mutex;

/// Samples kept per metric (Redis's `STATS_METRIC_SAMPLES`).
const SAMPLES: usize = 16;
/// How often the cron samples (Redis's `run_with_period(100)`).
pub const PERIOD_MS: i64 = 100;

/// The metrics, in the order of [`Instantaneous::sample`]'s readings.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    Commands = 0,
    NetInput = 1,
    NetOutput = 2,
}

#[derive(Default)]
struct Track {
    samples: [u64; SAMPLES],
    next: usize,
    last_ms: i64,
    last_count: u64,
}

/// The sampled rates of every metric.
#[derive(Default)]
pub struct Instantaneous {
    tracks: Mutex<[Track; 3]>,
}

impl Instantaneous {
    /// Records each metric's rate since the last call; `readings` are the
    /// current counter values in [`Metric`] order. Calls closer together
    /// than [`PERIOD_MS`] are ignored.
    pub fn sample(&self, now_ms: i64, readings: [u64; 3]) {
        let mut tracks = self.tracks.lock();
        // A few milliseconds early is the timer's jitter, not a new period.
        if now_ms - tracks[0].last_ms < PERIOD_MS - 5 {
            return;
        }
        for (track, reading) in tracks.iter_mut().zip(readings) {
            let elapsed = now_ms - track.last_ms;
            let delta = reading.saturating_sub(track.last_count);
            track.samples[track.next] = if elapsed > 0 {
                delta * 1000 / elapsed as u64
            } else {
                0
            };
            track.next = (track.next + 1) % SAMPLES;
            track.last_ms = now_ms;
            track.last_count = reading;
        }
    }

    /// The mean of a metric's samples, per second.
    pub fn get(&self, metric: Metric) -> u64 {
        let tracks = self.tracks.lock();
        tracks[metric as usize].samples.iter().sum::<u64>() / SAMPLES as u64
    }

    /// CONFIG RESETSTAT: no samples, counting from zero again.
    pub fn reset(&self, now_ms: i64) {
        let mut tracks = self.tracks.lock();
        for track in tracks.iter_mut() {
            *track = Track {
                last_ms: now_ms,
                ..Track::default()
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_average_the_last_sixteen_samples() {
        let inst = Instantaneous::default();
        inst.reset(0);
        // 1000 commands every 100 ms: 10,000 a second, once the samples fill.
        for step in 1..=16u64 {
            inst.sample(step as i64 * 100, [step * 1000, step * 2048, 0]);
        }
        assert_eq!(inst.get(Metric::Commands), 10_000);
        assert_eq!(inst.get(Metric::NetInput), 20_480);
        assert_eq!(inst.get(Metric::NetOutput), 0);
        // Too soon after the last sample: ignored.
        inst.sample(1650, [1_000_000, 0, 0]);
        assert_eq!(inst.get(Metric::Commands), 10_000);
        // Idle for 16 samples: back to zero.
        for step in 17..=32u64 {
            inst.sample(step as i64 * 100, [16_000, 16 * 2048, 0]);
        }
        assert_eq!(inst.get(Metric::Commands), 0);
        inst.reset(5000);
        assert_eq!(inst.get(Metric::NetInput), 0);
    }
}
