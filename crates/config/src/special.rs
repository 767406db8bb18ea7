//! The directives with hand-written syntax: `save`, `bind`,
//! `client-output-buffer-limit`, `oom-score-adj-values`,
//! `notify-keyspace-events`, `replicaof`, `latency-tracking-info-percentiles`.
//!
//! Each parser returns Redis's exact error text, and each formatter
//! produces the text Redis's CONFIG GET shows.

use crate::numeric::{c_strtoll, format_percentile, memtoull};

/// One `save <seconds> <changes>` point: snapshot after `seconds` if at
/// least `changes` writes happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save.
    pub seconds: i64,
    /// Minimum number of changes.
    pub changes: i64,
}

/// Redis 7.2's default `save 3600 1 300 100 60 10000`.
pub const DEFAULT_SAVE_POINTS: [SavePoint; 3] = [
    SavePoint {
        seconds: 3600,
        changes: 1,
    },
    SavePoint {
        seconds: 300,
        changes: 100,
    },
    SavePoint {
        seconds: 60,
        changes: 10000,
    },
];

/// Parses `save` arguments (`""` alone means "no save points").
pub fn parse_save(args: &[Vec<u8>]) -> Result<Vec<SavePoint>, String> {
    const INVALID: &str = "Invalid save parameters";
    let args = if args.len() == 1 && args[0].is_empty() {
        &[][..]
    } else {
        args
    };
    if !args.len().is_multiple_of(2) {
        return Err(INVALID.into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let seconds = c_strtoll(&pair[0], 10).filter(|&s| s >= 1).ok_or(INVALID)?;
        let changes = c_strtoll(&pair[1], 10).filter(|&c| c >= 0).ok_or(INVALID)?;
        points.push(SavePoint { seconds, changes });
    }
    Ok(points)
}

/// CONFIG GET rendering of `save`: `3600 1 300 100`.
pub fn format_save(points: &[SavePoint]) -> String {
    let parts: Vec<String> = points
        .iter()
        .map(|p| format!("{} {}", p.seconds, p.changes))
        .collect();
    parts.join(" ")
}

/// A client class of `client-output-buffer-limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    /// Ordinary clients.
    Normal = 0,
    /// Replicas (`slave` or `replica` in the directive).
    Replica = 1,
    /// Pub/Sub subscribers.
    Pubsub = 2,
}

impl ClientClass {
    /// All classes, in Redis's order.
    pub const ALL: [ClientClass; 3] = [
        ClientClass::Normal,
        ClientClass::Replica,
        ClientClass::Pubsub,
    ];

    /// The name CONFIG GET uses.
    pub fn config_get_name(self) -> &'static str {
        match self {
            ClientClass::Normal => "normal",
            ClientClass::Replica => "slave",
            ClientClass::Pubsub => "pubsub",
        }
    }

    /// The name CONFIG REWRITE writes.
    pub fn rewrite_name(self) -> &'static str {
        match self {
            ClientClass::Replica => "replica",
            other => other.config_get_name(),
        }
    }

    fn from_name(name: &[u8]) -> Option<Self> {
        match name.to_ascii_lowercase().as_slice() {
            b"normal" => Some(ClientClass::Normal),
            b"slave" | b"replica" => Some(ClientClass::Replica),
            b"pubsub" => Some(ClientClass::Pubsub),
            _ => None,
        }
    }
}

/// Output buffer limits of one client class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputBufferLimit {
    /// Disconnect as soon as the buffer exceeds this (0: no limit).
    pub hard_bytes: u64,
    /// Disconnect when the buffer stays above this...
    pub soft_bytes: u64,
    /// ...for this many seconds.
    pub soft_seconds: i64,
}

/// Redis's defaults, indexed by [`ClientClass`].
pub const DEFAULT_OUTPUT_BUFFER_LIMITS: [OutputBufferLimit; 3] = [
    OutputBufferLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    OutputBufferLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    OutputBufferLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];

