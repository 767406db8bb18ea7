//! The per-command key extractors Redis falls back to when key specs are
//! incomplete or their flags depend on the arguments (db.c's `*GetKeys`).
//!
//! They are reproduced quirks included (options parsed loosely, `atoi` for
//! counts, flags left empty where Redis leaves them empty), because ACL
//! decisions and `COMMAND GETKEYS` answers are built on exactly these.

use crate::{KeyFunction, KeyRef, KeyRefs, KeySpecFlags};
use bytes::Bytes;
use smallvec::smallvec;

use KeySpecFlags as F;

pub(crate) fn run_key_function(function: KeyFunction, argv: &[Bytes]) -> KeyRefs {
    match function {
        KeyFunction::Set => set_keys(argv),
        KeyFunction::Bitfield => bitfield_keys(argv),
        KeyFunction::Sort => sort_keys(argv),
        KeyFunction::SortRo => smallvec![key(1, F::RO | F::ACCESS)],
        KeyFunction::Migrate => migrate_keys(argv),
        KeyFunction::Georadius => georadius_keys(argv),
        KeyFunction::Xread => xread_keys(argv),
        KeyFunction::Numkeys {
            store_at,
            count_at,
            first_key,
        } => numkeys_keys(argv, store_at, count_at, first_key),
    }
}

fn key(index: usize, flags: KeySpecFlags) -> KeyRef {
    KeyRef { index, flags }
}

