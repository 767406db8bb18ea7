//! Script flags: declared in an EVAL script's `#!lua flags=...` shebang or
//! given to `redis.register_function`.

/// The flag set of a script or function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags(u8);

impl ScriptFlags {
    pub const NO_WRITES: ScriptFlags = ScriptFlags(1);
    pub const ALLOW_OOM: ScriptFlags = ScriptFlags(2);
    pub const ALLOW_STALE: ScriptFlags = ScriptFlags(4);
    pub const NO_CLUSTER: ScriptFlags = ScriptFlags(8);
    pub const ALLOW_CROSS_SLOT_KEYS: ScriptFlags = ScriptFlags(16);
    /// An EVAL script without shebang: Redis's backward-compatible mode,
    /// in which EVAL_RO may run it (read-only) whatever it does.
    pub const EVAL_COMPAT_MODE: ScriptFlags = ScriptFlags(32);

    /// Names as Redis spells them, in `FUNCTION LIST` order.
    pub const NAMES: &'static [(&'static str, ScriptFlags)] = &[
        ("no-writes", ScriptFlags::NO_WRITES),
        ("allow-oom", ScriptFlags::ALLOW_OOM),
        ("allow-stale", ScriptFlags::ALLOW_STALE),
        ("no-cluster", ScriptFlags::NO_CLUSTER),
        ("allow-cross-slot-keys", ScriptFlags::ALLOW_CROSS_SLOT_KEYS),
    ];

    pub fn by_name(name: &[u8]) -> Option<ScriptFlags> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, f)| *f)
    }

    pub fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: ScriptFlags) {
        self.0 |= other.0;
    }

    pub fn remove(&mut self, other: ScriptFlags) {
        self.0 &= !other.0;
    }

    /// The declared flags' names.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(_, f)| self.contains(*f))
            .map(|(n, _)| *n)
            .collect()
    }

    /// Redis's `scriptFlagsToCmdFlags`: a script that declared flags is a
    /// `denyoom` command unless it allows OOM or writes nothing (a script
    /// without shebang keeps EVAL's own flags, which have no `denyoom`).
    pub fn denies_oom(self) -> bool {
        !self.contains(ScriptFlags::EVAL_COMPAT_MODE) && !self.allows_oom()
    }

    /// `allow-oom`, or `no-writes`, which implies it.
    fn allows_oom(self) -> bool {
        self.contains(ScriptFlags::ALLOW_OOM) || self.contains(ScriptFlags::NO_WRITES)
    }

    /// Redis's `scriptPrepareForRun` refusal of a script that declared
    /// flags, when the command started over `maxmemory`: the error, if
    /// this script may not run.
    pub fn oom_refusal(self, over_maxmemory: bool) -> Option<&'static str> {
        (over_maxmemory && self.denies_oom()).then_some(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        )
    }

    /// Whether `redis.call` refuses `denyoom` commands when the command
    /// started over `maxmemory` (Redis's `SCRIPT_ALLOW_OOM` run flag is
    /// only set from a declared `allow-oom`).
    pub fn checks_oom(self) -> bool {
        self.contains(ScriptFlags::EVAL_COMPAT_MODE) || !self.contains(ScriptFlags::ALLOW_OOM)
    }

    /// Whether the script runs read-only: `_RO` commands, and scripts
    /// declaring `no-writes`. An `_RO` command refuses a script that
    /// declared flags without `no-writes` (`None`: the error).
    pub fn read_only(self, ro_command: bool) -> Result<bool, &'static str> {
        if self.contains(ScriptFlags::EVAL_COMPAT_MODE) {
            return Ok(ro_command);
        }
        if self.contains(ScriptFlags::NO_WRITES) {
            return Ok(true);
        }
        if ro_command {
            return Err("ERR Can not execute a script with write flag using *_ro command.");
        }
        Ok(false)
    }
}