/// Applies `client-output-buffer-limit` arguments to `current`; classes
/// not named keep their limits. All-or-nothing.
pub fn parse_output_buffer_limits(
    args: &[Vec<u8>],
    current: &[OutputBufferLimit; 3],
) -> Result<[OutputBufferLimit; 3], String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = *current;
    for group in args.chunks(4) {
        let class = ClientClass::from_name(&group[0])
            .ok_or("Invalid client class specified in buffer limit configuration.")?;
        let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard_bytes = memtoull(&group[1]).ok_or(bad)?;
        let soft_bytes = memtoull(&group[2]).ok_or(bad)?;
        let soft_seconds = c_strtoll(&group[3], 10).filter(|&s| s >= 0).ok_or(bad)?;
        limits[class as usize] = OutputBufferLimit {
            hard_bytes,
            soft_bytes,
            soft_seconds,
        };
    }
    Ok(limits)
}

/// CONFIG GET rendering: `normal 0 0 0 slave 268435456 67108864 60 pubsub ...`.
pub fn format_output_buffer_limits(limits: &[OutputBufferLimit; 3]) -> String {
    let parts: Vec<String> = ClientClass::ALL
        .iter()
        .map(|&class| {
            let l = limits[class as usize];
            format!(
                "{} {} {} {}",
                class.config_get_name(),
                l.hard_bytes,
                l.soft_bytes,
                l.soft_seconds
            )
        })
        .collect();
    parts.join(" ")
}

/// Redis's default `oom-score-adj-values`.
pub const DEFAULT_OOM_SCORE_ADJ_VALUES: [i32; 3] = [0, 200, 800];

/// Parses the three `oom-score-adj-values`.
pub fn parse_oom_score_adj_values(args: &[Vec<u8>]) -> Result<[i32; 3], String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut values = [0; 3];
    for (slot, arg) in values.iter_mut().zip(args) {
        *slot = c_strtoll(arg, 10)
            .filter(|v| (-2000..=2000).contains(v))
            .and_then(|v| i32::try_from(v).ok())
            .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
    }
    Ok(values)
}

bitflags::bitflags! {
    /// Keyspace notification classes (`notify-keyspace-events`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct NotifyFlags: u32 {
        /// `K`: publish on `__keyspace@<db>__`.
        const KEYSPACE = 1 << 0;
        /// `E`: publish on `__keyevent@<db>__`.
        const KEYEVENT = 1 << 1;
        /// `g`: generic commands (DEL, EXPIRE, RENAME...).
        const GENERIC = 1 << 2;
        /// `$`: string commands.
        const STRING = 1 << 3;
        /// `l`: list commands.
        const LIST = 1 << 4;
        /// `s`: set commands.
        const SET = 1 << 5;
        /// `h`: hash commands.
        const HASH = 1 << 6;
        /// `z`: sorted set commands.
        const ZSET = 1 << 7;
        /// `x`: expirations.
        const EXPIRED = 1 << 8;
        /// `e`: evictions.
        const EVICTED = 1 << 9;
        /// `t`: stream commands.
        const STREAM = 1 << 10;
        /// `m`: key misses (not part of `A`).
        const KEY_MISS = 1 << 11;
        /// `d`: module key types.
        const MODULE = 1 << 12;
        /// `n`: new keys (not part of `A`).
        const NEW = 1 << 13;
        /// `A`: alias for `g$lshzxetd`.
        const ALL = Self::GENERIC.bits() | Self::STRING.bits() | Self::LIST.bits()
            | Self::SET.bits() | Self::HASH.bits() | Self::ZSET.bits() | Self::EXPIRED.bits()
            | Self::EVICTED.bits() | Self::STREAM.bits() | Self::MODULE.bits();
    }
}

