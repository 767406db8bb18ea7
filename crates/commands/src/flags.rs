//! Command flags and key-spec flags.

bitflags::bitflags! {
    /// Command flags, as `COMMAND INFO` names them (lowercase).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CommandFlags: u32 {
        const WRITE = 1 << 0;
        const READONLY = 1 << 1;
        const DENYOOM = 1 << 2;
        const MODULE = 1 << 3;
        const ADMIN = 1 << 4;
        const PUBSUB = 1 << 5;
        const NOSCRIPT = 1 << 6;
        const BLOCKING = 1 << 7;
        const LOADING = 1 << 8;
        const STALE = 1 << 9;
        const SKIP_MONITOR = 1 << 10;
        const SKIP_SLOWLOG = 1 << 11;
        const ASKING = 1 << 12;
        const FAST = 1 << 13;
        const NO_AUTH = 1 << 14;
        const MAY_REPLICATE = 1 << 15;
        const SENTINEL = 1 << 16;
        const ONLY_SENTINEL = 1 << 17;
        const NO_MANDATORY_KEYS = 1 << 18;
        const PROTECTED = 1 << 19;
        const MODULE_GETKEYS = 1 << 20;
        const MODULE_NO_CLUSTER = 1 << 21;
        const NO_ASYNC_LOADING = 1 << 22;
        const NO_MULTI = 1 << 23;
        const MOVABLE_KEYS = 1 << 24;
        const ALLOW_BUSY = 1 << 25;
        const MODULE_GETCHANNELS = 1 << 26;
        const TOUCHES_ARBITRARY_KEYS = 1 << 27;
    }
}

bitflags::bitflags! {
    /// Key-spec flags. ACL decisions use only ACCESS (read) and
    /// INSERT/UPDATE/DELETE (write); RO/RW/OW/RM describe the logical
    /// operation and are shown by `COMMAND INFO`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct KeySpecFlags: u32 {
        const RO = 1 << 0;
        const RW = 1 << 1;
        const OW = 1 << 2;
        const RM = 1 << 3;
        const ACCESS = 1 << 4;
        const UPDATE = 1 << 5;
        const INSERT = 1 << 6;
        const DELETE = 1 << 7;
        const NOT_KEY = 1 << 8;
        const INCOMPLETE = 1 << 9;
        const VARIABLE_FLAGS = 1 << 10;
    }
}

/// `COMMAND INFO`'s flag names in Redis's order. MAY_REPLICATE, SENTINEL,
/// ONLY_SENTINEL, PROTECTED, TOUCHES_ARBITRARY_KEYS and the module-internal
/// flags are hidden on purpose, as Redis hides them.
const COMMAND_FLAG_NAMES: [(CommandFlags, &str); 20] = [
    (CommandFlags::WRITE, "write"),
    (CommandFlags::READONLY, "readonly"),
    (CommandFlags::DENYOOM, "denyoom"),
    (CommandFlags::MODULE, "module"),
    (CommandFlags::ADMIN, "admin"),
    (CommandFlags::PUBSUB, "pubsub"),
    (CommandFlags::NOSCRIPT, "noscript"),
    (CommandFlags::BLOCKING, "blocking"),
    (CommandFlags::LOADING, "loading"),
    (CommandFlags::STALE, "stale"),
    (CommandFlags::SKIP_MONITOR, "skip_monitor"),
    (CommandFlags::SKIP_SLOWLOG, "skip_slowlog"),
    (CommandFlags::ASKING, "asking"),
    (CommandFlags::FAST, "fast"),
    (CommandFlags::NO_AUTH, "no_auth"),
    (CommandFlags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (CommandFlags::NO_ASYNC_LOADING, "no_async_loading"),
    (CommandFlags::NO_MULTI, "no_multi"),
    (CommandFlags::MOVABLE_KEYS, "movablekeys"),
    (CommandFlags::ALLOW_BUSY, "allow_busy"),
];

/// Key-spec flag names as `COMMAND INFO` and `GETKEYSANDFLAGS` show them.
const KEY_SPEC_FLAG_NAMES: [(KeySpecFlags, &str); 11] = [
    (KeySpecFlags::RO, "RO"),
    (KeySpecFlags::RW, "RW"),
    (KeySpecFlags::OW, "OW"),
    (KeySpecFlags::RM, "RM"),
    (KeySpecFlags::ACCESS, "access"),
    (KeySpecFlags::UPDATE, "update"),
    (KeySpecFlags::INSERT, "insert"),
    (KeySpecFlags::DELETE, "delete"),
    (KeySpecFlags::NOT_KEY, "not_key"),
    (KeySpecFlags::INCOMPLETE, "incomplete"),
    (KeySpecFlags::VARIABLE_FLAGS, "variable_flags"),
];

impl CommandFlags {
    /// The names `COMMAND INFO` shows for these flags, in its order.
    pub fn info_names(self) -> impl Iterator<Item = &'static str> {
        COMMAND_FLAG_NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

impl KeySpecFlags {
    /// The names `COMMAND INFO` shows for these flags, in its order.
    pub fn info_names(self) -> impl Iterator<Item = &'static str> {
        KEY_SPEC_FLAG_NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_flags_are_not_named() {
        let flags = CommandFlags::WRITE
            | CommandFlags::MAY_REPLICATE
            | CommandFlags::PROTECTED
            | CommandFlags::FAST;
        assert_eq!(flags.info_names().collect::<Vec<_>>(), ["write", "fast"]);
    }

    #[test]
    fn key_spec_flags_keep_redis_case() {
        let flags = KeySpecFlags::RW | KeySpecFlags::ACCESS | KeySpecFlags::UPDATE;
        assert_eq!(
            flags.info_names().collect::<Vec<_>>(),
            ["RW", "access", "update"]
        );
    }
}
