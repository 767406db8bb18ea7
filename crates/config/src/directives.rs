//! Redis 7.2's directive table, entry for entry.
//!
//! Names, aliases, flags, bounds and defaults follow `standardConfig
//! static_configs[]` of Redis 7.2's `config.c` (TLS directives included,
//! as in builds with TLS). Where the 7.0 reference binary on this machine
//! differs, the 7.2 value is kept; the differences are listed in
//! `tests/reference_defaults.rs`.
//!
//! `implemented` marks what moat honours today; everything else is
//! accepted and reported but has no effect yet.

use crate::table::{
    Directive, EnumSpec, Flags, Kind, NumericSpec, NumericUnit, Special, StringSpec,
    StringValidator,
};
use crate::validate;

const MOD: Flags = Flags::empty();
const IMM: Flags = Flags::IMMUTABLE;
const SENS: Flags = Flags::SENSITIVE;
const HIDDEN: Flags = Flags::HIDDEN;
const PROT: Flags = Flags::PROTECTED;
const DENY_LOAD: Flags = Flags::DENY_LOADING;
const MULTI: Flags = Flags::MULTI_ARG;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const ULLONG_MAX: i64 = -1; // u64::MAX as a bit pattern
const MB: i64 = 1024 * 1024;

const fn entry(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    kind: Kind,
) -> Directive {
    Directive {
        name,
        alias,
        flags,
        kind,
        implemented: false,
    }
}

const fn boolean(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    default: bool,
) -> Directive {
    entry(name, alias, flags, Kind::Bool { default })
}

#[allow(clippy::too_many_arguments)]
const fn numeric(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    min: i64,
    max: i64,
    default: i64,
    unit: NumericUnit,
    unsigned: bool,
) -> Directive {
    entry(
        name,
        alias,
        flags,
        Kind::Numeric(NumericSpec {
            min,
            max,
            default,
            unit,
            unsigned,
        }),
    )
}

/// A signed plain integer (Redis's int, long, long long, time_t, off_t, ssize_t).
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    min: i64,
    max: i64,
    default: i64,
) -> Directive {
    numeric(
        name,
        alias,
        flags,
        min,
        max,
        default,
        NumericUnit::Plain,
        false,
    )
}

/// An unsigned plain integer (Redis's unsigned int, size_t, unsigned long long).
const fn uint(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    min: i64,
    max: i64,
    default: i64,
) -> Directive {
    numeric(
        name,
        alias,
        flags,
        min,
        max,
        default,
        NumericUnit::Plain,
        true,
    )
}

const fn memory(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    min: i64,
    max: i64,
    default: i64,
    unsigned: bool,
) -> Directive {
    numeric(
        name,
        alias,
        flags,
        min,
        max,
        default,
        NumericUnit::Memory,
        unsigned,
    )
}

const fn string(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    default: Option<&'static str>,
    validate: Option<StringValidator>,
) -> Directive {
    // Redis stores a NULL default exactly when empty strings mean "unset".
    let empty_is_unset = default.is_none();
    entry(
        name,
        alias,
        flags,
        Kind::String(StringSpec {
            default,
            empty_is_unset,
            validate,
        }),
    )
}

const fn enumeration(
    name: &'static str,
    flags: Flags,
    values: &'static [(&'static str, i32)],
    default: i32,
) -> Directive {
    let bit_flags = flags.contains(Flags::MULTI_ARG);
    entry(
        name,
        None,
        flags,
        Kind::Enum(EnumSpec {
            values,
            default,
            bit_flags,
        }),
    )
}

const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: Flags,
    special: Special,
) -> Directive {
    entry(name, alias, flags, Kind::Special(special))
}

impl Directive {
    const fn implemented(mut self) -> Self {
        self.implemented = true;
        self
    }
}

