//! Every difference between moat and the reference server that the
//! differential harness accepts, in one place, each with its reason.
//!
//! A difference is a normaliser keyed by command: it rewrites a reply into a
//! form that no longer carries the varying part, and it is applied to the
//! replies of *both* servers before they are compared. Keeping the list
//! here, rather than sprinkled over test scripts, makes the price of each
//! exception visible: whatever a normaliser erases is not checked by the
//! differential tests, so that part must be covered by golden files
//! (which compare moat's exact bytes) instead.
//!
//! Three families exist:
//! * process-dependent values (ids, ports, addresses, timings, run ids);
//! * unspecified orders (hash-table iteration: KEYS, SMEMBERS, HGETALL...);
//! * wording that changed between the reference Redis 7.0.15 installed on
//!   CI machines and the Redis 7.2 behaviour moat implements.

use crate::reply_edit::{
    map_fields, map_items, map_text, map_values, remove_word, sort_items, sort_pairs,
    sort_scan_page, without_fields, without_items,
};
use bytes::Bytes;
use moat_resp::Frame;

/// One accepted difference.
#[derive(Debug, Clone, Copy)]
pub struct AcceptedDifference {
    /// The command it applies to, as Redis names it: `get`, `client|list`
    /// (command and subcommand), or `*` for every reply.
    pub command: &'static str,
    /// Why the difference is acceptable.
    pub reason: &'static str,
    /// Rewrites a reply so that the accepted difference disappears.
    pub normalise: fn(Frame) -> Frame,
}

impl AcceptedDifference {
    /// True when this difference applies to the command `args`.
    pub fn applies_to(&self, args: &[Vec<u8>]) -> bool {
        if self.command == "*" {
            return true;
        }
        let mut parts = self.command.split('|');
        let matches_arg = |wanted: Option<&str>, arg: Option<&Vec<u8>>| match (wanted, arg) {
            (None, _) => true,
            (Some(w), Some(a)) => w.as_bytes().eq_ignore_ascii_case(a),
            (Some(_), None) => false,
        };
        matches_arg(parts.next(), args.first()) && matches_arg(parts.next(), args.get(1))
    }
}

/// An INFO field that Redis 7.2 (and moat) counts otherwise than the
/// 7.0.15 reference in one scenario of
/// `crates/server/tests/differential_info_counters.rs`.
#[derive(Debug, Clone, Copy)]
pub struct InfoCounterDifference {
    pub scenario: &'static str,
    pub field: &'static str,
    /// moat's value, which is 7.2's (`None`: the field is absent); still
    /// checked.
    pub moat: Option<&'static str>,
    pub reason: &'static str,
}

/// The INFO counters of [`InfoCounterDifference`].
pub const INFO_COUNTER_DIFFERENCES: &[InfoCounterDifference] = &[
    InfoCounterDifference {
        scenario: "blocked_clients_counted",
        field: "cmdstat_blpop",
        moat: None,
        reason: "7.2 counts a blocked command's call when it completes (re-run when \
                 served, updateStatsOnUnblock on timeout); 7.0 counted it when it blocked",
    },
    InfoCounterDifference {
        scenario: "blocked_clients_counted",
        field: "cmdstat_bzpopmin",
        moat: None,
        reason: "as cmdstat_blpop: 7.2 counts the call when it completes",
    },
    InfoCounterDifference {
        scenario: "blocked_clients_counted",
        field: "total_commands_processed",
        moat: Some("1"),
        reason: "7.2's call() does not count a command that blocked; it is counted \
                 when it completes (only the control connection's CONFIG RESETSTAT here)",
    },
];

/// A command of `crates/server/tests/differential_keyspace_stats.rs` whose
/// hits, misses or expired keys Redis 7.2 counts otherwise than 7.0.15.
#[derive(Debug, Clone, Copy)]
pub struct KeyspaceStatsDifference {
    pub command: &'static str,
    /// moat's `(keyspace_hits, keyspace_misses, expired_keys)`, still checked.
    pub moat: (u64, u64, u64),
    pub reason: &'static str,
}

/// None so far: 7.0.15 and 7.2 count every non-blocking read path alike.
pub const KEYSPACE_STATS_DIFFERENCES: &[KeyspaceStatsDifference] = &[];

/// A case of `crates/server/tests/differential_dirty.rs` (by its name:
/// the measured commands, or a blocked command `served by` a write, then
/// `after` and the setup, if any) whose `rdb_changes_since_last_save`
/// Redis 7.2 counts otherwise than 7.0.15. The replies are still compared.
#[derive(Debug, Clone, Copy)]
pub struct DirtyDifference {
    pub case: &'static str,
    /// moat's change count, which is 7.2's; still checked.
    pub moat: i64,
    /// moat's last reply (as the test renders it), where 7.2 words it
    /// otherwise too; still checked.
    pub reply: Option<&'static str>,
    pub reason: &'static str,
}

/// Why 7.2 counts a consumer its XCLAIM, XAUTOCLAIM or XREADGROUP created
/// where 7.0.15 counts none.
const CONSUMER_CREATION_COUNTS: &str =
    "7.2 creates the consumer before it claims or reads anything, with \
     streamCreateConsumer's own server.dirty++ (SCC_DEFAULT); 7.0 created it \
     only on a first claim or a served read, uncounted";

/// The counts of [`DirtyDifference`]: each is a consumer XCLAIM, XAUTOCLAIM
/// or XREADGROUP created (Valkey 8.1 counts as moat does).
pub const DIRTY_DIFFERENCES: &[DirtyDifference] = &[
    DirtyDifference {
        case: "XCLAIM x grp c2 0 1-0",
        moat: 1,
        reply: None,
        reason: CONSUMER_CREATION_COUNTS,
    },
    DirtyDifference {
        case: "XAUTOCLAIM x grp c2 0 0",
        moat: 1,
        reply: None,
        reason: CONSUMER_CREATION_COUNTS,
    },
    DirtyDifference {
        case: "XREADGROUP GROUP grp c2 STREAMS x > after XREADGROUP GROUP grp c1 STREAMS x >",
        moat: 1,
        reply: None,
        reason: "7.2 creates (and counts) the consumer before it knows whether there is \
                 anything new to serve; 7.0 created it only to serve, and there is nothing",
    },
    DirtyDifference {
        case: "XCLAIM x grp c2 0 9-0 after XREADGROUP GROUP grp c1 STREAMS x >",
        moat: 1,
        reply: None,
        reason: CONSUMER_CREATION_COUNTS,
    },
    DirtyDifference {
        case: "XCLAIM x grp c2 999999999 1-0 after XREADGROUP GROUP grp c1 STREAMS x >",
        moat: 1,
        reply: None,
        reason: CONSUMER_CREATION_COUNTS,
    },
    DirtyDifference {
        case: "XAUTOCLAIM x grp c2 999999999 0 after XREADGROUP GROUP grp c1 STREAMS x >",
        moat: 1,
        reply: None,
        reason: CONSUMER_CREATION_COUNTS,
    },
    DirtyDifference {
        case: "XCLAIM x grp c2 0 1-0 after XREADGROUP GROUP grp c1 STREAMS x >; XDEL x 1-0",
        moat: 2,
        reply: None,
        reason: "the dropped record of the deleted entry counts in both; the consumer \
                 created counts only in 7.2 (streamCreateConsumer's server.dirty++)",
    },
    DirtyDifference {
        case: "XAUTOCLAIM x grp c2 0 0 JUSTID after XREADGROUP GROUP grp c1 STREAMS x >; XDEL x 1-0 2-0",
        moat: 3,
        reply: None,
        reason: "the two dropped records count in both; the consumer created counts only \
                 in 7.2 (streamCreateConsumer's server.dirty++)",
    },
];

/// Why 7.2 counts what a blocked command does once served where 7.0.15
/// counts only the write that served it.
const SERVED_COMMAND_COUNTS: &str =
    "7.2 serves a blocked command by running it again through call(), which \
     counts its changes as any command's; 7.0 popped for it (or fed it) in \
     serveClientsBlockedOnKey, uncounted";

/// The served blocking commands of [`DirtyDifference`] (Valkey 8.1 counts
/// and replies as moat does).
pub const SERVED_DIRTY_DIFFERENCES: &[DirtyDifference] = &[
    DirtyDifference {
        case: "BLPOP k 5 served by RPUSH k a b",
        moat: 3,
        reply: None,
        reason: SERVED_COMMAND_COUNTS,
    },
    DirtyDifference {
        case: "BRPOP k l2 5 served by LPUSH k a",
        moat: 2,
        reply: None,
        reason: SERVED_COMMAND_COUNTS,
    },
    DirtyDifference {
        case: "BLMOVE k dst LEFT RIGHT 5 served by RPUSH k a b",
        moat: 3,
        reply: None,
        reason: SERVED_COMMAND_COUNTS,
    },
    DirtyDifference {
        case: "BRPOPLPUSH k dst 5 served by RPUSH k a b",
        moat: 3,
        reply: None,
        reason: SERVED_COMMAND_COUNTS,
    },
    DirtyDifference {
        case: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x > served by XADD x 9-0 f v \
               after XGROUP SETID x grp $",
        moat: 3,
        reply: None,
        reason: "the XADD counts, and in 7.2 also the consumer created by the first \
                 attempt and the stream served by the run that follows the XADD",
    },
    DirtyDifference {
        case: "XREADGROUP GROUP grp c9 COUNT 1 NOACK BLOCK 5000 STREAMS x > served by \
               XADD x 9-0 f v after XGROUP SETID x grp $; XGROUP CREATECONSUMER x grp c9",
        moat: 2,
        reply: None,
        reason: SERVED_COMMAND_COUNTS,
    },
    DirtyDifference {
        case: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x > served by XGROUP DESTROY x \
               grp after XGROUP SETID x grp $; XGROUP CREATECONSUMER x grp c9",
        moat: 1,
        reply: Some(
            "Error(b\"NOGROUP No such key 'x' or consumer group 'grp' in XREADGROUP \
             with GROUP option\")",
        ),
        reason: "both count the DESTROY only; 7.2 runs the woken XREADGROUP again, \
                 which answers its usual NOGROUP error, where 7.0 answered \
                 'the consumer group this client was blocked on no longer exists'",
    },
];

