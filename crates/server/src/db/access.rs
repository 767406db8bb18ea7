//! Per-key access metadata for `OBJECT IDLETIME` and `OBJECT FREQ`.
//!
//! Like Redis, one 24-bit field per key serves both eviction families and
//! is read according to the current `maxmemory-policy`: under LRU
//! policies it is a seconds clock of the last access; under LFU ones it
//! packs the minutes clock of the last decrement (16 bits) and a
//! logarithmic access counter (8 bits). Keeping one field keeps keys small
//! and reproduces Redis's documented caveat that switching policy at run
//! time needs a while for the data to adjust.

/// `LRU_CLOCK_MAX`: the seconds clock wraps at 24 bits.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LFU_INIT_VAL`: new keys start here so they are not evicted at once.
pub const LFU_INIT_VAL: u8 = 5;

/// The LFU tuning knobs (`lfu-log-factor`, `lfu-decay-time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LfuParams {
    pub log_factor: u32,
    pub decay_minutes: u32,
}

impl Default for LfuParams {
    fn default() -> Self {
        LfuParams {
            log_factor: 10,
            decay_minutes: 1,
        }
    }
}

fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & u64::from(LRU_CLOCK_MAX)) as u32
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u64 & 0xffff) as u32
}

/// The metadata word of a freshly created key.
pub fn initial(lfu: bool, now_ms: i64) -> u32 {
    if lfu {
        (lfu_minutes(now_ms) << 8) | u32::from(LFU_INIT_VAL)
    } else {
        lru_clock(now_ms)
    }
}

/// The word of a key loaded with an idle time (`objectSetLRUOrLFU`).
pub fn from_idle(idle_secs: u64, now_ms: i64) -> u32 {
    let idle_ms = i64::try_from(idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    lru_clock(now_ms.saturating_sub(idle_ms).max(0))
}

/// The word of a key loaded with an LFU counter.
pub fn from_freq(freq: u8, now_ms: i64) -> u32 {
    (lfu_minutes(now_ms) << 8) | u32::from(freq)
}

/// The metadata word after an access (Redis's `updateLFU` / LRU stamp).
pub fn touched(word: u32, lfu: Option<LfuParams>, now_ms: i64) -> u32 {
    match lfu {
        None => lru_clock(now_ms),
        Some(params) => {
            let counter = decayed_counter(word, params, now_ms);
            let counter = log_increment(counter, params.log_factor, rand::random::<f64>());
            (lfu_minutes(now_ms) << 8) | u32::from(counter)
        }
    }
}

/// Seconds since the last access, for `OBJECT IDLETIME`.
pub fn idle_seconds(word: u32, now_ms: i64) -> i64 {
    let now = lru_clock(now_ms);
    let stamp = word & LRU_CLOCK_MAX;
    let idle = if now >= stamp {
        now - stamp
    } else {
        now + (LRU_CLOCK_MAX - stamp)
    };
    i64::from(idle)
}

/// The counter after decay, for `OBJECT FREQ` (`LFUDecrAndReturn`).
pub fn decayed_counter(word: u32, params: LfuParams, now_ms: i64) -> u8 {
    let last_decrement = (word >> 8) & 0xffff;
    let counter = (word & 0xff) as u8;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= last_decrement {
        now - last_decrement
    } else {
        65535 - last_decrement + now
    };
    let periods = elapsed.checked_div(params.decay_minutes).unwrap_or(0);
    counter.saturating_sub(u8::try_from(periods).unwrap_or(u8::MAX))
}

/// `LFULogIncr`: the more accesses a key has, the less likely one more
/// access increments it; `chance` is uniform in [0, 1).
fn log_increment(counter: u8, log_factor: u32, chance: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let probability = 1.0 / (base * f64::from(log_factor) + 1.0);
    if chance < probability {
        counter + 1
    } else {
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: LfuParams = LfuParams {
        log_factor: 10,
        decay_minutes: 1,
    };

    #[test]
    fn idle_time_counts_seconds_and_wraps() {
        let word = initial(false, 10_000);
        assert_eq!(idle_seconds(word, 10_999), 0);
        assert_eq!(idle_seconds(word, 25_000), 15);
        let near_wrap = initial(false, i64::from(LRU_CLOCK_MAX) * 1000);
        assert_eq!(
            idle_seconds(near_wrap, (i64::from(LRU_CLOCK_MAX) + 3) * 1000),
            2
        );
    }

    #[test]
    fn new_keys_start_at_init_value_and_decay_per_minute() {
        let word = initial(true, 0);
        assert_eq!(decayed_counter(word, PARAMS, 0), LFU_INIT_VAL);
        assert_eq!(decayed_counter(word, PARAMS, 120_000), LFU_INIT_VAL - 2);
        assert_eq!(decayed_counter(word, PARAMS, 3_600_000), 0);
        let no_decay = LfuParams {
            decay_minutes: 0,
            ..PARAMS
        };
        assert_eq!(decayed_counter(word, no_decay, 3_600_000), LFU_INIT_VAL);
    }

    #[test]
    fn increments_get_rarer_as_counter_grows() {
        assert_eq!(log_increment(LFU_INIT_VAL, 10, 0.99), LFU_INIT_VAL + 1);
        assert_eq!(log_increment(LFU_INIT_VAL + 1, 10, 0.5), LFU_INIT_VAL + 1);
        assert_eq!(log_increment(LFU_INIT_VAL + 1, 10, 0.05), LFU_INIT_VAL + 2);
        assert_eq!(log_increment(255, 10, 0.0), 255);
    }

    #[test]
    fn policy_family_is_detected() {
        use crate::db::Policy;
        assert!(Policy::parse("allkeys-lfu").is_lfu());
        assert!(Policy::parse("volatile-lfu").is_lfu());
        assert!(!Policy::parse("allkeys-lru").is_lfu());
        assert!(!Policy::parse("noeviction").is_lfu());
        assert!(Policy::parse("volatile-lru").is_lru());
        assert!(!Policy::parse("allkeys-lfu").is_lru());
    }
}
