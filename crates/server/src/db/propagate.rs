//! The propagation buffer: what a command (or the expiry cycle) must
//! append to the AOF so that replaying the file rebuilds the dataset.
//!
//! Dispatch decides, once per command, whether the command's own argv is
//! propagated: it is when the command counted a change, the keyspace's
//! `dirty` counter having moved during a data handler (as
//! [`Keyspace::settle_changes`](super::Keyspace::settle_changes) counts
//! it: an LTRIM that kept everything is no change). Handlers never do I/O; a handler whose argv would not
//! replay deterministically (relative TTLs, random pops, float
//! increments) calls [`Propagation::replace_own`] with the commands that
//! state what it did, and [`Keyspace::key_expired`](super::Keyspace) adds
//! the `DEL` of every key that expired. A caller that runs other commands
//! (EXEC, a script) calls [`Propagation::suppress_own`] and lets the
//! commands it ran propagate themselves; [`Propagation::push`] is the
//! "propagate these argv" entry point for anything else.
//!
//! Nothing is recorded while [`Propagation::enabled`] is false (no AOF),
//! so a server without persistence pays one branch per write.

use bytes::Bytes;

/// One command to append, in the database it ran in.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub db: usize,
    pub argv: Vec<Bytes>,
}

/// What happens to the running command's own argv.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Own {
    /// Propagated as received if the command wrote.
    #[default]
    AsIs,
    /// The handler pushed its replacement already.
    Replaced,
    /// Never propagated (its effects were propagated by what it ran).
    Suppressed,
}

#[derive(Debug, Default)]
pub struct Propagation {
    /// Whether anyone consumes the ops (the AOF is on).
    pub enabled: bool,
    ops: Vec<Op>,
    own: Own,
}

impl Propagation {
    /// Appends a command to propagate, after those already pending.
    pub fn push(&mut self, db: usize, argv: Vec<Bytes>) {
        if self.enabled {
            self.ops.push(Op { db, argv });
        }
    }

    /// The running command propagates as `argv` (call again to add more
    /// commands) instead of its own argv.
    pub fn replace_own(&mut self, db: usize, argv: Vec<Bytes>) {
        self.own = Own::Replaced;
        self.push(db, argv);
    }

    /// The running command propagates as nothing at all.
    pub fn suppress_own(&mut self) {
        self.own = Own::Suppressed;
    }

    /// Starts a command: returns the decision of the enclosing one, to be
    /// given back to [`Propagation::end_command`].
    pub fn begin_command(&mut self) -> Own {
        std::mem::take(&mut self.own)
    }

    /// Ends a command that ran in `db` with `argv`: propagates the argv if
    /// it wrote and nothing replaced it, and restores the enclosing
    /// command's decision.
    pub fn end_command(&mut self, enclosing: Own, wrote: bool, db: usize, argv: &[Bytes]) {
        let own = std::mem::replace(&mut self.own, enclosing);
        if wrote && own == Own::AsIs {
            self.push(db, argv.to_vec());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Everything pending, oldest first.
    pub fn take(&mut self) -> Vec<Op> {
        std::mem::take(&mut self.ops)
    }
}

/// `Bytes` for a static word.
pub fn word(text: &'static str) -> Bytes {
    Bytes::from_static(text.as_bytes())
}

/// `Bytes` for a number.
pub fn number(n: i64) -> Bytes {
    Bytes::from(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&'static str]) -> Vec<Bytes> {
        words.iter().map(|w| word(w)).collect()
    }

    #[test]
    fn disabled_records_nothing() {
        let mut p = Propagation::default();
        let enclosing = p.begin_command();
        p.end_command(enclosing, true, 0, &argv(&["SET", "k", "v"]));
        assert!(p.is_empty());
    }

    #[test]
    fn writes_propagate_unless_replaced_or_suppressed() {
        let mut p = Propagation {
            enabled: true,
            ..Propagation::default()
        };
        let e = p.begin_command();
        p.end_command(e, false, 0, &argv(&["GET", "k"]));
        let e = p.begin_command();
        p.end_command(e, true, 1, &argv(&["SET", "k", "v"]));
        let e = p.begin_command();
        p.replace_own(0, argv(&["DEL", "k"]));
        p.end_command(e, true, 0, &argv(&["GETDEL", "k"]));
        // EXEC suppresses itself; the command it runs still propagates.
        let outer = p.begin_command();
        p.suppress_own();
        let inner = p.begin_command();
        p.end_command(inner, true, 0, &argv(&["INCR", "n"]));
        p.end_command(outer, true, 0, &argv(&["EXEC"]));
        let ops: Vec<_> = p.take().into_iter().map(|op| (op.db, op.argv)).collect();
        assert_eq!(
            ops,
            vec![
                (1, argv(&["SET", "k", "v"])),
                (0, argv(&["DEL", "k"])),
                (0, argv(&["INCR", "n"])),
            ]
        );
    }
}
