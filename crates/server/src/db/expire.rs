//! Active expiry: reclaiming keys whose TTL passed while nobody read them.
//!
//! Lazy expiry alone would leave never-read keys in memory forever, so a
//! timer (`hz` times a second) runs [`Keyspace::active_expire_cycle`],
//! Redis's adaptive sampling: per database, sample up to 20 keys that have
//! a TTL and delete the expired ones; if more than a quarter of the sample
//! had expired, the database probably holds many more, so sample again.
//! A budget of sampled keys bounds each call so a huge backlog cannot
//! stall the server; the next call resumes with the database where this
//! one stopped.

use super::Keyspace;

/// Keys sampled per round (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
const KEYS_PER_ROUND: usize = 20;
/// Another round runs while more than this percentage of a round expired.
const REPEAT_ABOVE_PERCENT: usize = 25;

impl Keyspace {
    /// Samples and deletes expired keys, looking at no more than
    /// `budget` keys in total. Returns the number of keys deleted.
    pub fn active_expire_cycle(&mut self, now_ms: i64, budget: usize) -> usize {
        let mut rng = rand::thread_rng();
        let mut remaining = budget;
        let mut deleted = 0;
        let databases = self.dbs.len();
        // Keys are collected only when someone needs to hear of them.
        let wants_keys = !self.watch.is_empty()
            || !self.tracking.is_empty()
            || self.propagate.enabled
            || self
                .notify_flags
                .contains(moat_config::NotifyFlags::EXPIRED);
        let mut expired_keys: Vec<Box<[u8]>> = Vec::new();
        for _ in 0..databases {
            if remaining == 0 {
                break;
            }
            let index = self.next_expire_db % databases;
            self.next_expire_db = (index + 1) % databases;
            loop {
                let db = &mut self.dbs[index];
                let round = KEYS_PER_ROUND.min(db.volatile_len()).min(remaining);
                if round == 0 {
                    break;
                }
                remaining -= round;
                let mut expired = 0;
                let mut ttl_sum: i64 = 0;
                let mut ttl_samples: i64 = 0;
                for _ in 0..round {
                    let Some(slot) = db.random_volatile_slot(&mut rng) else {
                        break;
                    };
                    let Some(at) = db.entry(slot).and_then(|e| e.expire_at()) else {
                        continue;
                    };
                    if at < now_ms {
                        if let Some(entry) = db.remove_slot(slot) {
                            if wants_keys {
                                expired_keys.push(entry.key().into());
                            }
                        }
                        expired += 1;
                    } else {
                        ttl_sum = ttl_sum.saturating_add(at - now_ms);
                        ttl_samples += 1;
                    }
                }
                if ttl_samples > 0 {
                    let average = ttl_sum / ttl_samples;
                    // Redis's smoothing: mostly history, a little of the new sample.
                    db.avg_ttl_ms = if db.avg_ttl_ms == 0 {
                        average
                    } else {
                        (db.avg_ttl_ms / 50) * 49 + average / 50
                    };
                }
                if db.volatile_len() == 0 {
                    db.avg_ttl_ms = 0;
                }
                self.expired_keys += expired as u64;
                deleted += expired;
                for key in expired_keys.drain(..) {
                    // Counted above.
                    self.signal_expired(index, &key);
                }
                if expired * 100 <= round * REPEAT_ABOVE_PERCENT {
                    break;
                }
            }
        }
        deleted
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{Keyspace, Value};

    fn keyspace_with_ttls(expired: usize, live: usize) -> Keyspace {
        let mut ks = Keyspace::new(2);
        let mut db = ks.view(1, 0);
        for n in 0..expired {
            let key = format!("old{n}");
            db.set(key.as_bytes(), Value::string(b"v"), false);
            db.set_expire(key.as_bytes(), 10);
        }
        for n in 0..live {
            let key = format!("live{n}");
            db.set(key.as_bytes(), Value::string(b"v"), false);
            db.set_expire(key.as_bytes(), 1_000_000);
        }
        ks
    }

    #[test]
    fn reclaims_expired_keys_without_reads() {
        let mut ks = keyspace_with_ttls(500, 5);
        let mut total = 0;
        while ks.db(1).len() > 5 {
            let deleted = ks.active_expire_cycle(100, 200);
            assert!(deleted <= 200);
            total += deleted;
        }
        assert_eq!(total, 500);
        assert_eq!(ks.expired_keys, 500);
        assert_eq!(ks.db(1).volatile_len(), 5);
    }

    #[test]
    fn budget_bounds_the_work() {
        let mut ks = keyspace_with_ttls(1000, 0);
        assert!(ks.active_expire_cycle(100, 50) <= 50);
    }

    #[test]
    fn live_keys_feed_the_average_ttl() {
        let mut ks = keyspace_with_ttls(0, 10);
        assert_eq!(ks.active_expire_cycle(0, 100), 0);
        assert_eq!(
            ks.info_keyspace_lines(),
            vec!["db1:keys=10,expires=10,avg_ttl=1000000".to_owned()]
        );
    }
}