/// Raw protocol exchanges of `tests/protocol/cases.txt` (by case name,
/// with the reason) where Redis 7.2 answers otherwise than 7.0.15. None so
/// far: their parsers agree on every deterministic case.
///
/// One difference is not a case, because Redis's side depends on how its
/// 16 KB reads split the input: a line just over 64 KB whose terminator
/// arrives in the same write. Redis may accept it (then answer `invalid
/// multibulk length` / `invalid bulk length`); moat applies the limit as if
/// the bytes came one at a time and answers `too big ... count string`, the
/// answer Redis gives when the terminator comes later. The cases send the
/// terminator in a later write, where both answers are fixed.
pub const PROTOCOL_DIFFERENCES: &[(&str, &str)] = &[];

/// Command declarations that follow Redis 7.2 where the reference 7.0.15
/// differs (`crates/commands/data/redis-7.2-overlay.json`): `COMMAND INFO`
/// and `COMMAND DOCS` of these are not compared with the reference.
pub const COMMAND_TABLE_DELTAS: &[(&str, &str)] = &[
    (
        "blmove",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "blpop",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "brpop",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "brpoplpush",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "bzpopmax",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "bzpopmin",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    ("wait", "7.2 removed NOSCRIPT (#11568)"),
    (
        "zrank",
        "7.2 added WITHSCORE (arity -3, history, arguments)",
    ),
    (
        "zrevrank",
        "7.2 added WITHSCORE (arity -3, history, arguments)",
    ),
    ("waitaof", "new in 7.2"),
    ("client", "7.2 added CLIENT SETINFO and CLIENT NO-TOUCH"),
    ("client|setinfo", "new in 7.2"),
    ("client|no-touch", "new in 7.2"),
    ("cluster", "7.2 added CLUSTER MYSHARDID"),
    ("cluster|myshardid", "new in 7.2"),
];

/// Directives added in Redis 7.2 (absent from 7.0), a `CONFIG GET`
/// difference with the reference 7.0.15.
pub const CONFIG_ONLY_IN_7_2: &[(&str, &str)] = &[
    (
        "cluster-announce-human-nodename",
        "new in 7.2 (cluster node names)",
    ),
    ("locale-collate", "new in 7.2 (SORT/ZSET collation locale)"),
    (
        "set-max-listpack-entries",
        "new in 7.2 (listpack-encoded sets)",
    ),
    (
        "set-max-listpack-value",
        "new in 7.2 (listpack-encoded sets)",
    ),
    (
        "max-new-connections-per-cycle",
        "new in 7.2 (accept rate limiting)",
    ),
    (
        "max-new-tls-connections-per-cycle",
        "new in 7.2 (accept rate limiting)",
    ),
];

/// Directives whose default differs between 7.0 and 7.2 (none known), or
/// that depend on how the process was started.
pub const CONFIG_DIFFERENT_DEFAULTS: &[(&str, &str)] = &[
    ("port", "the reference runs on a random port"),
    (
        "save",
        "started bare (no config file, no --save) moat is in memory: no save points, where \
         redis-server keeps its 3600 1 300 100 60 10000 and writes dump.rdb on shutdown; with \
         a config file the default is Redis's (tests always pass --save explicitly)",
    ),
    ("dir", "the reference runs in a temporary directory"),
    (
        "bind",
        "moat defaults to the stock redis.conf loopback binding (127.0.0.1 -::1), not the compiled-in * -::*, so an open default user is never exposed",
    ),
];

/// Behaviour Redis 7.2 added over the reference 7.0.15 that no normaliser
/// of a reply can reconcile (one server succeeds where the other fails, or
/// frames come in another order), by command. Differential scripts avoid
/// these cases, or (the order of a client's own pushes) read the
/// reference's stream rewritten; moat's unit and end-to-end tests (e.g.
/// `crates/server/tests/e2e_blocking.rs`) and the Valkey scripts cover them.
pub const BEHAVIOUR_ONLY_IN_7_2: &[(&str, &str)] = &[
    (
        "*",
        "a timeout in seconds whose milliseconds pass LLONG_MAX (1e400, inf) is 'ERR \
         timeout is out of range' in 7.2 (7.0: 'timeout is negative'), and so is a CLIENT \
         PAUSE whose deadline would pass it (7.0 accepts it); compared with Valkey 8.1 in \
         tests/differential_valkey/timeouts.txt",
    ),
    (
        "*",
        "a RESP3 push for the client that is running the command (a message it \
         publishes to itself, a keyspace notification of its own change, an invalidation \
         redirected to it) follows that command's reply, and the whole reply of EXEC or \
         EVAL, as in 7.2; Redis 7.0.15, the differential reference, writes it before \
         (inside EXEC's array, for a message). The reference session moves such pushes \
         after the reply (push_order.rs); what 7.0 nests inside EXEC is compared with \
         Valkey 8.1 instead (tests/differential_valkey). After the reply, invalidations \
         redirected to the client come before its own, where 7.2 keeps the order they \
         were raised in (a client both tracking a key and another client's redirect \
         target, changing it)",
    ),
    (
        "client|tracking",
        "7.2 re-runs a blocked command through call() when its key is ready, so a \
         tracking client's woken XREAD (or BLMOVE's read of its source...) remembers the \
         keys it read; 7.0 serves the woken client outside call() and tracks nothing \
         (crates/server/tests/e2e_tracking.rs checks 7.2's behaviour)",
    ),
    (
        "flushall",
        "with save points, 7.2 counts FLUSHALL as one change after its save \
         (rdb_changes_since_last_save 1, as moat); 7.0.15 reports 0. \
         Tested in crates/server/tests/e2e_persistence.rs",
    ),
    (
        "blpop",
        "7.2 re-processes a woken blocked command (#11012): its ACL rules are checked \
         again, so a client that lost the command or the key while blocked gets NOPERM \
         (logged, counted as rejected_calls) where 7.0 serves it",
    ),
    (
        "info|clients",
        "7.2 added total_blocking_keys and total_blocking_keys_on_nokey",
    ),
    (
        "xsetid",
        "7.2 refuses a last id below the stream's max-deleted-entry-id ('ERR The ID specified \
         in XSETID is smaller than current max_deleted_entry_id'), so that ids of deleted \
         entries are never handed out again; 7.0 accepts it",
    ),
    (
        "xreadgroup",
        "7.2 creates the consumer (and refreshes its seen-time) on every read attempt, \
         even one that finds nothing to deliver; 7.0 only when it serves entries",
    ),
    (
        "xclaim",
        "7.2 creates the consumer on every XCLAIM and XAUTOCLAIM, even one that claims \
         nothing; 7.0 only when an entry is claimed",
    ),
    (
        "xread",
        "7.2 refuses a BLOCK timeout that overflows when added to the current time \
         ('ERR timeout is out of range'); 7.0 lets the sum overflow",
    ),
    (
        "xadd",
        "7.2 answers '<ms>-*' on a stream whose top id has the largest sequence for that \
         ms with 'ERR The ID specified in XADD is equal or smaller than the target stream \
         top item'; 7.0 leaves errno unset there and answers 'ERR Elements are too large \
         to be stored'",
    ),
    (
        "restore",
        "7.2 restores payloads that claim RDB version 11 (what 7.2's DUMP writes); 7.0 \
         refuses them as 'ERR DUMP payload version or checksum are wrong'. Tested in \
         persist::rdb::payload and persist::dump",
    ),
];

/// Behaviour where moat differs from redis-server (7.0 or 7.2) on purpose or
/// has not matched it yet, by command or area. No differential script
/// exercises these cases; each is here so the difference is a decision
/// with a reason, not an accident.
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "watch",
        "when a key that was already expired at WATCH time is replaced without expiring first \
         (RESTORE ... REPLACE), Redis 7.x's touchWatchedKey leaves that watch alone, as moat \
         does, and then stops looking at the key's later watchers, so their transactions \
         commit over the change; moat breaks those later watches (crates/server/src/db/watch.rs)",
    ),
    (
        "eval",
        "cjson.encode of a protected library table (cjson.encode(cjson), of _G or string) gives \
         '{}': moat's read-only tables are empty proxies over the real ones, which the encoder \
         does not see through; Redis's tables are the real ones and the encoder fails on their \
         first function ('Cannot serialise function: type not supported')",
    ),
    (
        "command|docs",
        "summaries and arguments' display_text are those of the 7.0.15 table the command \
         metadata is built from: 7.2 reworded most summaries ('Returns the string value of a \
         key.') and added display_text, and no 7.2 table is at hand to copy them from exactly \
         (Valkey 8.1's are its own); flags, arity, key specs, history and arguments follow \
         7.2 (crates/commands/data/redis-7.2-overlay.json)",
    ),
    (
        "protected-mode",
        "the DENIED text uses the later wording of item 4 ('Set up an authentication \
         password'); Redis 7.0 says 'Setup a an'. Only reachable from non-loopback \
         clients, which tests here cannot be",
    ),
    (
        "debug|object",
        "quicklist-encoded lists lack Redis's ql_nodes/ql_avg_node/ql_listpack_max/\
         ql_compressed/ql_uncompressed_size fields: moat's list nodes are not Redis's, \
         so those numbers would be invented",
    ),
    (
        "function|list",
        "libraries, and each library's functions, are listed sorted by name; Redis lists \
         them in its hash tables' order, which its random hash seed changes from run to \
         run (differential scripts list one function per library, the persistence tests \
         sort)",
    ),
    (
        "function|dump",
        "a library longer than 20 bytes is LZF-compressed as Redis does, by the same \
         compressor as RDB files below, so the payload bytes can differ from Redis's \
         while FUNCTION RESTORE reads both",
    ),
    (
        "rdb",
        "LZF-compressed strings come from the `lzf` crate, whose output can be a byte or \
         two longer than Redis's tuned liblzf (DEBUG OBJECT serializedlength differs by \
         as much); both decompress to the same value, so files load either way",
    ),
    (
        "rdb",
        "JSON documents are RedisJSON 2.x's ReJSON-RL module values (encoding version 3, \
         versions 0 and 2 read); a document nested deeper than moat's limit of 127 \
         levels, which RedisJSON's rdb_load accepts (it lifts its parser's depth limit) and \
         its path edits can build, stops the load naming the key, since moat keeps every \
         document within that limit. Checked against RedisJSON's source: no \
         RedisJSON-enabled server here",
    ),
    (
        "rdb",
        "streams are written as type 19 (what 7.0 reads), which has no consumer \
         active-time; after a reload it equals the seen-time, changing XINFO CONSUMERS \
         `inactive`",
    ),
    (
        "dump",
        "the payload claims RDB version 10 where 7.2 writes 11, because its value \
         encodings are version 10's (streams as type 19, sets as plain sets or intsets, \
         never type 20 listpack sets): 7.0 and 7.2 both restore it. Against 7.2, DUMP of \
         small non-integer sets and of streams therefore differs in bytes; against either, \
         strings longer than 20 bytes that LZF shrinks differ by the compressor (see \
         `rdb` below) and sets listed member by member follow moat's member order. \
         tests/differential/dump_restore.txt compares the values whose bytes cannot differ; \
         crates/server/tests/e2e_dump.rs moves every type both ways",
    ),
    (
        "restore",
        "every payload is validated in full whatever sanitize-dump-payload and the user's \
         skip-sanitize-payload say (Redis's `yes`): moat rebuilds the value in its own \
         representation, so a payload Redis would accept unchecked and might crash on \
         later (duplicate listpack fields, a PEL entry without consumer) is 'ERR Bad data \
         format' here",
    ),
    (
        "memory|doctor",
        "of Redis's checks, those on the allocator's own fragmentation and RSS ratios and \
         on replica buffers never fire: moat has no allocator statistics apart from its live \
         bytes and the process RSS (it reports active = resident = RSS, as Redis built \
         without jemalloc does) and no replicas",
    ),
    (
        "memory|usage",
        "sizes are moat's representation's (glibc malloc chunks, moat's tables and \
         B-trees), so they differ from Redis's for the same value; a key that expired but \
         was not yet reclaimed is still sized, as Redis's dbFind does",
    ),
    (
        "net",
        "with no client-output-buffer-limit for normal clients (the default), a pipelined \
         batch whose replies pass 4 MB is written out before the batch goes on, so a client \
         that never reads holds about one reply plus 4 MB; Redis buffers the whole batch",
    ),
    (
        "aof",
        "a new base is named by the format it was written in (.base.rdb or .base.aof); Redis \
         names it by aof-use-rdb-preamble when the rewrite ends, so a CONFIG SET during a \
         rewrite gives it a name that does not match its contents (both load it by its magic)",
    ),
    (
        "aof",
        "an RDB inside an AOF is read only from the first file loaded (the base, or an old \
         single-file AOF's preamble); Redis would also try one at the start of an incr \
         file, which it never writes",
    ),
    (
        "info",
        "every field of the reference's sections is there, in its order \
         (e2e_info_fields), but 7.2's eventloop_* metrics are absent: moat has no single \
         event loop to time. Fields about state moat does not have (forks, replication, \
         active defrag, I/O threads, jemalloc) are zero, and so are some it does not \
         measure: expired_stale_perc, expired_time_cap_reached_count, \
         expire_cycle_cpu_milliseconds, the eviction exceeded times, \
         dump_payload_sanitizations (every RESTORE payload is validated in full) and \
         reply_buffer_*. The allocator figures follow Redis built with libc (active = \
         resident = RSS less Lua's memory); used_cpu_*_main_thread is the worker thread \
         answering INFO; monotonic_clock names the time-stamp counter moat reads; \
         `moat_version` is added to the server section",
    ),
    (
        "client|list",
        "argv-mem, multi-mem, rbs, rbp and obl are constants: moat does not keep Redis's \
         per-client buffers",
    ),
    (
        "eval",
        "Lua has no read-only tables: _G and the library tables are empty stand-ins that \
         read through, so `#`, `pairs(_G)` order and getmetatable differ from Redis",
    ),
    (
        "json.*",
        "compared with RedisJSON 2.6 (no reference server here): a multi-path edit that \
         fails changes nothing (RedisJSON keeps partial edits), integer overflow is \
         'ERR numeric overflow' instead of wrapping, JSON.GET of several paths answers in \
         argument order, and the `ab`-deleted-with-`a` deletion bug is not copied",
    ),
    (
        "migrate",
        "no connection is cached per target between MIGRATEs (Redis keeps one for ten \
         seconds), so SELECT is sent every time and the retry Redis makes on a stale \
         cached socket does not exist; the replies are Redis's (e2e_migrate.rs)",
    ),
    (
        "replicaof",
        "moat does not replicate: REPLICAOF NO ONE is OK (it is a master already), a \
         master address passes Redis's port check and is then refused with an error",
    ),
    (
        "module|load",
        "moat loads no Redis modules (JSON is built in): MODULE LIST is empty, LOAD and \
         LOADEX answer Redis's failed-load error and log why",
    ),
    (
        "latency|histogram",
        "commands are listed in table order, Redis's in hash order",
    ),
];

