//! `maxmemory` eviction: the policies and Redis's eviction pool.
//!
//! Like Redis, eviction approximates its policy by sampling instead of
//! keeping keys ordered: each round samples `maxmemory-samples` keys of
//! every database (all keys, or only those with a TTL for `volatile-*`),
//! scores them (idle time for LRU, `255 - counter` for LFU, how soon the
//! key expires for TTL) and merges them into a small pool of the best
//! candidates seen so far, which survives between calls so that good
//! candidates accumulate. The best live candidate of the pool is deleted.
//! The random policies pick a random key of the next database in turn.
//! The work per evicted key is bounded by `databases * samples`, whatever
//! the size of the dataset.
//!
//! `maxmemory-eviction-tenacity` bounds the time one call may spend; when
//! it runs out while memory is still above the limit the call reports
//! [`EvictResult::Running`] and the server's cron goes on evicting, as
//! Redis's eviction time proc does.

use super::{access, Keyspace};
use rand::Rng;
use std::time::Instant;

/// `EVPOOL_SIZE`.
const POOL_SIZE: usize = 16;
/// The elapsed time is checked every this many evicted keys, as in Redis.
const TIME_CHECK_EVERY: u64 = 16;

/// Which keys may be evicted, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// The policy of a `maxmemory-policy` name (case-insensitive).
    pub fn parse(name: &str) -> Policy {
        match name.to_ascii_lowercase().as_str() {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// The LFU family: access data is a frequency counter, and RDB files
    /// carry it.
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    /// The LRU family (`MAXMEMORY_FLAG_LRU`): RDB files carry each key's
    /// idle time.
    pub fn is_lru(self) -> bool {
        matches!(self, Policy::AllKeysLru | Policy::VolatileLru)
    }

    /// Whether only keys with a TTL are candidates.
    fn volatile_only(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// The `maxmemory*` directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictionConfig {
    /// Bytes; 0 means no limit.
    pub maxmemory: u64,
    pub policy: Policy,
    pub samples: usize,
    pub tenacity: u32,
}

impl Default for EvictionConfig {
    fn default() -> Self {
        EvictionConfig {
            maxmemory: 0,
            policy: Policy::NoEviction,
            samples: 5,
            tenacity: 10,
        }
    }
}

impl EvictionConfig {
    /// `evictionTimeLimitUs`: linear up to 500 µs at tenacity 10, then 15%
    /// more per step, unlimited at 100.
    fn time_limit_us(&self) -> Option<u64> {
        match self.tenacity {
            t if t <= 10 => Some(50 * u64::from(t)),
            t if t < 100 => Some((500.0 * 1.15f64.powi(t as i32 - 10)) as u64),
            _ => None,
        }
    }
}

/// The outcome of [`Keyspace::perform_evictions`] (Redis's `EVICT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictResult {
    /// Memory is under the limit (or there is no limit).
    Ok,
    /// Still over the limit, but eviction goes on in the background.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// One candidate: a higher score is a better victim.
#[derive(Debug, Clone)]
struct Candidate {
    score: u64,
    db: usize,
    key: Box<[u8]>,
}

/// The best candidates seen so far, ordered by ascending score.
#[derive(Debug, Default)]
pub struct EvictionPool {
    entries: Vec<Candidate>,
}

impl EvictionPool {
    /// `evictionPoolPopulate`'s insertion: keep the pool sorted and drop
    /// the worst entry when it is full.
    fn offer(&mut self, candidate: Candidate) {
        if self
            .entries
            .iter()
            .any(|c| c.db == candidate.db && c.key == candidate.key)
        {
            return;
        }
        let at = self.entries.partition_point(|c| c.score < candidate.score);
        if self.entries.len() < POOL_SIZE {
            self.entries.insert(at, candidate);
        } else if at > 0 {
            self.entries.remove(0);
            self.entries.insert(at - 1, candidate);
        }
    }

    fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl Keyspace {
    /// Evicts keys until `used` is at most `maxmemory`, per the policy.
    /// `used` (the allocator's count in the server; a model in tests) is
    /// asked again after every deletion, so the loop stops as soon as
    /// enough was freed.
    pub fn perform_evictions(
        &mut self,
        used: &dyn Fn(&Keyspace) -> u64,
        now_ms: i64,
    ) -> EvictResult {
        let config = self.eviction;
        if config.maxmemory == 0 || used(self) <= config.maxmemory {
            self.eviction_running = false;
            return EvictResult::Ok;
        }
        if config.policy == Policy::NoEviction {
            return EvictResult::Fail;
        }
        let started = Instant::now();
        let time_limit = config.time_limit_us();
        let mut freed: u64 = 0;
        while used(self) > config.maxmemory {
            let Some((db, slot)) = self.pick_victim(config, now_ms) else {
                self.eviction_running = false;
                return EvictResult::Fail;
            };
            self.evict_slot(db, slot);
            freed += 1;
            if freed.is_multiple_of(TIME_CHECK_EVERY) {
                if let Some(limit) = time_limit {
                    if started.elapsed().as_micros() as u64 > limit {
                        self.eviction_running = true;
                        return EvictResult::Running;
                    }
                }
            }
        }
        self.eviction_running = false;
        EvictResult::Ok
    }

    /// Deletes an evicted key the way Redis does: counted, watches broken,
    /// `evicted` raised, and the deletion stated to the AOF
    /// (`propagateDeletion`), so the key does not come back on restart.
    fn evict_slot(&mut self, db: usize, slot: u32) {
        let Some(entry) = self.dbs[db].remove_slot(slot) else {
            return;
        };
        self.evicted_keys += 1;
        if !self.watch.is_empty() {
            self.watch.touch(db, entry.key(), false);
        }
        if !self.tracking.is_empty() {
            self.invalidate_tracked_deleted(entry.key());
        }
        self.notify(
            moat_config::NotifyFlags::EVICTED,
            "evicted",
            db,
            entry.key(),
        );
        // UNLINK under `lazyfree-lazy-eviction`, as `performEvictions`.
        self.propagate.push(
            db,
            vec![
                super::deletion_word(self.lazyfree_lazy_eviction),
                bytes::Bytes::copy_from_slice(entry.key()),
            ],
        );
    }

    /// The next key to evict, as `(db, slot)`; `None` when no database
    /// holds a candidate.
    fn pick_victim(&mut self, config: EvictionConfig, now_ms: i64) -> Option<(usize, u32)> {
        let volatile = config.policy.volatile_only();
        let has_candidates = |ks: &Keyspace| {
            ks.dbs.iter().any(|db| {
                if volatile {
                    db.volatile_len() > 0
                } else {
                    !db.is_empty()
                }
            })
        };
        let mut rng = rand::thread_rng();
        if config.policy.random() {
            let databases = self.dbs.len();
            for _ in 0..databases {
                let index = self.next_evict_db % databases;
                self.next_evict_db = (index + 1) % databases;
                let db = &self.dbs[index];
                let slot = if volatile {
                    db.random_volatile_slot(&mut rng)
                } else {
                    db.random_slot(&mut rng)
                };
                if let Some(slot) = slot {
                    return Some((index, slot));
                }
            }
            return None;
        }
        while has_candidates(self) {
            self.populate_pool(config, now_ms, &mut rng);
            while let Some(candidate) = self.pool.pop_best() {
                let db = &self.dbs[candidate.db];
                // A pooled key may have been deleted (or lost its TTL)
                // since it was sampled: such ghosts are skipped.
                let Some(slot) = db.find(&candidate.key) else {
                    continue;
                };
                if volatile && db.entry(slot).and_then(|e| e.expire_at()).is_none() {
                    continue;
                }
                return Some((candidate.db, slot));
            }
        }
        None
    }

    /// Samples every database into the pool.
    fn populate_pool(&mut self, config: EvictionConfig, now_ms: i64, rng: &mut impl Rng) {
        let volatile = config.policy.volatile_only();
        let lfu = self.lfu;
        for (index, db) in self.dbs.iter().enumerate() {
            for _ in 0..config.samples {
                let slot = if volatile {
                    db.random_volatile_slot(rng)
                } else {
                    db.random_slot(rng)
                };
                let Some(entry) = slot.and_then(|s| db.entry(s)) else {
                    break;
                };
                let score = match config.policy {
                    Policy::AllKeysLfu | Policy::VolatileLfu => {
                        255 - u64::from(access::decayed_counter(entry.access, lfu, now_ms))
                    }
                    Policy::VolatileTtl => {
                        u64::MAX - entry.expire_at().unwrap_or(i64::MAX).max(0) as u64
                    }
                    _ => access::idle_seconds(entry.access, now_ms).max(0) as u64 * 1000,
                };
                self.pool.offer(Candidate {
                    score,
                    db: index,
                    key: entry.key().into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;

    /// Memory modelled as 100 bytes per key, so tests need no allocator.
    fn keyspace(policy: Policy, max_keys: u64) -> Keyspace {
        let mut ks = Keyspace::new(2);
        ks.eviction = EvictionConfig {
            maxmemory: max_keys * 100,
            policy,
            samples: 5,
            tenacity: 100,
        };
        ks
    }

    fn used(ks: &Keyspace) -> u64 {
        ks.total_keys() as u64 * 100
    }

    fn evict(ks: &mut Keyspace, now_ms: i64) -> EvictResult {
        ks.perform_evictions(&used, now_ms)
    }

    #[test]
    fn evictions_are_unlink_under_lazyfree_lazy_eviction() {
        for (lazy, command) in [(false, "DEL"), (true, "UNLINK")] {
            let mut ks = keyspace(Policy::AllKeysLru, 0);
            ks.eviction.maxmemory = 1;
            ks.propagate.enabled = true;
            ks.lazyfree_lazy_eviction = lazy;
            // Expiry's option does not apply to eviction.
            ks.lazyfree_lazy_expire = !lazy;
            ks.view(0, 0).set(b"k", Value::string(b"v"), false);
            assert_eq!(evict(&mut ks, 0), EvictResult::Ok);
            let stated: Vec<_> = ks.propagate.take().into_iter().map(|op| op.argv).collect();
            assert_eq!(stated, [vec![super::super::word(command), "k".into()]]);
        }
    }

    #[test]
    fn noeviction_fails_and_keeps_keys() {
        let mut ks = keyspace(Policy::NoEviction, 5);
        for n in 0..10 {
            ks.view(0, 0)
                .set(format!("k{n}").as_bytes(), Value::string(b"v"), false);
        }
        assert_eq!(evict(&mut ks, 0), EvictResult::Fail);
        assert_eq!(ks.total_keys(), 10);
        assert_eq!(ks.evicted_keys, 0);
    }

    #[test]
    fn volatile_policies_never_touch_persistent_keys() {
        for policy in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let mut ks = keyspace(policy, 5);
            for n in 0..10 {
                let key = format!("k{n}");
                ks.view(n % 2, 0)
                    .set(key.as_bytes(), Value::string(b"v"), false);
                if n < 3 {
                    let slot = ks.db(n % 2).find(key.as_bytes()).unwrap();
                    ks.db(n % 2).set_expire(slot, Some(1_000_000 + n as i64));
                }
            }
            assert_eq!(evict(&mut ks, 0), EvictResult::Fail, "{policy:?}");
            assert_eq!(ks.total_keys(), 7, "{policy:?}");
            assert_eq!(ks.evicted_keys, 3, "{policy:?}");
        }
    }

    #[test]
    fn volatile_ttl_evicts_the_soonest_expiring_first() {
        let mut ks = keyspace(Policy::VolatileTtl, 90);
        for n in 0..100i64 {
            let key = format!("k{n}");
            ks.view(0, 0)
                .set(key.as_bytes(), Value::string(b"v"), false);
            let slot = ks.db(0).find(key.as_bytes()).unwrap();
            ks.db(0).set_expire(slot, Some(1_000_000 + n * 1000));
        }
        assert_eq!(evict(&mut ks, 0), EvictResult::Ok);
        assert_eq!(ks.total_keys(), 90);
        // Sampling is approximate: the evicted keys are mostly early ones.
        let early_gone = (0..30)
            .filter(|n| ks.db(0).find(format!("k{n}").as_bytes()).is_none())
            .count();
        assert!(
            early_gone >= 7,
            "only {early_gone} of the 10 evicted were early"
        );
    }

    #[test]
    fn allkeys_lru_prefers_idle_keys() {
        let mut ks = keyspace(Policy::AllKeysLru, 100);
        for n in 0..200 {
            ks.view(0, 0)
                .set(format!("k{n}").as_bytes(), Value::string(b"v"), false);
        }
        // The second half is touched 100 seconds later.
        for n in 100..200 {
            ks.view(0, 100_000)
                .lookup(format!("k{n}").as_bytes(), crate::db::Access::Read);
        }
        assert_eq!(evict(&mut ks, 100_000), EvictResult::Ok);
        let recent = (100..200)
            .filter(|n| ks.db(0).find(format!("k{n}").as_bytes()).is_some())
            .count();
        // 100 of the 200 keys go. Sampled LRU keeps 90-99 of the recent
        // ones (89 once in a few hundred runs); random eviction would keep
        // about 50.
        assert!(recent >= 85, "only {recent} recently used keys survived");
    }

    #[test]
    fn pool_keeps_the_best_candidates() {
        let mut pool = EvictionPool::default();
        for score in 0..40u64 {
            pool.offer(Candidate {
                score: (score * 7) % 40,
                db: 0,
                key: score.to_string().into_bytes().into(),
            });
        }
        assert_eq!(pool.entries.len(), POOL_SIZE);
        assert_eq!(pool.pop_best().unwrap().score, 39);
        assert_eq!(pool.entries[0].score, 24);
    }

    #[test]
    fn a_spent_time_budget_leaves_the_rest_to_the_cron() {
        let mut ks = keyspace(Policy::AllKeysRandom, 10);
        ks.eviction.tenacity = 0;
        for n in 0..100 {
            ks.view(0, 0)
                .set(format!("k{n}").as_bytes(), Value::string(b"v"), false);
        }
        // Tenacity 0 allows no time: one batch of evictions, then Running.
        assert_eq!(evict(&mut ks, 0), EvictResult::Running);
        assert_eq!(ks.evicted_keys, TIME_CHECK_EVERY);
        assert!(ks.eviction_running);
        while evict(&mut ks, 0) == EvictResult::Running {}
        assert_eq!(ks.total_keys(), 10);
        assert!(!ks.eviction_running);
    }

    #[test]
    fn tenacity_time_limits() {
        let limit = |tenacity| {
            EvictionConfig {
                tenacity,
                ..EvictionConfig::default()
            }
            .time_limit_us()
        };
        assert_eq!(limit(0), Some(0));
        assert_eq!(limit(10), Some(500));
        assert_eq!(limit(11), Some(575));
        assert_eq!(limit(100), None);
    }
}