/// Class characters in Redis's rendering order (after `A`).
const NOTIFY_CLASS_CHARS: &[(u8, NotifyFlags)] = &[
    (b'g', NotifyFlags::GENERIC),
    (b'$', NotifyFlags::STRING),
    (b'l', NotifyFlags::LIST),
    (b's', NotifyFlags::SET),
    (b'h', NotifyFlags::HASH),
    (b'z', NotifyFlags::ZSET),
    (b'x', NotifyFlags::EXPIRED),
    (b'e', NotifyFlags::EVICTED),
    (b't', NotifyFlags::STREAM),
    (b'd', NotifyFlags::MODULE),
    (b'n', NotifyFlags::NEW),
];

/// Parses `notify-keyspace-events` flags.
pub fn parse_notify_flags(arg: &[u8]) -> Result<NotifyFlags, String> {
    let mut flags = NotifyFlags::empty();
    for &c in arg {
        flags |= match c {
            b'A' => NotifyFlags::ALL,
            b'K' => NotifyFlags::KEYSPACE,
            b'E' => NotifyFlags::KEYEVENT,
            b'm' => NotifyFlags::KEY_MISS,
            other => NOTIFY_CLASS_CHARS
                .iter()
                .find(|(ch, _)| *ch == other)
                .map(|(_, flag)| *flag)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?,
        };
    }
    Ok(flags)
}

/// Redis's `keyspaceEventsFlagsToString`.
pub fn format_notify_flags(flags: NotifyFlags) -> String {
    let mut out = String::new();
    if flags.contains(NotifyFlags::ALL) {
        out.push('A');
    } else {
        for (ch, flag) in NOTIFY_CLASS_CHARS {
            if flags.contains(*flag) {
                out.push(*ch as char);
            }
        }
    }
    for (ch, flag) in [
        ('K', NotifyFlags::KEYSPACE),
        ('E', NotifyFlags::KEYEVENT),
        ('m', NotifyFlags::KEY_MISS),
    ] {
        if flags.contains(flag) {
            out.push(ch);
        }
    }
    out
}

/// Redis's `CONFIG_BINDADDR_MAX`.
const MAX_BIND_ADDRESSES: usize = 16;

/// The default bind addresses: loopback only, as the stock `redis.conf` sets it: a moat started with no
/// configuration (default user open, no password) must not be reachable
/// from other machines. Redis's compiled-in default is `* -::*` guarded by
/// protected mode; binding loopback is the stricter of the two.
pub const DEFAULT_BIND: [&str; 2] = ["127.0.0.1", "-::1"];

/// Parses `bind` addresses (`""` alone means "none").
pub fn parse_bind(args: &[Vec<u8>]) -> Result<Vec<String>, String> {
    if args.len() > MAX_BIND_ADDRESSES {
        return Err("Too many bind addresses specified.".into());
    }
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    Ok(args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect())
}

/// The primary a replica follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaOf {
    /// Primary host.
    pub host: String,
    /// Primary port.
    pub port: u16,
}

/// Parses `replicaof <host> <port>` / `replicaof no one`.
pub fn parse_replica_of(args: &[Vec<u8>]) -> Result<Option<ReplicaOf>, String> {
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
        return Ok(None);
    }
    let port = c_strtoll(&args[1], 10)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("Invalid master port")?;
    Ok(Some(ReplicaOf {
        host: String::from_utf8_lossy(&args[0]).into_owned(),
        port,
    }))
}

/// Redis's default latency percentiles.
pub const DEFAULT_PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];

/// Parses `latency-tracking-info-percentiles` (`""` alone means "none").
pub fn parse_percentiles(args: &[Vec<u8>]) -> Result<Vec<f64>, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    args.iter()
        .map(|arg| {
            let value: f64 = std::str::from_utf8(arg)
                .ok()
                .filter(|s| !s.is_empty() && !s.starts_with(|c: char| c.is_whitespace()))
                .and_then(|s| s.parse().ok())
                .filter(|v: &f64| !v.is_nan())
                .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if (0.0..=100.0).contains(&value) {
                Ok(value)
            } else {
                Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                )
            }
        })
        .collect()
}

