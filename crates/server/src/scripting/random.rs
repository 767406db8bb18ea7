//! `math.random` as Redis replaces it: the rand48 generator from Redis's
//! `rand.c`, one state for the whole server (never reseeded between
//! scripts, so a fresh server produces the same sequence as Redis does).

/// The 48-bit linear congruential generator of `drand48`.
pub struct Rand48 {
    x: u64,
}

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// `REDIS_LRAND48_MAX`.
pub const LRAND48_MAX: i64 = i32::MAX as i64;

impl Default for Rand48 {
    /// Redis's compiled-in initial state (X0, X1, X2 of rand.c).
    fn default() -> Self {
        Rand48 {
            x: 0x1234_ABCD_330E,
        }
    }
}

impl Rand48 {
    /// `redisLrand48`: the next 31-bit value.
    pub fn next_value(&mut self) -> i64 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        (self.x >> 17) as i64
    }

    /// `redisSrand48`.
    pub fn seed(&mut self, seed: i32) {
        self.x = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// The `r` of Redis's `math.random`: in [0, 1).
    pub fn fraction(&mut self) -> f64 {
        (self.next_value() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::Rand48;

    #[test]
    fn first_values_of_a_fresh_server_match_redis() {
        let mut rand = Rand48::default();
        // A fresh redis-server answers 397 to `return math.random(1000)`.
        assert_eq!((rand.fraction() * 1000.0).floor() as i64 + 1, 397);
    }
}
