//! What Redis derives from a declaration at startup rather than reading it.
//!
//! Two derivations are observable by clients, so they must match Redis
//! exactly: the implicit ACL categories (`+@write` covers every WRITE
//! command even if its JSON never says `@write`), and the legacy
//! `first/last/step` triple of `COMMAND INFO` together with the
//! `movablekeys` flag, computed from the key specs.

use crate::{
    BeginSearch, Categories, Category, CommandFlags, FindKeys, KeySpec, KeySpecFlags,
    LegacyKeyRange,
};

/// Declared categories plus the ones Redis's `setImplicitACLCategories`
/// adds from the flags. Not applied to module commands, which are only in
/// the categories they declare.
pub(crate) fn implicit_categories(flags: CommandFlags, declared: Categories) -> Categories {
    let mut cats = declared;
    if flags.contains(CommandFlags::WRITE) {
        cats.insert(Category::Write);
    }
    // Scripts may write whatever READONLY says about EVAL_RO itself.
    if flags.contains(CommandFlags::READONLY) && !declared.contains(Category::Scripting) {
        cats.insert(Category::Read);
    }
    if flags.contains(CommandFlags::ADMIN) {
        cats.insert(Category::Admin);
        cats.insert(Category::Dangerous);
    }
    if flags.contains(CommandFlags::PUBSUB) {
        cats.insert(Category::PubSub);
    }
    if flags.contains(CommandFlags::FAST) {
        cats.insert(Category::Fast);
    }
    if flags.contains(CommandFlags::BLOCKING) {
        cats.insert(Category::Blocking);
    }
    if !cats.contains(Category::Fast) {
        cats.insert(Category::Slow);
    }
    cats
}

/// The legacy key range and whether the command has movable keys, as
/// `populateCommandLegacyRangeSpec` computes them: consecutive step-1
/// index/range specs are folded into one range; anything else (keyword or
/// keynum specs, gaps, steps, INCOMPLETE) makes the keys movable.
pub(crate) fn legacy_range(specs: &[KeySpec]) -> (LegacyKeyRange, bool) {
    let plain = |spec: &KeySpec| match (&spec.begin_search, &spec.find_keys) {
        (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey, keystep, ..
            },
        ) => Some((*pos, *lastkey, *keystep)),
        _ => None,
    };
    if specs.is_empty() {
        return (LegacyKeyRange::default(), false);
    }
    if let [only] = specs {
        if let Some((pos, lastkey, step)) = plain(only) {
            let movable = only.flags.contains(KeySpecFlags::INCOMPLETE);
            return (absolute(pos, lastkey, step), movable);
        }
    }
    let mut movable = false;
    let mut first = i32::MAX;
    let mut last: i32 = 0;
    let mut prev_last: i32 = 0;
    for spec in specs {
        let Some((pos, lastkey, step)) = plain(spec) else {
            movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        if spec.flags.contains(KeySpecFlags::INCOMPLETE) {
            movable = true;
        }
        first = first.min(pos);
        let last_abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
        // Redis compares as unsigned so that "until the end" (negative) wins.
        last = if (last as u32) >= (last_abs as u32) {
            last
        } else {
            last_abs
        };
        prev_last = last;
    }
    if first == i32::MAX {
        return (LegacyKeyRange::default(), true);
    }
    let relative = if last < 0 { last } else { last - first };
    (absolute(first, relative, 1), movable)
}

/// `COMMAND INFO` shows `last` absolute unless it counts from the end.
fn absolute(first: i32, relative_last: i32, step: i32) -> LegacyKeyRange {
    let last = if relative_last >= 0 {
        relative_last + first
    } else {
        relative_last
    };
    LegacyKeyRange { first, last, step }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(pos: i32, lastkey: i32, step: i32, flags: KeySpecFlags) -> KeySpec {
        KeySpec {
            notes: None,
            flags,
            begin_search: BeginSearch::Index(pos),
            find_keys: FindKeys::Range {
                lastkey,
                keystep: step,
                limit: 0,
            },
        }
    }

    #[test]
    fn single_range_is_taken_verbatim() {
        let (r, movable) = legacy_range(&[range(1, -1, 2, KeySpecFlags::OW)]);
        assert_eq!(
            r,
            LegacyKeyRange {
                first: 1,
                last: -1,
                step: 2
            }
        );
        assert!(!movable);
    }

    #[test]
    fn consecutive_ranges_fold_into_one() {
        // SMOVE-like: source at 1, destination at 2.
        let specs = [
            range(1, 0, 1, KeySpecFlags::RW),
            range(2, 0, 1, KeySpecFlags::RW),
        ];
        assert_eq!(
            legacy_range(&specs),
            (
                LegacyKeyRange {
                    first: 1,
                    last: 2,
                    step: 1
                },
                false
            )
        );
        // SINTERSTORE-like: destination then "the rest".
        let specs = [
            range(1, 0, 1, KeySpecFlags::RW),
            range(2, -1, 1, KeySpecFlags::RO),
        ];
        assert_eq!(
            legacy_range(&specs),
            (
                LegacyKeyRange {
                    first: 1,
                    last: -1,
                    step: 1
                },
                false
            )
        );
    }

    #[test]
    fn keynum_specs_make_keys_movable() {
        let keynum = KeySpec {
            notes: None,
            flags: KeySpecFlags::RO,
            begin_search: BeginSearch::Index(2),
            find_keys: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1,
            },
        };
        assert_eq!(legacy_range(&[keynum]), (LegacyKeyRange::default(), true));
    }

    #[test]
    fn fast_commands_are_not_slow_and_others_are() {
        let fast = implicit_categories(
            CommandFlags::READONLY | CommandFlags::FAST,
            Categories::EMPTY,
        );
        assert!(
            fast.contains(Category::Read)
                && fast.contains(Category::Fast)
                && !fast.contains(Category::Slow)
        );
        let mut scripting = Categories::EMPTY;
        scripting.insert(Category::Scripting);
        let eval_ro = implicit_categories(CommandFlags::READONLY, scripting);
        assert!(!eval_ro.contains(Category::Read) && eval_ro.contains(Category::Slow));
        let admin = implicit_categories(CommandFlags::ADMIN, Categories::EMPTY);
        assert!(admin.contains(Category::Admin) && admin.contains(Category::Dangerous));
    }
}
