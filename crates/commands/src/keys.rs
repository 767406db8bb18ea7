//! Key and channel extraction from a request, driven by key specs.
//!
//! This is what ACL key permissions are checked against, so it follows
//! Redis's `getKeysFromCommandWithSpecs` step by step: key specs when they
//! are complete and their flags fixed, otherwise the command's own key
//! function (see [`crate::KeyFunction`] and `key_functions.rs`), otherwise no
//! keys at all (the command then fails on its own syntax check).

use crate::key_functions::run_key_function;
use crate::{BeginSearch, Command, CommandFlags, FindKeys, KeyFunction, KeySpec, KeySpecFlags};
use bytes::Bytes;

/// A key argument and the flags of the key spec that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Index into argv.
    pub index: usize,
    pub flags: KeySpecFlags,
}

/// The keys of one request. Almost every request has one to three, so they
/// live inline: the ACL check of a GET allocates nothing.
pub type KeyRefs = smallvec::SmallVec<[KeyRef; 4]>;

/// How a pub/sub argument is checked against channel permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// PUBLISH/SUBSCRIBE/SPUBLISH/SSUBSCRIBE: glob-matched by the user's patterns.
    Channel,
    /// PSUBSCRIBE: must literally equal one of the user's patterns.
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRef {
    pub index: usize,
    pub kind: ChannelKind,
}

/// The keys of `argv` for `cmd`, as Redis extracts them for ACL checks and
/// `COMMAND GETKEYS(ANDFLAGS)`: key specs first; INCOMPLETE/unknown specs or
/// VARIABLE_FLAGS fall back to the command's own key function (SET with
/// GET, BITFIELD, SORT, MIGRATE, EVAL/FCALL, GEORADIUS STORE, ...); specs
/// with NOT_KEY are skipped. Invalid numkeys yields no keys.
///
/// Inlined (the fixed-key test, not the general walk) because the ACL
/// check of nearly every request by a user with key patterns calls it.
#[inline]
pub fn extract_keys(cmd: &Command, argv: &[Bytes]) -> KeyRefs {
    if let Some(key) = single_fixed_key(cmd, argv) {
        return smallvec::smallvec![key];
    }
    extract_keys_generally(cmd, argv)
}

/// [`extract_keys`] without the fast path for single fixed keys.
#[inline(never)]
fn extract_keys_generally(cmd: &Command, argv: &[Bytes]) -> KeyRefs {
    let has_keyspec = cmd
        .key_specs
        .iter()
        .any(|s| !s.flags.contains(KeySpecFlags::NOT_KEY));
    // Module key specs made from first/last/step carry VARIABLE_FLAGS only
    // because no flags were given; without a getkeys callback they are used.
    let has_variable_flags = cmd
        .key_specs
        .iter()
        .any(|s| s.flags.contains(KeySpecFlags::VARIABLE_FLAGS))
        && !cmd.flags.contains(CommandFlags::MODULE);
    if has_keyspec && !has_variable_flags {
        if let Some(keys) = keys_from_specs(cmd, argv) {
            return keys;
        }
    }
    match cmd.key_function {
        // The key functions assume the arity check passed; a request that
        // skipped it (DRYRUN, COMMAND GETKEYS on a short argv) must still
        // never yield a position outside argv.
        Some(function) => {
            let mut keys = run_key_function(function, argv);
            keys.retain(|k| k.index >= 1 && k.index < argv.len());
            keys
        }
        None => KeyRefs::new(),
    }
}

/// The most common shape, answered without the general walk: one key spec,
/// one key at a fixed index (GET, INCR, HGET, LPUSH...). What the general
/// path would find for it, or `None` to take that path. Public for the
/// ACL check, which then needs no key list for such requests.
#[inline]
pub fn single_fixed_key(cmd: &Command, argv: &[Bytes]) -> Option<KeyRef> {
    let [spec] = cmd.key_specs.as_slice() else {
        return None;
    };
    let odd = KeySpecFlags::NOT_KEY | KeySpecFlags::INCOMPLETE | KeySpecFlags::VARIABLE_FLAGS;
    match (&spec.begin_search, &spec.find_keys) {
        (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey: 0,
                keystep: 1,
                limit: 0,
            },
        ) if !spec.flags.intersects(odd) && *pos >= 1 && (*pos as usize) < argv.len() => {
            Some(KeyRef {
                index: *pos as usize,
                flags: spec.flags,
            })
        }
        _ => None,
    }
}

