//! The size thresholds that decide when a small, compactly stored
//! collection switches to its big representation, with Redis 7.2's
//! defaults. `OBJECT ENCODING` reports the outcome, and clients and tests
//! rely on it, so moat switches exactly where Redis does. The defaults
//! are Redis's compiled-in ones (`config.c`), which is what a server
//! started without a config file uses: note `hash-max-listpack-entries`
//! is 512 there, while the sample `redis.conf` sets 128.

/// `*-max-listpack-*`, `set-max-intset-entries`, `list-max-listpack-size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: elements per list node; -1..-5: node size of 4..64 KB.
    pub list_max_listpack_size: i64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
        }
    }
}

/// Redis's `optimization_level` byte limits for negative
/// `list-max-listpack-size` values.
const LIST_NODE_BYTES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Redis's `SIZE_SAFETY_LIMIT`: a node never grows past this under a
/// count limit.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// The configuration directives [`Thresholds`] reads.
pub const THRESHOLD_DIRECTIVES: &[&str] = &[
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "set-max-intset-entries",
    "set-max-listpack-entries",
    "set-max-listpack-value",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "list-max-listpack-size",
];

impl Thresholds {
    /// The thresholds a configuration sets; `get` reads an integer
    /// directive, and missing ones keep their defaults.
    pub fn from_config(get: impl Fn(&str) -> Option<i64>) -> Thresholds {
        let d = Thresholds::default();
        let size = |name: &str, default: usize| {
            get(name).map_or(default, |n| usize::try_from(n).unwrap_or(0))
        };
        Thresholds {
            hash_max_listpack_entries: size(THRESHOLD_DIRECTIVES[0], d.hash_max_listpack_entries),
            hash_max_listpack_value: size(THRESHOLD_DIRECTIVES[1], d.hash_max_listpack_value),
            set_max_intset_entries: size(THRESHOLD_DIRECTIVES[2], d.set_max_intset_entries),
            set_max_listpack_entries: size(THRESHOLD_DIRECTIVES[3], d.set_max_listpack_entries),
            set_max_listpack_value: size(THRESHOLD_DIRECTIVES[4], d.set_max_listpack_value),
            zset_max_listpack_entries: size(THRESHOLD_DIRECTIVES[5], d.zset_max_listpack_entries),
            zset_max_listpack_value: size(THRESHOLD_DIRECTIVES[6], d.zset_max_listpack_value),
            list_max_listpack_size: get(THRESHOLD_DIRECTIVES[7])
                .unwrap_or(d.list_max_listpack_size),
        }
    }

    /// `quicklistNodeLimit`: the byte and count limits of one list node.
    fn list_node_limits(&self) -> (usize, usize) {
        let fill = self.list_max_listpack_size;
        if fill >= 0 {
            (
                usize::MAX,
                usize::try_from(fill).unwrap_or(usize::MAX).max(1),
            )
        } else {
            let level = usize::try_from(-(fill + 1)).unwrap_or(0).min(4);
            (LIST_NODE_BYTES[level], usize::MAX)
        }
    }

    /// `quicklistNodeExceedsLimit`: whether a list of `bytes` listpack
    /// bytes and `count` elements is too big for one listpack. With
    /// `shrinking`, the limits are halved, as Redis does before turning a
    /// quicklist back into a listpack (hysteresis against flapping).
    pub fn list_exceeds(&self, bytes: usize, count: usize, shrinking: bool) -> bool {
        let halve = |n: usize| if shrinking { n / 2 } else { n };
        match self.list_node_limits() {
            (size_limit, _) if size_limit != usize::MAX => bytes > halve(size_limit),
            (_, count_limit) => bytes > SIZE_SAFETY_LIMIT || count > halve(count_limit),
        }
    }
}