/// The list. Add to it only with a reason a reviewer would accept.
pub const ACCEPTED_DIFFERENCES: &[AcceptedDifference] = &[
    AcceptedDifference {
        command: "debug|object",
        reason: "the value's address and its LRU clock belong to the process; the \
                 refcount, encoding and serializedlength are compared",
        normalise: |reply| map_text(reply, stable_debug_object_fields),
    },
    AcceptedDifference {
        command: "*",
        reason: "Redis 7.0 words NOPERM errors differently from 7.2 \
                 ('this user has no permissions to run...', '...access one of the keys \
                 used as arguments') and omits the user name, also inside a refused EXEC's \
                 EXECABORT; both forms are reduced to 7.2's wording without the user name, \
                 which golden files check instead",
        normalise: normalise_noperm_wording,
    },
    AcceptedDifference {
        command: "*",
        reason: "a script's ACL denial is worded 'The user executing the script can't run this \
                 command or subcommand' / '... can't access at least one of the keys mentioned \
                 in the command arguments' by Redis 7.0 and 'ACL failure in script: <the NOPERM \
                 text>' by 7.2; both are reduced to a common form without user and command \
                 names, which the scripting e2e test checks verbatim",
        normalise: normalise_script_acl_wording,
    },
    AcceptedDifference {
        command: "function|dump",
        reason: "the payload ends with the RDB version (10 in Redis 7.0, 11 in 7.2) and a \
                 CRC-64 over it; the footer is dropped, the libraries' encoding is compared \
                 (and FUNCTION RESTORE of 7.0 payloads is tested)",
        normalise: |reply| match reply {
            Frame::Bulk(payload) if payload.len() >= 10 => {
                Frame::Bulk(payload.slice(..payload.len() - 10))
            }
            other => other,
        },
    },
    AcceptedDifference {
        command: "latency|histogram",
        reason: "bucket bounds are measured durations, and Redis lists commands in its \
                 hash table's (seeded) order; command names and call counts are compared, \
                 sorted by name, each command's buckets are not",
        normalise: |reply| sorted_pairs(normalise_latency_buckets(reply)),
    },
    AcceptedDifference {
        command: "latency|graph",
        reason: "the graph draws measured latencies and their age; errors are compared",
        normalise: |reply| match reply {
            Frame::Error(_) => reply,
            _ => Frame::Bulk(Bytes::from_static(b"<graph>")),
        },
    },
    AcceptedDifference {
        command: "client|id",
        reason: "connection ids depend on how many connections the process has seen",
        normalise: |_| Frame::Integer(0),
    },
    AcceptedDifference {
        command: "client|getredir",
        reason: "the redirect target is a connection id, which depends on the process \
                 (-1 and 0 stay as they are)",
        normalise: redirect_id,
    },
    AcceptedDifference {
        command: "client|trackinginfo",
        reason: "the redirect target is a connection id (-1 and 0 stay as they are)",
        normalise: |reply| map_fields(reply, &["redirect"], redirect_id),
    },
    AcceptedDifference {
        command: "*",
        reason: "a `tracking-redir-broken` push names the vanished connection by id, which \
                 depends on the process",
        normalise: normalise_redirect_broken,
    },
    AcceptedDifference {
        command: "*",
        reason: "every HELP reply ends with `HELP` / `    Print this help.` in Redis 7.2 \
                 (redis/redis#10965, after 7.0) where 7.0 says `Prints`; the 7.0 footer is \
                 read as 7.2's, and tests/differential_valkey/help.txt compares the 7.2 text",
        normalise: normalise_help_footer,
    },
    AcceptedDifference {
        command: "client|list",
        reason: "ids, addresses, ages, buffer sizes and memory depend on the process; \
                 7.2 added fields (ssub, lib-name, lib-ver) that 7.0 lacks",
        normalise: |reply| map_text(reply, stable_client_fields),
    },
    AcceptedDifference {
        command: "client|info",
        reason: "same as client|list",
        normalise: |reply| map_text(reply, stable_client_fields),
    },
    AcceptedDifference {
        command: "info",
        reason: "every INFO section is process-, version- or time-dependent",
        normalise: |_| Frame::Bulk(Bytes::from_static(b"<INFO>")),
    },
    AcceptedDifference {
        command: "memory|stats",
        reason: "every figure is the process's own (allocator, RSS, tables): values are reduced \
                 to their kind so that field names, order and nesting are compared; Redis 7.0 \
                 adds 'overhead.hashtable.slot-to-keys' to each db map, which 7.2 removed \
                 (#11695). crates/server/tests/e2e_memory.rs checks what the figures measure",
        normalise: memory_stats_kinds,
    },
    AcceptedDifference {
        command: "memory|usage",
        reason: "a key's size is its representation's, which is moat's own (system allocator \
                 chunks, moat's tables): a size is reduced to 'some bytes', nil and errors are \
                 compared; crates/server/tests/e2e_memory.rs checks that it grows with the value",
        normalise: |reply| match reply {
            Frame::Integer(n) if n > 0 => Frame::Integer(1),
            other => other,
        },
    },
    AcceptedDifference {
        command: "memory|malloc-stats",
        reason: "the reference is built with jemalloc and prints its statistics; moat runs on \
                 the system allocator and answers what Redis built without jemalloc answers \
                 ('Stats not supported for the current allocator')",
        normalise: |reply| match reply {
            Frame::Bulk(_) | Frame::Verbatim { .. } => {
                Frame::Bulk(Bytes::from_static(b"<allocator report>"))
            }
            other => other,
        },
    },
    AcceptedDifference {
        command: "hello",
        reason: "the server version and the connection id differ by construction",
        normalise: |reply| map_fields(reply, &["version", "id"], |_| Frame::Bulk(Bytes::new())),
    },
    AcceptedDifference {
        command: "exec",
        reason: "a HELLO queued in MULTI answers inside EXEC's array, with the server version \
                 and connection id that differ by construction",
        normalise: |reply| match reply {
            Frame::Array(items) => Frame::Array(
                items
                    .into_iter()
                    .map(|item| {
                        if is_hello_reply(&item) {
                            map_fields(item, &["version", "id"], |_| Frame::Bulk(Bytes::new()))
                        } else {
                            item
                        }
                    })
                    .collect(),
            ),
            other => other,
        },
    },
    AcceptedDifference {
        command: "acl|list",
        reason: "Redis 7.0 prints `sanitize-payload` only when asked for; 7.2 prints it \
                 for every user",
        normalise: |reply| map_text(reply, |line| remove_word(line, "sanitize-payload")),
    },
    AcceptedDifference {
        command: "acl|getuser",
        reason: "same as acl|list: 7.2 lists the `sanitize-payload` flag for every user",
        normalise: |reply| {
            map_fields(reply, &["flags"], |flags| {
                without_items(flags, |f| {
                    f == &Frame::Bulk(Bytes::from_static(b"sanitize-payload"))
                })
            })
        },
    },
    AcceptedDifference {
        command: "acl|dryrun",
        reason: "Redis 7.0 starts a denial with 'This user has', 7.2 with 'User <name> has'; \
                 both are reduced to 'User <user> has', golden files check the name",
        normalise: |reply| match reply {
            Frame::Bulk(_) => map_text(reply, anonymise_dryrun_denial),
            other => other,
        },
    },
    AcceptedDifference {
        command: "acl|log",
        reason: "ages, timestamps and client details are time- and process-dependent; \
                 entry-id and the timestamps were added in 7.2",
        normalise: normalise_acl_log,
    },
    AcceptedDifference {
        command: "acl|genpass",
        reason: "the password is random; only its length is comparable",
        normalise: |reply| map_text(reply, |text| "x".repeat(text.len())),
    },
    AcceptedDifference {
        command: "acl|cat",
        reason: "the commands of a category come from hash-table iteration, in no \
                 specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "command|list",
        reason: "command names come from hash-table iteration, in no specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "config|get",
        reason: "parameters come in hash-table order; port and dir are per process",
        normalise: |reply| {
            sort_pairs(map_fields(
                reply,
                &["port", "dir", "pidfile", "logfile"],
                |_| Frame::Bulk(Bytes::new()),
            ))
        },
    },
    AcceptedDifference {
        command: "pubsub|channels",
        reason: "active channels come from hash-table iteration, in no specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "pubsub|shardchannels",
        reason: "same as pubsub|channels",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "keys",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "scan",
        reason: "the keys of a SCAN page come in hash-table order, which is unspecified; \
                 the cursor is compared as it is",
        normalise: sort_scan_page,
    },
    AcceptedDifference {
        command: "smembers",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sinter",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sunion",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sdiff",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "spop",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "srandmember",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sscan",
        reason: "Redis 7.0 keeps small non-integer sets in hash tables, 7.2 in listpacks \
                 returned in insertion order: the page's order is unspecified",
        normalise: sort_scan_page,
    },
    AcceptedDifference {
        command: "hkeys",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "hvals",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "hgetall",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_pairs,
    },
    AcceptedDifference {
        command: "pttl",
        reason: "milliseconds pass between the two servers' replies; compared in \
                 rounded seconds, as TTL reports them",
        normalise: |reply| match reply {
            Frame::Integer(ms) if ms > 0 => Frame::Integer((ms + 500) / 1000),
            other => other,
        },
    },
    AcceptedDifference {
        command: "time",
        reason: "the clock moves",
        normalise: |_| Frame::Array(Vec::new()),
    },
    AcceptedDifference {
        command: "lastsave",
        reason: "the servers started at different instants",
        normalise: |_| Frame::Integer(0),
    },
    AcceptedDifference {
        command: "memory|usage",
        reason: "memory accounting depends on the allocator and encodings",
        normalise: |reply| match reply {
            Frame::Integer(_) => Frame::Integer(0),
            other => other,
        },
    },
    AcceptedDifference {
        command: "xread",
        reason: "7.0 words an odd STREAMS list 'Unbalanced XREAD list of streams: ... or '$' \
                 ...', 7.2 names the command and its id symbol ('Unbalanced 'xreadgroup' list \
                 of streams: ... or '>' ...'); both are reduced to a common text",
        normalise: normalise_unbalanced_streams,
    },
    AcceptedDifference {
        command: "xreadgroup",
        reason: "same as xread",
        normalise: normalise_unbalanced_streams,
    },
    AcceptedDifference {
        command: "xpending",
        reason: "the idle time of a pending entry is milliseconds since its delivery, which \
                 differ between the two servers; the extended form is compared without it",
        normalise: |reply| map_items(reply, |entry| zero_item(entry, 2)),
    },
    AcceptedDifference {
        command: "xinfo|consumers",
        reason: "idle times are milliseconds since the consumer's last interaction; 7.2 added \
                 the `inactive` field (time since the last successful interaction), which \
                 7.0 lacks",
        normalise: |reply| {
            map_items(reply, |consumer| {
                let consumer = without_fields(consumer, &["inactive"]);
                map_fields(consumer, &["idle"], |_| Frame::Integer(0))
            })
        },
    },
    AcceptedDifference {
        command: "xinfo|stream",
        reason: "FULL reports delivery and seen times as Unix milliseconds, which differ \
                 between the servers; 7.2 added each consumer's `active-time`, which 7.0 lacks",
        normalise: |reply| {
            map_fields(reply, &["groups"], |groups| {
                map_items(groups, stable_full_group)
            })
        },
    },
];

