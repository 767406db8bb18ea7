//! One command's declaration.

use crate::{Categories, CommandFlags, KeySpecFlags};

/// The pre-key-spec `first/last/step` triple `COMMAND INFO` still shows,
/// derived from the key specs as Redis's `populateCommandLegacyRangeSpec`
/// does. `last` is absolute (negative: counted from the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegacyKeyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

/// The command-specific key extractor Redis falls back to when key specs
/// cannot say everything (Redis's `get_keys_function`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFunction {
    /// SET: read+write only when a `GET` token follows the value.
    Set,
    /// BITFIELD: read-only only when every sub-operation is GET/OVERFLOW.
    Bitfield,
    /// SORT: the sorted key plus the last `STORE` destination.
    Sort,
    /// SORT_RO: the sorted key only.
    SortRo,
    /// MIGRATE: argv[3], or everything after `KEYS`.
    Migrate,
    /// GEORADIUS/GEORADIUSBYMEMBER: the key plus the STORE/STOREDIST target.
    Georadius,
    /// XREAD/XREADGROUP: half the arguments after `STREAMS`.
    Xread,
    /// A count at `count_at`, then that many keys from `first_key`, and
    /// optionally a destination at `store_at` (Redis's `genericGetKeys`).
    Numkeys {
        store_at: usize,
        count_at: usize,
        first_key: usize,
    },
}

/// Dense index of a command or subcommand in the [`crate::CommandTable`].
/// The ACL engine sizes its command bitmaps by [`crate::CommandTable::len`].
pub type CommandId = u16;

/// Where the search for a key spec's first key starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginSearch {
    /// A fixed argument index.
    Index(i32),
    /// The argument after `keyword`, searched from `startfrom` (negative:
    /// from the end, backwards).
    Keyword {
        keyword: String,
        startfrom: i32,
    },
    Unknown,
}

/// How a key spec finds its keys once the search began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` relative to the begin index (negative: from the end),
    /// every `keystep`; `limit` > 1 with lastkey -1 takes 1/limit of the rest.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The number of keys is at `keynumidx` (relative to the begin index).
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    Unknown,
}

/// A key spec: which arguments are keys, and what the command does to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub notes: Option<String>,
    pub flags: KeySpecFlags,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

/// A command or subcommand.
#[derive(Debug, Clone)]
pub struct Command {
    pub id: CommandId,
    /// Lowercase name as typed: `get`, or `kill` for `CLIENT KILL`.
    pub name: String,
    /// `get`, or `client|kill` for a subcommand.
    pub fullname: String,
    /// The container for a subcommand.
    pub parent: Option<CommandId>,
    /// Redis arity: N exactly, or -N at least N, counting the name.
    pub arity: i32,
    pub flags: CommandFlags,
    /// Categories as `COMMAND INFO` shows them and `+@cat` matches them:
    /// the declared ones plus those Redis derives from the flags.
    pub categories: Categories,
    pub key_specs: Vec<KeySpec>,
    /// `first/last/step` for `COMMAND INFO`.
    pub legacy_range: LegacyKeyRange,
    /// Fallback key extractor, when the command has one.
    pub key_function: Option<KeyFunction>,
    /// The module that registered the command (`ReJSON`), if any.
    pub module: Option<String>,
    /// Command tips (`nondeterministic_output`, `request_policy:all_shards`...).
    pub tips: Vec<String>,
    pub subcommands: Vec<CommandId>,
    /// The declaration as loaded, for `COMMAND DOCS` (summary, since,
    /// group, complexity, doc_flags, deprecated_since, replaced_by,
    /// history, arguments).
    pub docs: serde_json::Value,
}

impl Command {
    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// True for containers (`CLIENT`, `CONFIG`, `ACL`...).
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }
}
