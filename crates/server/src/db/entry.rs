//! One stored key: name, value, expiry and access metadata.

use super::small_bytes::SmallBytes;
use super::value::Value;

/// Marks an entry without a TTL; real expiry times are always positive.
const NO_EXPIRY: i64 = i64::MIN;
/// Marks an entry absent from the volatile index.
pub const NOT_VOLATILE: u32 = u32::MAX;

/// A key with everything Redis keeps about it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Inline when short, as most key names are: a heap block per key
    /// would cost more than the 8 bytes this takes beyond a box.
    pub(super) key: SmallBytes,
    pub value: Value,
    expire_at_ms: i64,
    /// Position in the database's list of keys with a TTL, so removing
    /// the TTL is O(1).
    pub(super) volatile_pos: u32,
    /// LRU/LFU word, see [`super::access`].
    pub(super) access: u32,
}

impl Entry {
    /// The LRU clock or LFU word Redis keeps in `robj.lru` (`lru:` of
    /// DEBUG OBJECT).
    pub fn access_word(&self) -> u32 {
        self.access
    }

    pub fn new(key: &[u8], value: Value, access: u32) -> Entry {
        Entry {
            key: key.into(),
            value,
            expire_at_ms: NO_EXPIRY,
            volatile_pos: NOT_VOLATILE,
            access,
        }
    }

    /// The same entry under another name (RENAME keeps value, TTL and
    /// access data).
    pub fn renamed(mut self, key: &[u8]) -> Entry {
        self.key = key.into();
        self
    }

    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// What the key name occupies: the entry itself, plus a heap block
    /// only when the name is too long to sit inline.
    #[cfg(test)]
    fn key_is_inline(&self) -> bool {
        matches!(self.key, SmallBytes::Inline { .. })
    }

    /// Absolute expiry time in milliseconds, if the key has a TTL.
    pub fn expire_at(&self) -> Option<i64> {
        (self.expire_at_ms != NO_EXPIRY).then_some(self.expire_at_ms)
    }

    pub(super) fn set_expire_at(&mut self, at_ms: Option<i64>) {
        self.expire_at_ms = at_ms.unwrap_or(NO_EXPIRY);
    }

    /// What an RDB file records about the key's accesses under `policy`
    /// (`rdbSaveKeyValuePair`): the idle seconds under LRU policies, the
    /// decayed counter under LFU ones, nothing otherwise.
    pub fn access_record(
        &self,
        policy: super::evict::Policy,
        lfu: super::LfuParams,
        now_ms: i64,
    ) -> (Option<u64>, Option<u8>) {
        if policy.is_lfu() {
            (
                None,
                Some(super::access::decayed_counter(self.access, lfu, now_ms)),
            )
        } else if policy.is_lru() {
            let idle = super::access::idle_seconds(self.access, now_ms).max(0) as u64;
            (Some(idle), None)
        } else {
            (None, None)
        }
    }

    /// Whether the key's TTL has passed at `now_ms` (Redis deletes a key
    /// once `now > when`).
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at().is_some_and(|at| at < now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_need_no_heap_block() {
        assert_eq!(std::mem::size_of::<Entry>(), 64);
        assert_eq!(std::mem::size_of::<Option<Entry>>(), 64);
        let short = Entry::new(b"user:1234567", Value::integer(1), 0);
        assert!(short.key_is_inline());
        assert_eq!(short.key(), b"user:1234567");
        let long = short.renamed(&[b'k'; 40]);
        assert!(!long.key_is_inline());
        assert_eq!(long.key(), &[b'k'; 40][..]);
    }
}