/// A request on which moat refuses, on purpose, what the reference servers
/// allow. Only ever in that direction: where the reference refuses, moat
/// must refuse too, and tests check that much.
#[derive(Debug, Clone, Copy)]
pub struct StricterCase {
    /// Why moat is stricter.
    pub reason: &'static str,
    /// Whether the request (the command and its arguments, as sent) is one.
    pub applies_to: fn(&[Vec<u8>]) -> bool,
}

/// The list of requests where moat's ACL check is stricter than Redis's.
pub const STRICTER_THAN_REFERENCE: &[StricterCase] = &[StricterCase {
    reason: "GEORADIUS/GEORADIUSBYMEMBER with STORE or STOREDIST given more than once: \
             Redis checks the destination its key specs find (the first occurrence of \
             each keyword) but the command writes to the last one, a known ACL bypass \
             (fixed later in Valkey); moat checks every occurrence",
    applies_to: georadius_with_repeated_store,
}];

/// Whether `request` (argv of the command itself, not of ACL DRYRUN) is
/// one where moat is allowed to refuse what the reference allows.
pub fn moat_is_stricter_on(request: &[Vec<u8>]) -> bool {
    STRICTER_THAN_REFERENCE
        .iter()
        .any(|case| (case.applies_to)(request))
}

fn georadius_with_repeated_store(request: &[Vec<u8>]) -> bool {
    let Some(name) = request.first() else {
        return false;
    };
    let is_georadius = [&b"georadius"[..], b"georadiusbymember"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name));
    let stores = request
        .iter()
        .skip(1)
        .filter(|a| a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"storedist"))
        .count();
    is_georadius && stores > 1
}