/// `maxmemory-policy` names.
pub const MAXMEMORY_POLICIES: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITIES: &[(&str, i32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
/// `loglevel` names, from most to least verbose.
pub const LOG_LEVELS: &[(&str, i32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED_MODES: &[(&str, i32)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const AOF_FSYNC: &[(&str, i32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const REPL_DISKLESS_LOAD: &[(&str, i32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
/// `acl-pubsub-default` names: `allchannels` is 1, `resetchannels` 0.
pub const ACL_PUBSUB_DEFAULT: &[(&str, i32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// Values of `enable-protected-configs`, `enable-debug-command` and
/// `enable-module-command`: 0 no, 1 yes, 2 local.
pub const PROTECTED_ACTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_ENDPOINT_TYPE: &[(&str, i32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: &[(&str, i32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
/// Shutdown flags, in Redis's order (bit values).
pub const SHUTDOWN_ON_SIGNAL: &[(&str, i32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// Every directive of Redis 7.2, in Redis's table order.
pub static DIRECTIVES: &[Directive] = &[
    // Bool configs.
    boolean("rdbchecksum", None, IMM, true).implemented(),
    boolean("daemonize", None, IMM, false).implemented(),
    boolean("io-threads-do-reads", None, IMM, false),
    boolean("always-show-logo", None, IMM, false),
    boolean("protected-mode", None, MOD, true).implemented(),
    boolean("rdbcompression", None, MOD, true).implemented(),
    boolean("rdb-del-sync-files", None, MOD, false),
    boolean("activerehashing", None, MOD, true),
    boolean("stop-writes-on-bgsave-error", None, MOD, true).implemented(),
    boolean("set-proc-title", None, IMM, true),
    boolean("dynamic-hz", None, MOD, true),
    boolean("lazyfree-lazy-eviction", None, MOD, false),
    boolean("lazyfree-lazy-expire", None, MOD, false),
    boolean("lazyfree-lazy-server-del", None, MOD, false),
    boolean("lazyfree-lazy-user-del", None, MOD, false),
    boolean("lazyfree-lazy-user-flush", None, MOD, false),
    boolean("repl-disable-tcp-nodelay", None, MOD, false),
    boolean("repl-diskless-sync", None, MOD, true),
    boolean("aof-rewrite-incremental-fsync", None, MOD, true),
    boolean("no-appendfsync-on-rewrite", None, MOD, false),
    boolean("cluster-require-full-coverage", None, MOD, true),
    boolean("rdb-save-incremental-fsync", None, MOD, true),
    boolean("aof-load-truncated", None, MOD, true).implemented(),
    boolean("aof-use-rdb-preamble", None, MOD, true),
    boolean("aof-timestamp-enabled", None, MOD, false).implemented(),
    boolean(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        MOD,
        false,
    ),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), MOD, false),
    boolean(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        MOD,
        true,
    ),
    boolean("replica-read-only", Some("slave-read-only"), MOD, true),
    boolean(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        MOD,
        true,
    ),
    boolean("jemalloc-bg-thread", None, MOD, true),
    boolean("activedefrag", None, MOD, false),
    boolean("syslog-enabled", None, IMM, false),
    boolean("cluster-enabled", None, IMM, false),
    boolean("appendonly", None, MOD.union(DENY_LOAD), false).implemented(),
    boolean("cluster-allow-reads-when-down", None, MOD, false),
    boolean("cluster-allow-pubsubshard-when-down", None, MOD, true),
    boolean("crash-log-enabled", None, MOD, true),
    boolean("crash-memcheck-enabled", None, MOD, true),
    boolean("use-exit-on-panic", None, MOD.union(HIDDEN), false),
    boolean("disable-thp", None, IMM, true),
    boolean("cluster-allow-replica-migration", None, MOD, true),
    boolean("replica-announced", None, MOD, true),
    boolean("latency-tracking", None, MOD, true).implemented(),
    boolean("aof-disable-auto-gc", None, MOD, false).implemented(),
    boolean("replica-ignore-disk-write-errors", None, MOD, false),
    boolean("enable-debug-assert", None, IMM.union(HIDDEN), false),
    // String configs.
    string("aclfile", None, IMM, Some(""), None).implemented(),
    string("unixsocket", None, IMM, None, None),
    string("pidfile", None, IMM, None, None).implemented(),
    string(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        MOD,
        None,
        None,
    ),
    string("masteruser", None, MOD.union(SENS), None, None),
    string("cluster-announce-ip", None, MOD, None, None),
    string("cluster-config-file", None, IMM, Some("nodes.conf"), None),
    string(
        "cluster-announce-hostname",
        None,
        MOD,
        None,
        Some(validate::announced_hostname),
    ),
    string(
        "cluster-announce-human-nodename",
        None,
        MOD,
        None,
        Some(validate::announced_nodename),
    ),
    string("syslog-ident", None, IMM, Some("redis"), None),
    string(
        "dbfilename",
        None,
        MOD.union(PROT),
        Some("dump.rdb"),
        Some(validate::db_filename),
    )
    .implemented(),
    string(
        "appendfilename",
        None,
        IMM,
        Some("appendonly.aof"),
        Some(validate::aof_filename),
    )
    .implemented(),
    string(
        "appenddirname",
        None,
        IMM,
        Some("appendonlydir"),
        Some(validate::aof_dirname),
    )
    .implemented(),
    string("server_cpulist", None, IMM, None, None),
    string("bio_cpulist", None, IMM, None, None),
    string("aof_rewrite_cpulist", None, IMM, None, None),
    string("bgsave_cpulist", None, IMM, None, None),
    string("ignore-warnings", None, MOD, Some(""), None),
    string(
        "proc-title-template",
        None,
        MOD,
        Some("{title} {listen-addr} {server-mode}"),
        Some(validate::proc_title_template),
    ),
    string("bind-source-addr", None, MOD, None, None),
    string("logfile", None, IMM, Some(""), None).implemented(),
    string("locale-collate", None, MOD, Some(""), None),
    // SDS configs.
    string("masterauth", None, MOD.union(SENS), None, None),
    string("requirepass", None, MOD.union(SENS), None, None).implemented(),
    // Enum configs.
    enumeration("supervised", IMM, SUPERVISED_MODES, 0),
    enumeration("syslog-facility", IMM, SYSLOG_FACILITIES, 1),
    enumeration(
        "repl-diskless-load",
        MOD.union(DENY_LOAD),
        REPL_DISKLESS_LOAD,
        0,
    ),
    enumeration("loglevel", MOD, LOG_LEVELS, 2).implemented(),
    enumeration("maxmemory-policy", MOD, MAXMEMORY_POLICIES, 7).implemented(),
    enumeration("appendfsync", MOD, AOF_FSYNC, 2),
    enumeration("oom-score-adj", MOD, OOM_SCORE_ADJ, 0),
    enumeration("acl-pubsub-default", MOD, ACL_PUBSUB_DEFAULT, 0).implemented(),
    enumeration("sanitize-dump-payload", MOD, SANITIZE_DUMP_PAYLOAD, 0),
    enumeration("enable-protected-configs", IMM, PROTECTED_ACTION, 0).implemented(),
    enumeration("enable-debug-command", IMM, PROTECTED_ACTION, 0).implemented(),
    enumeration("enable-module-command", IMM, PROTECTED_ACTION, 0),
    enumeration(
        "cluster-preferred-endpoint-type",
        MOD,
        CLUSTER_ENDPOINT_TYPE,
        0,
    ),
    enumeration(
        "propagation-error-behavior",
        MOD,
        PROPAGATION_ERROR_BEHAVIOR,
        0,
    ),
    enumeration(
        "shutdown-on-sigint",
        MOD.union(MULTI),
        SHUTDOWN_ON_SIGNAL,
        0,
    ),
    enumeration(
        "shutdown-on-sigterm",
        MOD.union(MULTI),
        SHUTDOWN_ON_SIGNAL,
        0,
    ),
    // Integer configs.
    int("databases", None, IMM, 1, INT_MAX, 16).implemented(),
    int("port", None, MOD, 0, 65535, 6379).implemented(),
    int("io-threads", None, IMM, 1, 128, 1),
    int("auto-aof-rewrite-percentage", None, MOD, 0, INT_MAX, 100).implemented(),
    int(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        MOD,
        0,
        INT_MAX,
        10,
    ),
    int(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        MOD,
        INT_MIN,
        INT_MAX,
        -2,
    )
    .implemented(),
    int("tcp-keepalive", None, MOD, 0, INT_MAX, 300).implemented(),
    int("cluster-migration-barrier", None, MOD, 0, INT_MAX, 1),
    int("active-defrag-cycle-min", None, MOD, 1, 99, 1),
    int("active-defrag-cycle-max", None, MOD, 1, 99, 25),
    int("active-defrag-threshold-lower", None, MOD, 0, 1000, 10),
    int("active-defrag-threshold-upper", None, MOD, 0, 1000, 100),
    int("lfu-log-factor", None, MOD, 0, INT_MAX, 10).implemented(),
    int("lfu-decay-time", None, MOD, 0, INT_MAX, 1).implemented(),
    int(
        "replica-priority",
        Some("slave-priority"),
        MOD,
        0,
        INT_MAX,
        100,
    ),
    int("repl-diskless-sync-delay", None, MOD, 0, INT_MAX, 5),
    int("maxmemory-samples", None, MOD, 1, INT_MAX, 5).implemented(),
    int("maxmemory-eviction-tenacity", None, MOD, 0, 100, 10).implemented(),
    int("timeout", None, MOD, 0, INT_MAX, 0).implemented(),
    int(
        "replica-announce-port",
        Some("slave-announce-port"),
        MOD,
        0,
        65535,
        0,
    ),
    int("tcp-backlog", None, IMM, 0, INT_MAX, 511),
    int("cluster-port", None, IMM, 0, 65535, 0),
    int("cluster-announce-bus-port", None, MOD, 0, 65535, 0),
    int("cluster-announce-port", None, MOD, 0, 65535, 0),
    int("cluster-announce-tls-port", None, MOD, 0, 65535, 0),
    int("repl-timeout", None, MOD, 1, INT_MAX, 60),
    int(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        MOD,
        1,
        INT_MAX,
        10,
    ),
    int("list-compress-depth", None, MOD, 0, INT_MAX, 0),
    int(
        "rdb-key-save-delay",
        None,
        MOD.union(HIDDEN),
        INT_MIN,
        INT_MAX,
        0,
    ),
    int(
        "key-load-delay",
        None,
        MOD.union(HIDDEN),
        INT_MIN,
        INT_MAX,
        0,
    ),
    int("active-expire-effort", None, MOD, 1, 10, 1),
    int("hz", None, MOD, 0, INT_MAX, 10).implemented(),
    int(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        MOD,
        0,
        INT_MAX,
        0,
    ),
    int(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        MOD,
        0,
        INT_MAX,
        10,
    ),
    int("watchdog-period", None, MOD.union(HIDDEN), 0, INT_MAX, 0),
    int("shutdown-timeout", None, MOD, 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", None, MOD, 0, INT_MAX, 0),
    // Unsigned int configs.
    uint("maxclients", None, MOD, 1, UINT_MAX, 10000).implemented(),
    numeric(
        "unixsocketperm",
        None,
        IMM,
        0,
        0o777,
        0,
        NumericUnit::Octal,
        true,
    ),
    uint("socket-mark-id", None, IMM, 0, UINT_MAX, 0),
    uint("max-new-connections-per-cycle", None, MOD, 1, 1000, 10),
    uint("max-new-tls-connections-per-cycle", None, MOD, 1, 1000, 1),
    // Unsigned long configs (bounds compared as signed in Redis).
    int(
        "active-defrag-max-scan-fields",
        None,
        MOD,
        1,
        LONG_MAX,
        1000,
    ),
    int("slowlog-max-len", None, MOD, 0, LONG_MAX, 128).implemented(),
    int("acllog-max-len", None, MOD, 0, LONG_MAX, 128).implemented(),
    // Long long configs.
    int(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        MOD,
        0,
        LONG_MAX,
        5000,
    )
    .implemented(),
    int("cluster-node-timeout", None, MOD, 0, LONG_MAX, 15000),
    int("slowlog-log-slower-than", None, MOD, -1, LONG_MAX, 10000).implemented(),
    int("latency-monitor-threshold", None, MOD, 0, LONG_MAX, 0).implemented(),
    memory(
        "proto-max-bulk-len",
        None,
        MOD,
        MB,
        LONG_MAX,
        512 * MB,
        false,
    )
    .implemented(),
    int("stream-node-max-entries", None, MOD, 0, LONG_MAX, 100).implemented(),
    memory("repl-backlog-size", None, MOD, 1, LONG_MAX, MB, false),
    // Unsigned long long configs.
    memory("maxmemory", None, MOD, 0, ULLONG_MAX, 0, true).implemented(),
    memory(
        "cluster-link-sendbuf-limit",
        None,
        MOD,
        0,
        ULLONG_MAX,
        0,
        true,
    ),
    // size_t configs.
    uint(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        MOD,
        0,
        LONG_MAX,
        512,
    )
    .implemented(),
    uint("set-max-intset-entries", None, MOD, 0, LONG_MAX, 512).implemented(),
    uint("set-max-listpack-entries", None, MOD, 0, LONG_MAX, 128).implemented(),
    uint(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        MOD,
        0,
        LONG_MAX,
        128,
    )
    .implemented(),
    memory(
        "active-defrag-ignore-bytes",
        None,
        MOD,
        1,
        LONG_MAX,
        100 * MB,
        true,
    ),
    memory(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        MOD,
        0,
        LONG_MAX,
        64,
        true,
    )
    .implemented(),
    memory("stream-node-max-bytes", None, MOD, 0, LONG_MAX, 4096, true).implemented(),
    memory("set-max-listpack-value", None, MOD, 0, LONG_MAX, 64, true).implemented(),
    memory(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        MOD,
        0,
        LONG_MAX,
        64,
        true,
    )
    .implemented(),
    memory("hll-sparse-max-bytes", None, MOD, 0, LONG_MAX, 3000, true).implemented(),
    uint("tracking-table-max-keys", None, MOD, 0, LONG_MAX, 1_000_000),
    memory(
        "client-query-buffer-limit",
        None,
        MOD,
        MB,
        LONG_MAX,
        1024 * MB,
        true,
    )
    .implemented(),
    numeric(
        "maxmemory-clients",
        None,
        MOD,
        -100,
        LONG_MAX,
        0,
        NumericUnit::MemoryOrPercent,
        false,
    )
    .implemented(),
    // Other numeric configs.
    int("repl-backlog-ttl", None, MOD, 0, LONG_MAX, 3600),
    memory(
        "auto-aof-rewrite-min-size",
        None,
        MOD,
        0,
        LONG_MAX,
        64 * MB,
        false,
    )
    .implemented(),
    int(
        "loading-process-events-interval-bytes",
        None,
        MOD.union(HIDDEN),
        1024,
        INT_MAX,
        2 * MB,
    ),
    // TLS configs.
    int("tls-port", None, MOD, 0, 65535, 0),
    int("tls-session-cache-size", None, MOD, 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", None, MOD, 0, INT_MAX, 300),
    boolean("tls-cluster", None, MOD, false),
    boolean("tls-replication", None, MOD, false),
    enumeration("tls-auth-clients", MOD, TLS_AUTH_CLIENTS, 1),
    boolean("tls-prefer-server-ciphers", None, MOD, false),
    boolean("tls-session-caching", None, MOD, true),
    string("tls-cert-file", None, MOD, None, None),
    string("tls-key-file", None, MOD, None, None),
    string("tls-key-file-pass", None, MOD.union(SENS), None, None),
    string("tls-client-cert-file", None, MOD, None, None),
    string("tls-client-key-file", None, MOD, None, None),
    string(
        "tls-client-key-file-pass",
        None,
        MOD.union(SENS),
        None,
        None,
    ),
    string("tls-dh-params-file", None, MOD, None, None),
    string("tls-ca-cert-file", None, MOD, None, None),
    string("tls-ca-cert-dir", None, MOD, None, None),
    string("tls-protocols", None, MOD, None, None),
    string("tls-ciphers", None, MOD, None, None),
    string("tls-ciphersuites", None, MOD, None, None),
    // Special configs.
    special("dir", None, MOD.union(PROT).union(DENY_LOAD), Special::Dir).implemented(),
    special("save", None, MOD.union(MULTI), Special::Save).implemented(),
    special(
        "client-output-buffer-limit",
        None,
        MOD.union(MULTI),
        Special::ClientOutputBufferLimit,
    )
    .implemented(),
    special(
        "oom-score-adj-values",
        None,
        MOD.union(MULTI),
        Special::OomScoreAdjValues,
    ),
    special(
        "notify-keyspace-events",
        None,
        MOD,
        Special::NotifyKeyspaceEvents,
    )
    .implemented(),
    special("bind", None, MOD.union(MULTI), Special::Bind).implemented(),
    special(
        "replicaof",
        Some("slaveof"),
        IMM.union(MULTI),
        Special::ReplicaOf,
    ),
    special(
        "latency-tracking-info-percentiles",
        None,
        MOD.union(MULTI),
        Special::LatencyTrackingInfoPercentiles,
    )
    .implemented(),
];

/// Directives Redis still accepts (and ignores) for compatibility, with
/// their accepted argument counts (directive name included).
pub const DEPRECATED: &[(&str, usize, usize)] = &[
    ("list-max-ziplist-entries", 2, 2),
    ("list-max-ziplist-value", 2, 2),
    ("lua-replicate-commands", 2, 2),
];