/// The channel arguments ACL checks for `cmd` (empty for commands that
/// are not PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE or PSUBSCRIBE).
pub fn extract_channels(cmd: &Command, argv: &[Bytes]) -> Vec<ChannelRef> {
    // All five carry the PUBSUB flag: one bit test spares every other
    // command (checked per request for users without allchannels) the
    // name comparisons.
    if !cmd.flags.contains(CommandFlags::PUBSUB) {
        return Vec::new();
    }
    let channel = |index| ChannelRef {
        index,
        kind: ChannelKind::Channel,
    };
    match cmd.fullname.as_str() {
        "publish" | "spublish" => (1..argv.len().min(2)).map(channel).collect(),
        "subscribe" | "ssubscribe" => (1..argv.len()).map(channel).collect(),
        "psubscribe" => (1..argv.len())
            .map(|index| ChannelRef {
                index,
                kind: ChannelKind::Pattern,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Redis's `getKeysUsingKeySpecs`; `None` when a spec cannot answer
/// (unknown, INCOMPLETE, or positions outside argv), which discards
/// whatever earlier specs found.
fn keys_from_specs(cmd: &Command, argv: &[Bytes]) -> Option<KeyRefs> {
    // GEORADIUS stores into the *last* STORE/STOREDIST given, so checking
    // only the first occurrence would let a duplicate option bypass ACLs.
    let every_keyword = cmd.key_function == Some(KeyFunction::Georadius);
    let mut keys = KeyRefs::new();
    for spec in cmd
        .key_specs
        .iter()
        .filter(|s| !s.flags.contains(KeySpecFlags::NOT_KEY))
    {
        match &spec.begin_search {
            BeginSearch::Index(pos) => push_spec_keys(spec, *pos as i64, argv, &mut keys)?,
            BeginSearch::Keyword { keyword, startfrom } => {
                for found in keyword_positions(keyword, *startfrom, argv) {
                    push_spec_keys(spec, found as i64 + 1, argv, &mut keys)?;
                    if !every_keyword {
                        break;
                    }
                }
            }
            BeginSearch::Unknown => return None,
        }
        if spec.flags.contains(KeySpecFlags::INCOMPLETE) {
            return None;
        }
    }
    Some(keys)
}

/// Positions of `keyword` (case-insensitive), searched from `startfrom`
/// forwards, or from the end backwards when negative. As in Redis the far
/// end is never a candidate: a keyword there could not be followed by a key.
fn keyword_positions<'a>(
    keyword: &'a str,
    startfrom: i32,
    argv: &'a [Bytes],
) -> impl Iterator<Item = usize> + 'a {
    let argc = argv.len() as i64;
    let startfrom = i64::from(startfrom);
    let (start, end) = if startfrom > 0 {
        (startfrom, argc - 1)
    } else {
        (argc + startfrom, 1)
    };
    let forwards = start <= end;
    let mut i = start;
    std::iter::from_fn(move || {
        while i != end {
            if i >= argc || i < 1 {
                return None;
            }
            let at = i;
            i = if forwards { i + 1 } else { i - 1 };
            if argv[at as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                return Some(at as usize);
            }
        }
        None
    })
}

/// Applies `spec`'s find_keys from `first`; `None` on an invalid spec.
fn push_spec_keys(spec: &KeySpec, first: i64, argv: &[Bytes], keys: &mut KeyRefs) -> Option<()> {
    let argc = argv.len() as i64;
    let (first, last, step) = match spec.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let lastkey = i64::from(lastkey);
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit == 0 {
                argc + lastkey
            } else {
                // "lastkey -1 with a limit": the first 1/limit of the rest (XREAD STREAMS).
                first + ((argc - first) / i64::from(limit) + lastkey)
            };
            (first, last, i64::from(keystep))
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let at = first + i64::from(keynumidx);
            if at >= argc || at < 0 {
                return None;
            }
            let numkeys = parse_strict_i64(&argv[at as usize]).filter(|n| *n >= 0)?;
            let first = first + i64::from(firstkey);
            (first, first.saturating_add(numkeys) - 1, i64::from(keystep))
        }
        FindKeys::Unknown => return None,
    };
    if last >= argc || last < first || first >= argc || step <= 0 {
        return None;
    }
    let mut i = first;
    while i <= last {
        keys.push(KeyRef {
            index: i as usize,
            flags: spec.flags,
        });
        i += step;
    }
    Some(())
}