/// Differences accepted only where moat is compared with Redis 7.0 on
/// *user descriptions* (the randomised ACL test), not in the differential
/// scripts: erasing them everywhere would stop those scripts from checking
/// command rules at all.
pub const REDIS_7_0_DESCRIPTION_DIFFERENCES: &[AcceptedDifference] = &[
    AcceptedDifference {
        command: "acl|getuser",
        reason: "Redis 7.0 does not retain command rules: it recomputes the `commands` \
                 text from the command bitmap (e.g. `+@all -@hash -@slow +hget -@hash` \
                 comes back as a different, equivalent list), while 7.2 echoes the user's \
                 own normalised rules. The `commands` fields (of the user and of every \
                 selector) are erased; what they mean is compared instead by asking both \
                 servers ACL DRYRUN on many requests, and the text itself is compared \
                 exactly with Valkey 8.1 (7.2 behaviour) when it is installed",
        normalise: without_getuser_command_rules,
    },
    AcceptedDifference {
        command: "acl|list",
        reason: "same as acl|getuser: the `+...`/`-...` command tokens of every selector \
                 are recomputed by 7.0; they are dropped, the flags, passwords, key and \
                 channel patterns and the selector structure are still compared",
        normalise: |reply| map_items(reply, |line| map_text(line, without_list_command_rules)),
    },
];

/// [`normalise`], then the differences of [`REDIS_7_0_DESCRIPTION_DIFFERENCES`].
pub fn normalise_for_redis_7_0_descriptions(args: &[Vec<u8>], reply: Frame) -> Frame {
    REDIS_7_0_DESCRIPTION_DIFFERENCES
        .iter()
        .filter(|difference| difference.applies_to(args))
        .fold(normalise(args, reply), |reply, difference| {
            (difference.normalise)(reply)
        })
}

fn without_getuser_command_rules(reply: Frame) -> Frame {
    let erase = |value: Frame| match value {
        Frame::Bulk(_) => Frame::Bulk(Bytes::new()),
        other => other,
    };
    let reply = map_fields(reply, &["commands"], erase);
    map_fields(reply, &["selectors"], |selectors| {
        map_items(selectors, |selector| {
            map_fields(selector, &["commands"], erase)
        })
    })
}

