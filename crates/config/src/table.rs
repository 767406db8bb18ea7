//! The shape of a directive: its type, bounds, default and flags.
//!
//! Redis 7.2 describes almost every directive with a typed `standardConfig`
//! entry (bool, numeric, enum, string) plus a handful of "special" ones
//! with hand-written parsing. The same split is kept here so that loading,
//! CONFIG GET/SET and CONFIG REWRITE are written once per type.

bitflags::bitflags! {
    /// Behaviour flags of a directive, mirroring Redis's config flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Flags: u16 {
        /// Only settable at startup: CONFIG SET answers
        /// `can't set immutable config`.
        const IMMUTABLE = 1 << 0;
        /// The value is a secret: the server must redact it from logs,
        /// SLOWLOG and MONITOR.
        const SENSITIVE = 1 << 1;
        /// Left out of `CONFIG GET` glob matches (exact names still work).
        const HIDDEN = 1 << 2;
        /// Settable at runtime only when `enable-protected-configs` allows
        /// it for the client.
        const PROTECTED = 1 << 3;
        /// Refused while the dataset is loading.
        const DENY_LOADING = 1 << 4;
        /// Takes several arguments on one line (in CONFIG SET, the value is
        /// split on single spaces).
        const MULTI_ARG = 1 << 5;
    }
}

/// How a numeric directive reads and prints its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericUnit {
    /// A plain integer (`string2ll`).
    Plain,
    /// Bytes, with memory units accepted (`1gb`), printed as plain bytes.
    Memory,
    /// Bytes or a percentage (`10%`, stored negated as Redis does).
    MemoryOrPercent,
    /// An octal number (`unixsocketperm`).
    Octal,
}

/// A numeric directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericSpec {
    /// Inclusive lower bound.
    pub min: i64,
    /// Inclusive upper bound (for unsigned directives, the bit pattern of
    /// a `u64`, e.g. `-1` for `ULLONG_MAX`).
    pub max: i64,
    /// Default value.
    pub default: i64,
    /// Parsing and printing rules.
    pub unit: NumericUnit,
    /// Whether Redis stores it in an unsigned C type (bounds are then
    /// compared as unsigned, which changes the error text).
    pub unsigned: bool,
}

/// An enumerated directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumSpec {
    /// Allowed names and their values, in Redis's order (the order of the
    /// error message).
    pub values: &'static [(&'static str, i32)],
    /// Default value.
    pub default: i32,
    /// Several names may be given and are OR-ed (`shutdown-on-sigterm`).
    pub bit_flags: bool,
}

/// A string check run before a value is accepted; the error is Redis's.
pub type StringValidator = fn(&[u8]) -> Result<(), &'static str>;

/// A string directive.
#[derive(Debug, Clone, Copy)]
pub struct StringSpec {
    /// Default value; `None` means "unset" (printed as an empty string).
    pub default: Option<&'static str>,
    /// Setting the empty string unsets the value (Redis's
    /// `EMPTY_STRING_IS_NULL`), which removes it from rewritten files.
    pub empty_is_unset: bool,
    /// Extra validation.
    pub validate: Option<StringValidator>,
}

/// Directives with their own syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `dir`: the working directory.
    Dir,
    /// `save <seconds> <changes> ...`.
    Save,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <primary> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <flags>`.
    NotifyKeyspaceEvents,
    /// `bind <addr> ...`.
    Bind,
    /// `replicaof <host> <port>` / `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    LatencyTrackingInfoPercentiles,
}

/// The type of a directive.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes`/`no`.
    Bool {
        /// Default value.
        default: bool,
    },
    /// An integer, memory size or percentage.
    Numeric(NumericSpec),
    /// One of a fixed set of names.
    Enum(EnumSpec),
    /// Free text.
    String(StringSpec),
    /// Hand-written syntax.
    Special(Special),
}

/// One directive of Redis 7.2's config table.
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    /// Canonical (lowercase) name.
    pub name: &'static str,
    /// Legacy alternative name (`slaveof` for `replicaof`...), accepted
    /// everywhere and listed by `CONFIG GET` patterns.
    pub alias: Option<&'static str>,
    /// Behaviour flags.
    pub flags: Flags,
    /// Type, default and bounds.
    pub kind: Kind,
    /// Whether moat honours the value yet. Unimplemented directives load
    /// and answer CONFIG GET/SET like Redis, but have no effect; loading
    /// one from a file produces a warning.
    pub implemented: bool,
}