/// Redis's `string2ll`, as key specs read `numkeys`.
pub(crate) fn parse_strict_i64(bytes: &[u8]) -> Option<i64> {
    moat_resp::string2ll(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CommandTable;
    use proptest::prelude::*;

    fn keys_of(args: &[&str]) -> Vec<(String, KeySpecFlags)> {
        let argv: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let cmd = match CommandTable::global().resolve(&argv) {
            crate::Resolved::Command(cmd) => cmd,
            other => panic!("{args:?} does not resolve: {other:?}"),
        };
        extract_keys(cmd, &argv)
            .into_iter()
            .map(|k| {
                (
                    String::from_utf8_lossy(&argv[k.index]).into_owned(),
                    k.flags,
                )
            })
            .collect()
    }

    fn names(args: &[&str]) -> Vec<String> {
        keys_of(args).into_iter().map(|(k, _)| k).collect()
    }

    use KeySpecFlags as F;

    #[test]
    fn the_single_key_fast_path_finds_what_the_general_walk_finds() {
        let table = crate::CommandTable::global();
        let mut fast_commands = 0;
        for cmd in table.iter() {
            for argc in 1..6 {
                let mut argv = vec![Bytes::from(cmd.name.clone())];
                argv.extend((1..argc).map(|i| Bytes::from(format!("a{i}"))));
                assert_eq!(
                    extract_keys(cmd, &argv),
                    extract_keys_generally(cmd, &argv),
                    "{} with {argc} args",
                    cmd.fullname
                );
                fast_commands += usize::from(single_fixed_key(cmd, &argv).is_some());
            }
        }
        assert!(fast_commands > 100, "{fast_commands}");
    }

    #[test]
    fn plain_range_specs() {
        assert_eq!(
            keys_of(&["GET", "k"]),
            vec![("k".into(), F::RO | F::ACCESS)]
        );
        assert_eq!(names(&["MSET", "a", "1", "b", "2"]), ["a", "b"]);
        assert_eq!(names(&["MGET", "a", "b", "c"]), ["a", "b", "c"]);
        assert_eq!(names(&["BLPOP", "a", "b", "0"]), ["a", "b"]);
        assert_eq!(
            keys_of(&["COPY", "s", "d"])
                .iter()
                .map(|k| k.1)
                .collect::<Vec<_>>(),
            vec![F::RO | F::ACCESS, F::OW | F::UPDATE]
        );
        assert!(names(&["PING"]).is_empty());
    }

    #[test]
    fn set_needs_read_only_with_get() {
        assert_eq!(
            keys_of(&["SET", "k", "v"]),
            vec![("k".into(), F::OW | F::UPDATE)]
        );
        assert_eq!(
            keys_of(&["SET", "k", "v", "EX", "10", "get"]),
            vec![("k".into(), F::RW | F::ACCESS | F::UPDATE)]
        );
        // GET as the value (index 2) does not count.
        assert_eq!(
            keys_of(&["SET", "k", "GET"]),
            vec![("k".into(), F::OW | F::UPDATE)]
        );
    }

    #[test]
    fn bitfield_is_read_only_only_for_get_and_overflow() {
        assert_eq!(
            keys_of(&["BITFIELD", "k", "GET", "u8", "0"])[0].1,
            F::RO | F::ACCESS
        );
        assert_eq!(
            keys_of(&["BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"])[0].1,
            F::RO | F::ACCESS
        );
        assert_eq!(
            keys_of(&["BITFIELD", "k", "SET", "u8", "0", "1"])[0].1,
            F::RW | F::ACCESS | F::UPDATE
        );
        assert_eq!(
            keys_of(&["BITFIELD", "k", "GET", "u8"])[0].1,
            F::RW | F::ACCESS | F::UPDATE
        );
        assert_eq!(keys_of(&["BITFIELD", "k"])[0].1, F::RO | F::ACCESS);
    }

    #[test]
    fn sort_store_and_skips() {
        assert_eq!(
            keys_of(&["SORT", "read", "STORE", "write"]),
            vec![
                ("read".into(), F::RO | F::ACCESS),
                ("write".into(), F::OW | F::UPDATE)
            ]
        );
        assert_eq!(
            names(&["SORT", "k", "STORE", "a", "STORE", "b"]),
            ["k", "b"]
        );
        assert_eq!(
            names(&["SORT", "k", "BY", "store", "GET", "store", "LIMIT", "store", "x"]),
            ["k"]
        );
        assert_eq!(names(&["SORT_RO", "k", "BY", "x"]), ["k"]);
    }

    #[test]
    fn migrate_single_key_or_keys_option() {
        assert_eq!(
            keys_of(&["MIGRATE", "h", "p", "rw", "0", "500"]),
            vec![("rw".into(), F::RW | F::ACCESS | F::DELETE)]
        );
        assert_eq!(
            names(&["MIGRATE", "h", "p", "", "0", "500", "AUTH", "keys", "KEYS", "a", "b"]),
            ["a", "b"]
        );
        assert_eq!(
            names(&["MIGRATE", "h", "p", "", "0", "500", "AUTH2", "u", "keys", "KEYS", "a"]),
            ["a"]
        );
        assert!(names(&["MIGRATE", "h", "p", "k", "0", "500", "KEYS", "a"]).is_empty());
    }

    #[test]
    fn eval_numkeys_validity() {
        assert_eq!(
            keys_of(&["EVAL", "", "1", "read"]),
            vec![("read".into(), F::RW | F::ACCESS | F::UPDATE)]
        );
        assert_eq!(
            keys_of(&["EVAL_RO", "", "1", "read"]),
            vec![("read".into(), F::RO | F::ACCESS)]
        );
        assert!(names(&["EVAL", "", "0", "read"]).is_empty());
        assert!(names(&["EVAL", "", "-1", "read"]).is_empty());
        assert!(names(&["EVAL", "", "3", "rw", "rw"]).is_empty());
        assert_eq!(names(&["FCALL", "f", "2", "a", "b", "arg"]), ["a", "b"]);
        assert_eq!(names(&["EVALSHA_RO", "sha", "1", "a"]), ["a"]);
        // Redis's atoi fallback accepts what string2ll rejects.
        assert_eq!(
            keys_of(&["EVAL", "", "+1", "k"]),
            vec![("k".into(), F::empty())]
        );
    }

    #[test]
    fn georadius_store_every_occurrence() {
        assert_eq!(
            keys_of(&[
                "GEORADIUS",
                "read",
                "0",
                "0",
                "1",
                "M",
                "STOREDIST",
                "write"
            ]),
            vec![
                ("read".into(), F::RO | F::ACCESS),
                ("write".into(), F::OW | F::UPDATE)
            ]
        );
        let dup = names(&[
            "GEORADIUS",
            "k",
            "0",
            "0",
            "1",
            "M",
            "STORE",
            "a",
            "STORE",
            "b",
        ]);
        assert!(dup.contains(&"a".to_owned()) && dup.contains(&"b".to_owned()));
        assert_eq!(
            names(&["GEORADIUSBYMEMBER", "k", "m", "1", "M", "STORE", "d"]),
            ["k", "d"]
        );
        assert_eq!(names(&["GEORADIUS", "k", "0", "0", "1", "M"]), ["k"]);
    }

    #[test]
    fn xread_streams() {
        assert_eq!(
            names(&["XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]),
            ["a", "b"]
        );
        assert_eq!(
            names(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]),
            ["s"]
        );
        assert!(names(&["XREAD", "STREAMS"]).is_empty());
    }

    #[test]
    fn numkeys_commands() {
        assert_eq!(
            names(&["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"]),
            ["d", "a", "b"]
        );
        assert!(names(&["ZUNIONSTORE", "d", "5", "a"]).is_empty());
        assert_eq!(names(&["ZINTER", "2", "a", "b"]), ["a", "b"]);
        assert_eq!(names(&["LMPOP", "2", "a", "b", "LEFT"]), ["a", "b"]);
        assert_eq!(names(&["BLMPOP", "0", "1", "a", "LEFT"]), ["a"]);
        assert_eq!(names(&["ZMPOP", "1", "a", "MIN"]), ["a"]);
        assert_eq!(names(&["BZMPOP", "0", "2", "a", "b", "MIN"]), ["a", "b"]);
        assert_eq!(
            keys_of(&["SINTERCARD", "2", "a", "b"])[0].1,
            F::RO | F::ACCESS
        );
        assert_eq!(names(&["ZINTERCARD", "1", "a", "LIMIT", "1"]), ["a"]);
        assert!(names(&["SINTERCARD", "x", "a"]).is_empty());
    }

    #[test]
    fn subcommand_and_module_keys() {
        assert_eq!(names(&["OBJECT", "ENCODING", "k"]), ["k"]);
        assert_eq!(names(&["MEMORY", "USAGE", "k"]), ["k"]);
        assert_eq!(
            keys_of(&["JSON.SET", "doc", "$", "{}"])[0].1,
            F::RW | F::ACCESS | F::UPDATE | F::VARIABLE_FLAGS
        );
        assert_eq!(names(&["JSON.MGET", "a", "b", "$"]), ["a", "b"]);
        assert_eq!(
            names(&["JSON.MSET", "a", "$", "1", "b", "$", "2"]),
            ["a", "b"]
        );
        assert_eq!(names(&["JSON.DEBUG", "MEMORY", "doc"]), ["doc"]);
    }

    #[test]
    fn sharded_channels_are_not_keys() {
        assert!(names(&["SPUBLISH", "ch", "msg"]).is_empty());
        assert!(names(&["SSUBSCRIBE", "a", "b"]).is_empty());
    }

    #[test]
    fn channels_only_for_publish_and_subscribe() {
        let t = CommandTable::global();
        let argv = |a: &[&str]| {
            a.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect::<Vec<_>>()
        };
        let of = |a: &[&str]| extract_channels(t.lookup(a[0].as_bytes()).unwrap(), &argv(a));
        assert_eq!(
            of(&["PUBLISH", "ch", "m"]),
            vec![ChannelRef {
                index: 1,
                kind: ChannelKind::Channel
            }]
        );
        assert_eq!(of(&["SPUBLISH", "ch", "m"]).len(), 1);
        assert_eq!(of(&["SUBSCRIBE", "a", "b"]).len(), 2);
        assert_eq!(of(&["SSUBSCRIBE", "a"]).len(), 1);
        assert!(of(&["PSUBSCRIBE", "a*", "b"])
            .iter()
            .all(|c| c.kind == ChannelKind::Pattern));
        assert!(of(&["UNSUBSCRIBE", "a"]).is_empty());
        assert!(of(&["PUBLISH"]).is_empty());
    }

    #[test]
    fn strict_integer_parsing() {
        assert_eq!(parse_strict_i64(b"0"), Some(0));
        assert_eq!(parse_strict_i64(b"-12"), Some(-12));
        for bad in [
            &b""[..],
            b"-",
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1x",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn extracted_keys_are_always_inside_argv(
            idx in 0usize..400,
            args in proptest::collection::vec("[a-z0-9]{0,3}|STORE|GET|KEYS|STREAMS|-1|0|1|2", 0..8),
        ) {
            let t = CommandTable::global();
            let cmd = t.get((idx % t.len()) as crate::CommandId);
            let mut argv = vec![Bytes::copy_from_slice(cmd.name.as_bytes())];
            argv.extend(args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())));
            for key in extract_keys(cmd, &argv) {
                prop_assert!(key.index >= 1 && key.index < argv.len());
            }
        }

        #[test]
        fn strict_parse_agrees_with_display(n in any::<i64>()) {
            prop_assert_eq!(parse_strict_i64(n.to_string().as_bytes()), Some(n));
        }
    }
}