/// CONFIG GET rendering of the percentiles: `50 99 99.9`.
pub fn format_percentiles(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|&v| format_percentile(v)).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<Vec<u8>> {
        s.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn save_points() {
        assert_eq!(format_save(&DEFAULT_SAVE_POINTS), "3600 1 300 100 60 10000");
        assert_eq!(parse_save(&args(&[""])).unwrap(), vec![]);
        assert_eq!(
            parse_save(&args(&["10", "0"])).unwrap(),
            vec![SavePoint {
                seconds: 10,
                changes: 0
            }]
        );
        for bad in [&["10"][..], &["0", "1"], &["1", "-1"], &["x", "1"]] {
            assert_eq!(
                parse_save(&args(bad)).unwrap_err(),
                "Invalid save parameters"
            );
        }
    }

    #[test]
    fn output_buffer_limits() {
        assert_eq!(
            format_output_buffer_limits(&DEFAULT_OUTPUT_BUFFER_LIMITS),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        let updated = parse_output_buffer_limits(
            &args(&["replica", "1mb", "2k", "3", "normal", "1", "1", "+5"]),
            &DEFAULT_OUTPUT_BUFFER_LIMITS,
        )
        .unwrap();
        assert_eq!(
            format_output_buffer_limits(&updated),
            "normal 1 1 5 slave 1048576 2000 3 pubsub 33554432 8388608 60"
        );
        let err = |a: &[&str]| {
            parse_output_buffer_limits(&args(a), &DEFAULT_OUTPUT_BUFFER_LIMITS).unwrap_err()
        };
        assert_eq!(
            err(&["normal", "1", "2"]),
            "Wrong number of arguments in buffer limit configuration."
        );
        assert_eq!(
            err(&["master", "1", "2", "3"]),
            "Invalid client class specified in buffer limit configuration."
        );
        assert_eq!(
            err(&["pubsub", "1x", "2", "3"]),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration."
        );
    }

    #[test]
    fn notify_flags_render_like_redis() {
        let render = |s: &str| format_notify_flags(parse_notify_flags(s.as_bytes()).unwrap());
        assert_eq!(render("An"), "A");
        assert_eq!(render("KEA"), "AKE");
        assert_eq!(render("g$lshzxetdmnKE"), "AKEm");
        assert_eq!(render("Elg"), "glE");
        assert_eq!(render(""), "");
        assert_eq!(
            parse_notify_flags(b"Q").unwrap_err(),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
    }

    #[test]
    fn oom_values_and_bind_and_replicaof() {
        assert_eq!(
            parse_oom_score_adj_values(&args(&["1", "2", "3"])).unwrap(),
            [1, 2, 3]
        );
        assert_eq!(
            parse_oom_score_adj_values(&args(&["1", "2"])).unwrap_err(),
            "wrong number of arguments"
        );
        assert!(parse_oom_score_adj_values(&args(&["1", "2", "9999"])).is_err());
        assert_eq!(parse_bind(&args(&[""])).unwrap(), Vec::<String>::new());
        assert!(parse_bind(&args(&["a"; 17])).is_err());
        assert_eq!(parse_replica_of(&args(&["NO", "one"])).unwrap(), None);
        assert_eq!(
            parse_replica_of(&args(&["h", "6380"])).unwrap(),
            Some(ReplicaOf {
                host: "h".into(),
                port: 6380
            })
        );
        assert_eq!(
            parse_replica_of(&args(&["h", "70000"])).unwrap_err(),
            "Invalid master port"
        );
    }

    #[test]
    fn percentiles() {
        assert_eq!(format_percentiles(&DEFAULT_PERCENTILES), "50 99 99.9");
        assert_eq!(
            parse_percentiles(&args(&["1.5", "2e1"])).unwrap(),
            vec![1.5, 20.0]
        );
        assert!(parse_percentiles(&args(&["101"]))
            .unwrap_err()
            .contains("[0.0,100.0]"));
        assert_eq!(
            parse_percentiles(&args(&["x"])).unwrap_err(),
            "Invalid latency-tracking-info-percentiles parameters"
        );
    }
}
