//! Wall-clock time, read on every command.
//!
//! Every command reads the time twice, as Redis's `call()` does: its
//! "now" (for expiry) and, after it ran, its duration (for INFO
//! commandstats, the slow log and latency histograms). At a million
//! commands a second, `clock_gettime` is several percent of a core, so
//! the time comes from the processor's time-stamp counter (through
//! `quanta`, which calibrates it and falls back to the monotonic clock
//! where the counter cannot be trusted), a third of the cost.
//!
//! The counter measures elapsed time, not the wall clock, so the offset
//! between the two is taken again from `CLOCK_REALTIME` at most every
//! millisecond: a change of the system clock is seen within one, and the
//! counter's drift never accumulates.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::LazyLock;

/// How long the counter runs between two wall-clock reads.
const RESYNC_US: i64 = 1000;

struct Counter {
    clock: quanta::Clock,
    /// The raw reading that is time 0, so elapsed time fits an i64.
    origin: u64,
}

static COUNTER: LazyLock<Counter> = LazyLock::new(|| {
    let clock = quanta::Clock::new();
    let origin = clock.raw();
    Counter { clock, origin }
});

/// Wall-clock minus counter microseconds, as of the last resync.
static OFFSET_US: AtomicI64 = AtomicI64::new(0);
/// Counter microseconds at the last resync; far in the past at first.
static SYNCED_AT_US: AtomicI64 = AtomicI64::new(i64::MIN / 2);

/// Microseconds since the Unix epoch (Redis's `ustime`).
pub fn now_us() -> i64 {
    let counter = &*COUNTER;
    let elapsed_us = (counter
        .clock
        .delta_as_nanos(counter.origin, counter.clock.raw())
        / 1000) as i64;
    if elapsed_us - SYNCED_AT_US.load(Relaxed) >= RESYNC_US {
        return resync(elapsed_us);
    }
    elapsed_us + OFFSET_US.load(Relaxed)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// Reads the wall clock and records its offset from the counter. Two
/// threads doing so at once store nearly the same values.
#[cold]
fn resync(elapsed_us: i64) -> i64 {
    let wall_us = realtime_us();
    OFFSET_US.store(wall_us - elapsed_us, Relaxed);
    SYNCED_AT_US.store(elapsed_us, Relaxed);
    wall_us
}

/// `CLOCK_REALTIME` in microseconds, without `SystemTime`'s checked
/// conversions.
fn realtime_us() -> i64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_REALTIME always
    // exists, so the call cannot fail (0 is kept if it somehow did).
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    now.tv_sec * 1_000_000 + now.tv_nsec / 1000
}

/// INFO's `monotonic_clock`, in Redis's words for what the counter is
/// (measured once, over 200 µs, the first time INFO asks).
pub fn description() -> &'static str {
    static DESCRIPTION: LazyLock<String> = LazyLock::new(|| {
        let clock = &COUNTER.clock;
        let start = clock.raw();
        let began = std::time::Instant::now();
        while began.elapsed() < std::time::Duration::from_micros(200) {
            std::hint::spin_loop();
        }
        let ticks = clock.raw().wrapping_sub(start);
        let micros = began.elapsed().as_secs_f64() * 1e6;
        match (ticks as f64 / micros).round() as u64 {
            // quanta fell back to the monotonic clock (nanosecond raw reads).
            0 | 1000 => "POSIX clock_gettime".to_owned(),
            rate => format!("X86 TSC @ {rate} ticks/us"),
        }
    });
    &DESCRIPTION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_wall_clock() {
        for _ in 0..1000 {
            let before = realtime_us();
            let now = now_us();
            let after = realtime_us();
            // The counter's drift over one resync period is far below
            // this bound; a wrong scale or offset is far above it.
            assert!(
                now >= before - 1000 && now <= after + 1000,
                "{before} {now} {after}"
            );
        }
    }

    #[test]
    fn follows_elapsed_time() {
        let start = now_us();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let elapsed = now_us() - start;
        assert!((19_000..2_000_000).contains(&elapsed), "{elapsed}");
    }
}