fn is(arg: &Bytes, word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// SET reads the old value only when `GET` appears among the options.
fn set_keys(argv: &[Bytes]) -> KeyRefs {
    let with_get = argv.iter().skip(3).any(|a| is(a, "get"));
    let flags = if with_get {
        F::RW | F::ACCESS | F::UPDATE
    } else {
        F::OW | F::UPDATE
    };
    smallvec![key(1, flags)]
}

/// Read-only only if every sub-operation is a complete GET or OVERFLOW;
/// anything else, syntax errors included, is assumed to write.
fn bitfield_keys(argv: &[Bytes]) -> KeyRefs {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let arg = &argv[i];
        if is(arg, "get") && remaining >= 2 {
            i += 2;
        } else if (is(arg, "set") || is(arg, "incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if is(arg, "overflow") && remaining >= 1 {
            i += 1;
        } else {
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags = if readonly {
        F::RO | F::ACCESS
    } else {
        F::RW | F::ACCESS | F::UPDATE
    };
    smallvec![key(1, flags)]
}

/// The sorted key, and the destination of the last `STORE` (as SORT itself
/// honours the last one). LIMIT/GET/BY arguments are skipped.
fn sort_keys(argv: &[Bytes]) -> KeyRefs {
    let mut keys = smallvec![key(1, F::RO | F::ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = &argv[i];
        if is(arg, "limit") {
            i += 2;
        } else if is(arg, "store") && i + 1 < argv.len() {
            // Redis records the key but does not step over it.
            store = Some(i + 1);
        } else if is(arg, "get") || is(arg, "by") {
            i += 1;
        }
        i += 1;
    }
    keys.extend(store.map(|at| key(at, F::OW | F::UPDATE)));
    keys
}

/// argv[3], or with `KEYS` (only allowed when argv[3] is empty) every
/// argument after it; AUTH/AUTH2 arguments are skipped while searching.
fn migrate_keys(argv: &[Bytes]) -> KeyRefs {
    let flags = F::RW | F::ACCESS | F::DELETE;
    let mut first = 3;
    let mut count = 1;
    if argv.len() > 6 {
        let mut i = 6;
        while i < argv.len() {
            let arg = &argv[i];
            if is(arg, "keys") {
                if !argv[3].is_empty() {
                    return KeyRefs::new();
                }
                first = i + 1;
                count = argv.len() - first;
                break;
            }
            if is(arg, "auth") {
                i += 1;
            } else if is(arg, "auth2") {
                i += 2;
            }
            i += 1;
        }
    }
    (first..first + count)
        .filter(|i| *i < argv.len())
        .map(|i| key(i, flags))
        .collect()
}

/// The key, and the STORE/STOREDIST destination. Redis's own function
/// keeps only the last; every occurrence is returned here so that ACL
/// checks see whichever one the command ends up using.
fn georadius_keys(argv: &[Bytes]) -> KeyRefs {
    let mut keys = smallvec![key(1, F::RO | F::ACCESS)];
    let mut i = 5;
    while i < argv.len() {
        if (is(&argv[i], "store") || is(&argv[i], "storedist")) && i + 1 < argv.len() {
            keys.push(key(i + 1, F::OW | F::UPDATE));
            i += 1;
        }
        i += 1;
    }
    keys
}

/// Half of the arguments after the first real `STREAMS` option (the rest
/// are IDs); option values named "streams" are skipped.
fn xread_keys(argv: &[Bytes]) -> KeyRefs {
    let mut streams_at = None;
    let mut i = 1;
    while i < argv.len() {
        let arg = &argv[i];
        if is(arg, "block") || is(arg, "count") {
            i += 1;
        } else if is(arg, "group") {
            i += 2;
        } else if is(arg, "noack") {
        } else if is(arg, "streams") {
            streams_at = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(streams_at) = streams_at else {
        return KeyRefs::new();
    };
    let rest = argv.len() - streams_at - 1;
    if rest == 0 || !rest.is_multiple_of(2) {
        return KeyRefs::new();
    }
    (streams_at + 1..=streams_at + rest / 2)
        .map(|i| key(i, F::RO | F::ACCESS))
        .collect()
}

/// Redis's `genericGetKeys`: `atoi(argv[count_at])` keys from `first_key`,
/// then the destination at `store_at` (0: none). Flags are empty, as in
/// Redis. An out-of-range count means a syntax error: no keys.
fn numkeys_keys(argv: &[Bytes], store_at: usize, count_at: usize, first_key: usize) -> KeyRefs {
    let Some(count) = argv.get(count_at).map(|a| atoi(a)) else {
        return KeyRefs::new();
    };
    let available = argv.len() as i64 - first_key as i64;
    if count < 1 || count > available {
        return KeyRefs::new();
    }
    let mut keys: KeyRefs = (0..count as usize)
        .map(|i| key(first_key + i, F::empty()))
        .collect();
    if store_at != 0 {
        keys.push(key(store_at, F::empty()));
    }
    keys
}

/// C's `atoi`: leading whitespace, a sign, then as many digits as there are.
fn atoi(bytes: &[u8]) -> i64 {
    let mut rest = bytes
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .peekable();
    let negative = match rest.peek() {
        Some(b'-') => {
            rest.next();
            true
        }
        Some(b'+') => {
            rest.next();
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    for b in rest.take_while(|b| b.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    // atoi returns an int; anything beyond is out of range for a count anyway.
    let value = value.min(i64::from(i32::MAX));
    if negative {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    #[test]
    fn atoi_reads_a_leading_number() {
        assert_eq!(atoi(b"12"), 12);
        assert_eq!(atoi(b"  -3x"), -3);
        assert_eq!(atoi(b"+4"), 4);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b""), 0);
    }

    #[test]
    fn numkeys_rejects_counts_beyond_argv() {
        let a = argv(&["zunionstore", "d", "3", "a", "b"]);
        assert!(numkeys_keys(&a, 1, 2, 3).is_empty());
        let a = argv(&["zunionstore", "d", "2", "a", "b"]);
        assert_eq!(
            numkeys_keys(&a, 1, 2, 3)
                .iter()
                .map(|k| k.index)
                .collect::<Vec<_>>(),
            [3, 4, 1]
        );
        assert!(numkeys_keys(&argv(&["eval"]), 0, 2, 3).is_empty());
    }

    #[test]
    fn xread_skips_option_values() {
        let a = argv(&[
            "xreadgroup",
            "GROUP",
            "streams",
            "c",
            "STREAMS",
            "s1",
            "s2",
            "0",
            "0",
        ]);
        assert_eq!(
            xread_keys(&a).iter().map(|k| k.index).collect::<Vec<_>>(),
            [5, 6]
        );
        assert!(xread_keys(&argv(&["xread", "STREAMS", "a"])).is_empty());
        assert!(xread_keys(&argv(&["xread", "BOGUS", "STREAMS", "a", "0"])).is_empty());
    }
}