/// `user u on ~a resetchannels -@all +get (~b resetchannels -@all)` →
/// `user u on ~a resetchannels (~b resetchannels)`. Patterns never contain
/// spaces, so words are tokens; a command token keeps the parentheses of
/// the selector it opens or closes.
fn without_list_command_rules(line: &str) -> String {
    line.split(' ')
        .filter_map(|word| {
            let core = word.trim_start_matches('(').trim_end_matches(')');
            if !(core.starts_with('+') || core.starts_with('-')) {
                return Some(word.to_owned());
            }
            let open = &word[..word.len() - word.trim_start_matches('(').len()];
            let close = &word[word.trim_end_matches(')').len()..];
            let kept = format!("{open}{close}");
            (!kept.is_empty()).then_some(kept)
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// Applies every accepted difference relevant to `args` to `reply`.
pub fn normalise(args: &[Vec<u8>], reply: Frame) -> Frame {
    ACCEPTED_DIFFERENCES
        .iter()
        .filter(|difference| difference.applies_to(args))
        .fold(reply, |reply, difference| (difference.normalise)(reply))
}

/// Whether a reply is HELLO's (a map, or RESP2's flat array, that starts
/// with the `server` field).
fn is_hello_reply(reply: &Frame) -> bool {
    let server = Frame::Bulk(Bytes::from_static(b"server"));
    match reply {
        Frame::Map(pairs) => pairs.first().is_some_and(|(name, _)| *name == server),
        Frame::Array(items) => items.len() == 14 && items[0] == server,
        _ => false,
    }
}

/// A map reply (RESP2 flat array or RESP3 map) with its pairs sorted by
/// their encoded name.
fn sorted_pairs(reply: Frame) -> Frame {
    match reply {
        Frame::Array(items) if items.len() % 2 == 0 => {
            let mut pairs: Vec<Vec<Frame>> = items.chunks(2).map(|p| p.to_vec()).collect();
            pairs.sort_by_key(|p| format!("{:?}", p[0]));
            Frame::Array(pairs.into_iter().flatten().collect())
        }
        Frame::Map(mut pairs) => {
            pairs.sort_by_key(|(name, _)| format!("{name:?}"));
            Frame::Map(pairs)
        }
        other => other,
    }
}

/// Replaces whatever follows a `histogram_usec` name, in RESP2 arrays and
/// RESP3 maps alike.
fn normalise_latency_buckets(reply: Frame) -> Frame {
    let is_buckets_name =
        |frame: &Frame| matches!(frame, Frame::Bulk(name) if name.as_ref() == b"histogram_usec");
    match reply {
        Frame::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut replace_next = false;
            for item in items {
                if replace_next {
                    out.push(Frame::Bulk(Bytes::from_static(b"<buckets>")));
                    replace_next = false;
                    continue;
                }
                replace_next = is_buckets_name(&item);
                out.push(normalise_latency_buckets(item));
            }
            Frame::Array(out)
        }
        Frame::Map(pairs) => Frame::Map(
            pairs
                .into_iter()
                .map(|(name, value)| {
                    if is_buckets_name(&name) {
                        (name, Frame::Bulk(Bytes::from_static(b"<buckets>")))
                    } else {
                        (name, normalise_latency_buckets(value))
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// MEMORY STATS with every number reduced to its kind.
fn memory_stats_kinds(reply: Frame) -> Frame {
    map_values(reply, &|value| match value {
        Frame::Integer(_) => Frame::Integer(0),
        Frame::Double(_) => Frame::Double(0.0),
        // RESP2 doubles.
        Frame::Bulk(_) => Frame::Bulk(Bytes::from_static(b"<double>")),
        nested @ (Frame::Map(_) | Frame::Array(_)) => {
            memory_stats_kinds(without_fields(nested, &["overhead.hashtable.slot-to-keys"]))
        }
        other => other,
    })
}

fn normalise_noperm_wording(reply: Frame) -> Frame {
    let Frame::Error(text) = &reply else {
        return reply;
    };
    // A refused EXEC wraps the denial: `EXECABORT ... because of: NOPERM ...`.
    const EXEC_ABORT: &[u8] = b"EXECABORT Transaction discarded because of: ";
    if let Some(inner) = text.strip_prefix(EXEC_ABORT) {
        let Frame::Error(inner) =
            normalise_noperm_wording(Frame::Error(Bytes::copy_from_slice(inner)))
        else {
            return reply;
        };
        return Frame::Error(Bytes::from([EXEC_ABORT, &inner[..]].concat()));
    }
    let text = String::from_utf8_lossy(text);
    let rewritten = if let Some(rest) = text
        .strip_prefix("NOPERM this user has no permissions to run the ")
        .or_else(|| {
            text.strip_prefix("NOPERM User ")
                .and_then(|after_user| after_user.split_once(" has no permissions to run the "))
                .map(|(_user, rest)| rest)
        }) {
        format!("NOPERM User <user> has no permissions to run the {rest}")
    } else {
        match text.as_ref() {
            "NOPERM this user has no permissions to access one of the keys used as arguments" => {
                "NOPERM No permissions to access a key".to_owned()
            }
            "NOPERM this user has no permissions to access one of the channels used as arguments" => {
                "NOPERM No permissions to access a channel".to_owned()
            }
            _ => return reply,
        }
    };
    Frame::Error(Bytes::from(rewritten))
}

/// The 7.0 and 7.2 wordings of a denial inside a script, each with the
/// common form it is reduced to.
const SCRIPT_ACL_WORDINGS: &[(&str, &str, &str)] = &[
    (
        "The user executing the script can't run this command or subcommand",
        "ACL failure in script: User ",
        "ACL failure in script: <command denied>",
    ),
    (
        "The user executing the script can't access at least one of the keys mentioned in the command arguments",
        "ACL failure in script: No permissions to access a key",
        "ACL failure in script: <key denied>",
    ),
    (
        "The user executing the script can't publish to the channel mentioned in the command",
        "ACL failure in script: No permissions to access a channel",
        "ACL failure in script: <channel denied>",
    ),
];

fn normalise_script_acl_wording(reply: Frame) -> Frame {
    let Frame::Error(text) = &reply else {
        return reply;
    };
    let text = String::from_utf8_lossy(text);
    let Some(body) = text.strip_prefix("ERR ") else {
        return reply;
    };
    for (old, new_prefix, common) in SCRIPT_ACL_WORDINGS {
        let rest = if let Some(rest) = body.strip_prefix(old) {
            rest
        } else if let Some(after) = body.strip_prefix(new_prefix) {
            // 7.2: the NOPERM text runs until the script location, if any.
            match after.find(" script: ") {
                Some(at) => &after[at..],
                None => "",
            }
        } else {
            continue;
        };
        return Frame::Error(Bytes::from(format!("ERR {common}{rest}")));
    }
    reply
}

fn anonymise_dryrun_denial(text: &str) -> String {
    let rest = text.strip_prefix("This user has ").or_else(|| {
        text.strip_prefix("User ")
            .and_then(|after_user| after_user.split_once(" has "))
            .map(|(_user, rest)| rest)
    });
    match rest {
        Some(rest) => format!("User <user> has {rest}"),
        None => text.to_owned(),
    }
}

/// The CLIENT LIST fields that are the same for the same session on any server.
const STABLE_CLIENT_FIELDS: &[&str] = &[
    "flags", "name", "db", "sub", "psub", "multi", "user", "cmd", "resp",
];

fn stable_debug_object_fields(text: &str) -> String {
    text.split(' ')
        .filter(|field| {
            !field.starts_with("at:")
                && !field.starts_with("lru:")
                && !field.starts_with("lru_seconds_idle:")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn stable_client_fields(text: &str) -> String {
    text.lines()
        .map(|line| {
            line.split(' ')
                .filter_map(|field| {
                    let (key, value) = field.split_once('=')?;
                    if STABLE_CLIENT_FIELDS.contains(&key) {
                        Some(field.to_owned())
                    } else if key == "redir" {
                        // A tracking redirect is a connection id.
                        let id: i64 = value.parse().ok()?;
                        Some(format!("redir={}", id.min(1)))
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A connection id (positive) becomes 1; -1 (none) and 0 stay.
fn redirect_id(reply: Frame) -> Frame {
    match reply {
        Frame::Integer(id) => Frame::Integer(id.min(1)),
        other => other,
    }
}

fn normalise_help_footer(reply: Frame) -> Frame {
    const FOOTER_7_0: &[u8] = b"    Prints this help.";
    match reply {
        Frame::Array(mut items) if matches!(items.last(), Some(Frame::Simple(line)) if &line[..] == FOOTER_7_0) =>
        {
            items.pop();
            items.push(Frame::simple("    Print this help."));
            Frame::Array(items)
        }
        other => other,
    }
}

fn normalise_redirect_broken(reply: Frame) -> Frame {
    match reply {
        Frame::Push(items)
            if items.len() == 2
                && matches!(&items[0], Frame::Bulk(b) if &b[..] == b"tracking-redir-broken") =>
        {
            let mut items = items;
            let id = items.pop().unwrap_or(Frame::Null);
            items.push(redirect_id(id));
            Frame::Push(items)
        }
        other => other,
    }
}

fn normalise_acl_log(reply: Frame) -> Frame {
    map_items(reply, |entry| {
        let entry = without_fields(
            entry,
            &["entry-id", "timestamp-created", "timestamp-last-updated"],
        );
        let entry = map_fields(entry, &["age-seconds"], |_| Frame::Bulk(Bytes::new()));
        map_fields(entry, &["client-info"], |info| {
            map_text(info, stable_client_fields)
        })
    })
}

fn normalise_unbalanced_streams(reply: Frame) -> Frame {
    match &reply {
        Frame::Error(text) if text.starts_with(b"ERR Unbalanced ") => {
            Frame::Error(Bytes::from_static(b"ERR Unbalanced list of streams"))
        }
        _ => reply,
    }
}

/// Replaces the integer at `index` of an array reply with 0.
fn zero_item(reply: Frame, index: usize) -> Frame {
    match reply {
        Frame::Array(mut items) => {
            if let Some(item @ Frame::Integer(_)) = items.get_mut(index) {
                *item = Frame::Integer(0);
            }
            Frame::Array(items)
        }
        other => other,
    }
}

/// One group of `XINFO STREAM ... FULL` without times.
fn stable_full_group(group: Frame) -> Frame {
    let group = map_fields(group, &["pending"], |pel| {
        map_items(pel, |p| zero_item(p, 2))
    });
    map_fields(group, &["consumers"], |consumers| {
        map_items(consumers, |consumer| {
            let consumer = without_fields(consumer, &["active-time"]);
            let consumer = map_fields(consumer, &["seen-time"], |_| Frame::Integer(0));
            map_fields(consumer, &["pending"], |pel| {
                map_items(pel, |p| zero_item(p, 1))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn tracking_redirect_ids_are_reduced_to_their_kind() {
        let broken = |id| Frame::Push(vec![bulk("tracking-redir-broken"), Frame::Integer(id)]);
        assert_eq!(normalise(&args("ping"), broken(42)), broken(1));
        assert_eq!(
            normalise(&args("client getredir"), Frame::Integer(17)),
            Frame::Integer(1)
        );
        assert_eq!(
            normalise(&args("client getredir"), Frame::Integer(-1)),
            Frame::Integer(-1)
        );
        let line = |redir: &str| {
            Frame::Bulk(Bytes::from(format!(
                "id=9 addr=1.2.3.4:5 flags=tR name= db=0 redir={redir} resp=3\n"
            )))
        };
        assert_eq!(
            normalise(&args("client info"), line("33")),
            normalise(&args("client info"), line("8"))
        );
        assert_ne!(
            normalise(&args("client info"), line("-1")),
            normalise(&args("client info"), line("8"))
        );
    }

    #[test]
    fn every_known_difference_has_a_reason() {
        for (area, reason) in KNOWN_DIFFERENCES
            .iter()
            .chain(BEHAVIOUR_ONLY_IN_7_2)
            .chain(CONFIG_DIFFERENT_DEFAULTS)
        {
            assert!(!area.is_empty() && reason.len() > 20, "{area}: {reason}");
        }
    }

    #[test]
    fn every_difference_has_a_reason_and_a_well_formed_key() {
        for difference in ACCEPTED_DIFFERENCES {
            assert!(!difference.reason.is_empty(), "{}", difference.command);
            assert_eq!(difference.command, difference.command.to_lowercase());
            assert!(difference.command.split('|').count() <= 2);
        }
    }

    #[test]
    fn keys_match_command_and_subcommand_case_insensitively() {
        let client_list = ACCEPTED_DIFFERENCES
            .iter()
            .find(|d| d.command == "client|list")
            .unwrap();
        assert!(client_list.applies_to(&args("CLIENT List")));
        assert!(!client_list.applies_to(&args("CLIENT INFO")));
        assert!(!client_list.applies_to(&args("CLIENT")));
    }

    #[test]
    fn script_acl_wordings_of_7_0_and_7_2_normalise_alike() {
        let args = args("EVAL x 0");
        let pairs = [
            (
                "ERR The user executing the script can't run this command or subcommand script: abc, on @user_script:1.",
                "ERR ACL failure in script: User app has no permissions to run the 'flushall' command script: abc, on @user_script:1.",
            ),
            (
                "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
                "ERR ACL failure in script: No permissions to access a key",
            ),
        ];
        for (old, new) in pairs {
            assert_eq!(
                normalise(&args, Frame::error(old)),
                normalise(&args, Frame::error(new))
            );
        }
        assert_eq!(
            normalise(&args, Frame::error("ERR other")),
            Frame::error("ERR other")
        );
    }

    #[test]
    fn noperm_wordings_of_7_0_and_7_2_normalise_alike() {
        let old = Frame::error("NOPERM this user has no permissions to run the 'set' command");
        let new = Frame::error("NOPERM User bob has no permissions to run the 'set' command");
        assert_eq!(
            normalise(&args("SET k v"), old),
            normalise(&args("SET k v"), new.clone())
        );
        let old_key = Frame::error(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        );
        assert_eq!(
            normalise(&args("GET k"), old_key),
            Frame::error("NOPERM No permissions to access a key")
        );
        let other = Frame::error("ERR unknown command");
        assert_eq!(normalise(&args("FOO"), other.clone()), other);
        let wrapped = |noperm: &str| {
            Frame::error(format!(
                "EXECABORT Transaction discarded because of: {noperm}"
            ))
        };
        assert_eq!(
            normalise(
                &args("EXEC"),
                wrapped("NOPERM this user has no permissions to run the 'exec' command")
            ),
            wrapped("NOPERM User <user> has no permissions to run the 'exec' command")
        );
    }

    #[test]
    fn dryrun_denials_of_7_0_and_7_2_normalise_alike() {
        let dryrun = args("ACL DRYRUN alice GET secret");
        let old = bulk("This user has no permissions to access the 'secret' key");
        let new = bulk("User alice has no permissions to access the 'secret' key");
        assert_eq!(normalise(&dryrun, old), normalise(&dryrun, new));
        assert_eq!(normalise(&dryrun, Frame::ok()), Frame::ok());
    }

    #[test]
    fn client_list_keeps_only_stable_fields() {
        let line = bulk("id=3 addr=127.0.0.1:5 laddr=x fd=8 name=n age=0 db=0 user=default cmd=client|list resp=2\n");
        assert_eq!(
            normalise(&args("client list"), line),
            bulk("name=n db=0 user=default cmd=client|list resp=2")
        );
    }

    #[test]
    fn hello_hides_version_and_id_in_both_protocols() {
        let resp2 = Frame::Array(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("7.0.15"),
            bulk("id"),
            Frame::Integer(4),
        ]);
        let resp3 = Frame::Map(vec![
            (bulk("version"), bulk("7.2.0")),
            (bulk("id"), Frame::Integer(9)),
        ]);
        assert_eq!(
            normalise(&args("HELLO 2"), resp2),
            Frame::Array(vec![
                bulk("server"),
                bulk("redis"),
                bulk("version"),
                bulk(""),
                bulk("id"),
                bulk("")
            ])
        );
        assert_eq!(
            normalise(&args("HELLO 3"), resp3),
            Frame::Map(vec![(bulk("version"), bulk("")), (bulk("id"), bulk(""))])
        );
    }

    #[test]
    fn acl_list_and_getuser_ignore_sanitize_payload() {
        let v72 = Frame::Array(vec![bulk(
            "user default on nopass sanitize-payload ~* &* +@all",
        )]);
        let v70 = Frame::Array(vec![bulk("user default on nopass ~* &* +@all")]);
        assert_eq!(normalise(&args("ACL LIST"), v72), v70);
        let getuser = Frame::Map(vec![(
            bulk("flags"),
            Frame::Set(vec![bulk("on"), bulk("sanitize-payload")]),
        )]);
        assert_eq!(
            normalise(&args("ACL GETUSER u"), getuser),
            Frame::Map(vec![(bulk("flags"), Frame::Set(vec![bulk("on")]))])
        );
    }

    #[test]
    fn redis_7_0_descriptions_lose_only_command_rules() {
        assert_eq!(
            without_list_command_rules(
                "user u on ~a resetchannels -@all +get (~b resetchannels -@all) (&c -@all +set)"
            ),
            "user u on ~a resetchannels (~b resetchannels) (&c)"
        );
        assert_eq!(
            without_list_command_rules("user u off ~-x resetchannels &-y +@all"),
            "user u off ~-x resetchannels &-y"
        );
        let getuser = Frame::Array(vec![
            bulk("commands"),
            bulk("-@all +get"),
            bulk("selectors"),
            Frame::Array(vec![Frame::Array(vec![
                bulk("commands"),
                bulk("+@all"),
                bulk("keys"),
                bulk("~a"),
            ])]),
        ]);
        assert_eq!(
            normalise_for_redis_7_0_descriptions(&args("ACL GETUSER u"), getuser),
            Frame::Array(vec![
                bulk("commands"),
                bulk(""),
                bulk("selectors"),
                Frame::Array(vec![Frame::Array(vec![
                    bulk("commands"),
                    bulk(""),
                    bulk("keys"),
                    bulk("~a"),
                ])]),
            ])
        );
    }

    #[test]
    fn repeated_georadius_store_is_a_stricter_case() {
        assert!(moat_is_stricter_on(&args(
            "GEORADIUS k 0 0 1 m STORE a STOREDIST b"
        )));
        assert!(moat_is_stricter_on(&args(
            "georadiusbymember k m 1 m store a store b"
        )));
        assert!(!moat_is_stricter_on(&args("GEORADIUS k 0 0 1 m STORE a")));
        assert!(!moat_is_stricter_on(&args("GET store store")));
    }

    #[test]
    fn unordered_replies_are_sorted() {
        let keys = Frame::Array(vec![bulk("b"), bulk("a")]);
        assert_eq!(
            normalise(&args("KEYS *"), keys),
            Frame::Array(vec![bulk("a"), bulk("b")])
        );
        let hash = Frame::Array(vec![bulk("g"), bulk("2"), bulk("f"), bulk("1")]);
        assert_eq!(
            normalise(&args("HGETALL h"), hash),
            Frame::Array(vec![bulk("f"), bulk("1"), bulk("g"), bulk("2")])
        );
    }

    #[test]
    fn acl_log_drops_version_and_time_dependent_fields() {
        let entry = Frame::Array(vec![
            bulk("count"),
            Frame::Integer(1),
            bulk("age-seconds"),
            bulk("0.5"),
            bulk("entry-id"),
            Frame::Integer(0),
        ]);
        assert_eq!(
            normalise(&args("ACL LOG"), Frame::Array(vec![entry])),
            Frame::Array(vec![Frame::Array(vec![
                bulk("count"),
                Frame::Integer(1),
                bulk("age-seconds"),
                bulk("")
            ])])
        );
    }

    #[test]
    fn stream_times_and_7_2_fields_are_hidden() {
        let consumer = |extra: bool| {
            let mut fields = vec![bulk("name"), bulk("c"), bulk("idle"), Frame::Integer(7)];
            if extra {
                fields.extend([bulk("inactive"), Frame::Integer(-1)]);
            }
            Frame::Array(vec![Frame::Array(fields)])
        };
        let consumers = args("XINFO CONSUMERS s g");
        assert_eq!(
            normalise(&consumers, consumer(true)),
            normalise(&consumers, consumer(false))
        );
        let pending = |idle| {
            Frame::Array(vec![Frame::Array(vec![
                bulk("1-0"),
                bulk("c"),
                Frame::Integer(idle),
                Frame::Integer(1),
            ])])
        };
        let xpending = args("XPENDING s g - + 10");
        assert_eq!(
            normalise(&xpending, pending(3)),
            normalise(&xpending, pending(5))
        );
        let summary = Frame::Array(vec![
            Frame::Integer(4),
            bulk("1-0"),
            bulk("2-0"),
            Frame::Array(vec![]),
        ]);
        assert_eq!(normalise(&xpending, summary.clone()), summary);
    }
}

/// A CONFIG REWRITE case of `crates/server/tests/differential_config_rewrite.rs`
/// where the 7.0.15 reference writes other text than Redis 7.2 (and moat):
/// the test applies `edit` to the reference's file before comparing, so
/// the rest of the file is still checked.
#[derive(Debug, Clone, Copy)]
pub struct ConfigRewriteDifference {
    /// The case's name, or `*` for every case.
    pub case: &'static str,
    pub reason: &'static str,
    /// Turns the reference's (normalised) file into 7.2's.
    pub edit: fn(&str) -> String,
}

/// The cases of [`ConfigRewriteDifference`].
pub const CONFIG_REWRITE_DIFFERENCES: &[ConfigRewriteDifference] = &[ConfigRewriteDifference {
    case: "*",
    reason: "the `user` lines are ACL LIST's descriptions, and 7.2 lists the \
             `sanitize-payload` flag of every user (after on/off and nopass) where \
             7.0 lists it only when it was asked for (see acl|list above)",
    edit: |text| {
        let lines = text.split_inclusive('\n').map(|line| {
            if !line.starts_with("user ") || line.contains("sanitize-payload") {
                return line.to_owned();
            }
            // `user <name>` then the on/off and nopass flags.
            let words: Vec<&str> = line.split(' ').collect();
            let flags = 2 + words[2..]
                .iter()
                .take_while(|w| matches!(w.trim_end(), "on" | "off" | "nopass"))
                .count();
            let mut edited = words[..flags].to_vec();
            edited.push("sanitize-payload");
            edited.extend(&words[flags..]);
            edited.join(" ")
        });
        lines.collect()
    },
}];

/// A call of the error-path sweep (`crates/server/tests/differential_sweep.rs`)
/// where Redis 7.2, which moat follows, answers otherwise than the 7.0.15
/// reference. The sweep does not compare these calls.
#[derive(Debug, Clone, Copy)]
pub struct SweepDifference {
    /// The command as Redis names it, lower case: `object` or, for a
    /// subcommand, `object|encoding`.
    pub command: &'static str,
    /// The arguments after the command (and subcommand), separated by
    /// spaces: a word matches one argument exactly (ignoring case), `*` any
    /// one argument, and a final `..` any further arguments (none included).
    pub args: &'static str,
    /// Where the call runs: every context of the sweep, or one of them.
    pub context: SweepContext,
    pub reason: &'static str,
}

/// How the sweep sends its calls (see `crates/server/tests/differential_sweep.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SweepContext {
    /// Every context.
    Any,
    /// A plain RESP2 connection.
    Plain,
    /// A RESP3 connection (`HELLO 3`).
    Resp3,
    /// Queued in `MULTI` … `EXEC`.
    Multi,
    /// From a Lua script, `redis.pcall`, the key in ARGV or in KEYS.
    Script,
}

impl SweepContext {
    /// True when a difference of context `self` applies in `context`.
    pub fn covers(self, context: SweepContext) -> bool {
        self == SweepContext::Any || self == context
    }
}

const BLOCKING_FROM_SCRIPTS: &str = "7.2 removed NOSCRIPT from the blocking commands \
     (#11568): from a script they run as their non-blocking forms; 7.0 answers 'This Redis \
     command is not allowed from script' (Valkey 8.1 agrees with 7.2)";

/// The calls of [`SweepDifference`].
pub const SWEEP_DIFFERENCES: &[SweepDifference] = &[
    SweepDifference {
        command: "command|count",
        args: "..",
        context: SweepContext::Any,
        reason: "moat's command table is 7.2's and holds the JSON module's commands, built in",
    },
    SweepDifference {
        command: "command|list",
        args: "..",
        context: SweepContext::Any,
        reason: "as command|count: 7.2's commands and the built-in JSON module's",
    },
    SweepDifference {
        command: "acl|cat",
        args: "",
        context: SweepContext::Any,
        reason: "the built-in JSON module's commands add the `json` category, as a server with \
                 the module loaded lists it (crates/acl/src/catalog.rs); ACL CAT <category> \
                 is compared",
    },
    SweepDifference {
        command: "script|debug",
        args: "..",
        context: SweepContext::Any,
        reason: "not implemented yet (the Lua debugger): moat answers 'ERR moat does not \
                 implement the 'script|debug' command yet' where Redis answers 'Use SCRIPT \
                 DEBUG YES/SYNC/NO' for a bad mode, or that it must be called outside a \
                 pipeline",
    },
    SweepDifference {
        command: "bitcount",
        args: "..",
        context: SweepContext::Any,
        reason: "7.2 checks BITCOUNT's range, unit and argument count before looking the \
                 key up (#11734): junk is a syntax or integer error for a missing key or \
                 one of another type, where 7.0 answers 0 or WRONGTYPE first; Valkey 8 \
                 differs from both (its end is optional), so tests/golden/bits_7_2.txt \
                 checks 7.2's answers",
    },
    SweepDifference {
        command: "bitpos",
        args: "* 1 2 3 4",
        context: SweepContext::Any,
        reason: "7.2 parses the range and its unit before looking the key up (#11734), so \
                 a bad unit is a syntax error for a missing key or one of another type; \
                 7.0 answers -1 or WRONGTYPE first (Valkey 8.1 agrees with 7.2)",
    },
    SweepDifference {
        command: "zrank",
        args: "* * *",
        context: SweepContext::Any,
        reason: "7.2 added ZRANK's WITHSCORE (arity -3): a third argument other than \
                 WITHSCORE is a syntax error, where 7.0's arity 3 refuses it",
    },
    SweepDifference {
        command: "zrevrank",
        args: "* * *",
        context: SweepContext::Any,
        reason: "as zrank: 7.2 added WITHSCORE",
    },
    SweepDifference {
        command: "client|help",
        args: "",
        context: SweepContext::Any,
        reason: "7.2 added CLIENT SETINFO and CLIENT NO-TOUCH to the help text",
    },
    SweepDifference {
        command: "object|encoding",
        args: "lst",
        context: SweepContext::Any,
        reason: "7.2 keeps small lists in a listpack (7.0: quicklist)",
    },
    SweepDifference {
        command: "object|encoding",
        args: "set",
        context: SweepContext::Any,
        reason: "7.2 keeps small non-integer sets in a listpack (7.0: hashtable)",
    },
    SweepDifference {
        command: "sscan",
        args: "set 1",
        context: SweepContext::Any,
        reason: "7.2's small sets are listpacks, which SSCAN returns whole with cursor 0 \
                 whatever the cursor; 7.0's hash-table set is scanned from bucket 1",
    },
    SweepDifference {
        command: "dump",
        args: "set",
        context: SweepContext::Any,
        reason: "7.0 lists a set's members in hash-table order and 7.2 writes small sets as \
                 listpacks (RDB type 20); moat writes members in its own order (the `dump` \
                 entry of KNOWN_DIFFERENCES)",
    },
    SweepDifference {
        command: "blpop",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "brpop",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "bzpopmin",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "bzpopmax",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "brpoplpush",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "blmove",
        args: "..",
        context: SweepContext::Script,
        reason: BLOCKING_FROM_SCRIPTS,
    },
    SweepDifference {
        command: "wait",
        args: "..",
        context: SweepContext::Script,
        reason: "7.2 removed WAIT's NOSCRIPT (#11568): from a script it does not block and \
                 answers the replicas acknowledged so far; 7.0 answers 'This Redis command is not \
                 allowed from script' (Valkey 8.1 agrees with 7.2)",
    },
    SweepDifference {
        command: "zrank",
        args: "* * * * ..",
        context: SweepContext::Multi,
        reason: "7.2's arity -3 (WITHSCORE) lets MULTI queue four or more arguments, and EXEC \
                 answers the command's own 'wrong number of arguments' in its array; 7.0's arity \
                 3 refuses them at queue time, so EXEC answers EXECABORT",
    },
    SweepDifference {
        command: "zrank",
        args: "* * * * ..",
        context: SweepContext::Script,
        reason: "7.2's arity -3 (WITHSCORE) passes four or more arguments to the command, which \
                 answers 'wrong number of arguments for ...'; 7.0's arity 3 refuses them in the \
                 script call ('Wrong number of args calling Redis command from script')",
    },
    SweepDifference {
        command: "zrevrank",
        args: "* * * * ..",
        context: SweepContext::Multi,
        reason: "7.2's arity -3 (WITHSCORE) lets MULTI queue four or more arguments, and EXEC \
                 answers the command's own 'wrong number of arguments' in its array; 7.0's arity \
                 3 refuses them at queue time, so EXEC answers EXECABORT",
    },
    SweepDifference {
        command: "zrevrank",
        args: "* * * * ..",
        context: SweepContext::Script,
        reason: "7.2's arity -3 (WITHSCORE) passes four or more arguments to the command, which \
                 answers 'wrong number of arguments for ...'; 7.0's arity 3 refuses them in the \
                 script call ('Wrong number of args calling Redis command from script')",
    },
];

/// A case of the keyspace-notification sweep
/// (`crates/server/tests/differential_notifications_sweep.rs`) where Redis
/// 7.2, which moat follows, notifies otherwise than the 7.0.15 reference.
/// The sweep does not compare these cases.
#[derive(Debug, Clone, Copy)]
pub struct NotificationDifference {
    /// The sweep's phase: the `notify-keyspace-events` classes (`KEA`,
    /// `KEAn`, `KEm`).
    pub flags: &'static str,
    /// The case exactly as the sweep writes it.
    pub case: &'static str,
    pub reason: &'static str,
}

/// The cases of [`NotificationDifference`].
pub const NOTIFICATION_DIFFERENCES: &[NotificationDifference] = &[
    NotificationDifference {
        flags: "KEm",
        case: "!BITPOS missing 1 2 3 4",
        reason: "7.2 parses BITPOS's range and unit before looking the key up (#11734): the \
                 syntax error comes first and the missing key raises no keymiss; 7.0 looks \
                 the key up first (Valkey 8.1 agrees with 7.2)",
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing 1",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing 1 2 3",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing 1 2 3 4",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing x",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing x -1",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing x -1 0",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing x -1 0 1.5",
        reason: BITCOUNT_CHECKS_FIRST,
    },
    NotificationDifference {
        flags: "KEm",
        case: "!BITCOUNT missing x -1 0 1.5 abc",
        reason: BITCOUNT_CHECKS_FIRST,
    },
];

const BITCOUNT_CHECKS_FIRST: &str = "7.2 checks BITCOUNT's range, unit and argument count \
     before looking the key up (#11734): the error comes first and the missing key raises \
     no keymiss; 7.0 looks the key up first (tests/golden/bits_7_2.txt checks 7.2's replies)";

/// A case of the AOF propagation comparison
/// (`crates/server/tests/differential_aof_propagation.rs`) where Redis 7.2,
/// which moat follows, writes otherwise than the 7.0.15 reference. The
/// comparison checks that the reference still writes `redis_7_0` and
/// compares moat's log with `redis_7_2`.
#[derive(Debug, Clone, Copy)]
pub struct AofPropagationDifference {
    /// The case's lines joined with ` ; `, as the comparison prints it.
    pub case: &'static str,
    /// What 7.0.15 appends, one rendered command a line.
    pub redis_7_0: &'static [&'static str],
    /// What 7.2 appends instead.
    pub redis_7_2: &'static [&'static str],
    pub reason: &'static str,
}

/// The cases of [`AofPropagationDifference`].
pub const AOF_PROPAGATION_DIFFERENCES: &[AofPropagationDifference] = &[
    AofPropagationDifference {
        case: "b> BLMOVE bl3 bl3d LEFT RIGHT 5 ; sleep 50 ; RPUSH bl3 x ; b<",
        redis_7_0: &["RPUSH bl3 x", "LMOVE bl3 bl3d left right"],
        redis_7_2: &["RPUSH bl3 x", "LMOVE bl3 bl3d LEFT RIGHT"],
        reason: "7.0 serves a blocked BLMOVE in serveClientBlockedOnList with its shared \
                 lowercase `left`/`right`; 7.2 re-runs the command, which propagates the \
                 client's own words (as Valkey 8.1 does)",
    },
    AofPropagationDifference {
        case: "SPOP st5 2",
        redis_7_0: &["MULTI", "SREM st5 <member>", "SREM st5 <member>", "EXEC"],
        redis_7_2: &["SREM st5 <member> <member>"],
        reason: "7.0 propagates SPOP with a count as one SREM per member in MULTI/EXEC; 7.2 \
                 batches the members into SREMs of up to 1024 (as Valkey 8.1 does)",
    },
];

/// A case of the WATCH and tracking sweep
/// (`crates/server/tests/differential_watch_sweep.rs`, named as it names
/// it) where Redis 7.2, which moat follows, signals modified keys
/// otherwise than the 7.0.15 reference. The replies are still compared,
/// and moat's outcome is checked against the one given here.
#[derive(Debug, Clone, Copy)]
pub struct WatchDifference {
    pub case: &'static str,
    /// The watched keys whose watch breaks (`1:key` for database 1).
    pub broken: &'static [&'static str],
    /// The keys a BCAST tracking client is told about, sorted.
    pub broadcast: &'static [&'static str],
    /// The keys a default-mode tracking client that read them is told
    /// about, sorted.
    pub tracked: &'static [&'static str],
    /// moat's last reply (as the sweep renders it), where 7.2 words it
    /// otherwise; still checked.
    pub reply: Option<&'static str>,
    pub reason: &'static str,
}

/// The cases of [`WatchDifference`] (Valkey 8.1 answers as moat does).
pub const WATCH_DIFFERENCES: &[WatchDifference] = &[
    WatchDifference {
        case: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x > served by XGROUP DESTROY x \
               grp after XGROUP SETID x grp $; XGROUP CREATECONSUMER x grp c9",
        broken: &[],
        broadcast: &[],
        tracked: &[],
        reply: Some(
            "Error(b\"NOGROUP No such key 'x' or consumer group 'grp' in XREADGROUP \
             with GROUP option\")",
        ),
        reason: "neither touches the stream's watches; 7.2 runs the woken XREADGROUP \
                 again, which answers its usual NOGROUP error, where 7.0 answered \
                 'the consumer group this client was blocked on no longer exists'",
    },
    WatchDifference {
        case: "XREADGROUP GROUP grp c9 BLOCK 5000 STREAMS x > served by DEL x after \
               XGROUP SETID x grp $; XGROUP CREATECONSUMER x grp c9",
        broken: &["x"],
        broadcast: &["x"],
        tracked: &["x"],
        reply: Some(
            "Error(b\"NOGROUP No such key 'x' or consumer group 'grp' in XREADGROUP \
             with GROUP option\")",
        ),
        reason: "the DEL signals the stream in both; 7.2 runs the woken XREADGROUP \
                 again, which finds no key and answers NOGROUP, where 7.0 answered \
                 'UNBLOCKED the stream key no longer exists'",
    },
];
