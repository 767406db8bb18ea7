//! Properties: descriptions rebuild the same user, compiled pattern sets
//! agree with globbing every pattern, globbing agrees with the reference
//! redis-server's `KEYS`, and no input makes the parsers panic.

mod common;

use bytes::Bytes;
use common::*;
use moat_acl::matcher::PatternSet;
use moat_acl::{load_acl_file, parse_rules, PubsubDefault, Registry};
use proptest::prelude::*;

/// Patterns without a bare `*`: `%RW~*` (or `%R~* %W~*`) lists as `~*`,
/// which reads back as `allkeys` — Redis's documented lossy case.
const PATTERNS: &[&str] = &["a", "a*", "b?", "user:*", "[ab]c", ""];

fn selector_token() -> impl Strategy<Value = String> {
    let pattern = proptest::sample::select(PATTERNS);
    prop_oneof![
        pattern.clone().prop_map(|p| format!("~{p}")),
        pattern.clone().prop_map(|p| format!("%R~{p}")),
        pattern.clone().prop_map(|p| format!("%W~{p}")),
        pattern.prop_map(|p| format!("&{p}")),
        proptest::sample::select(vec![
            "allkeys",
            "resetkeys",
            "allchannels",
            "resetchannels",
            "+@all",
            "-@all",
            "+get",
            "-get",
            "+set",
            "+@hash",
            "-@read",
            "+@string",
            "-@write",
            "+config|get",
            "-config",
            "+config",
            "+select|0",
            "-select",
            "+@connection",
            "db=0",
            "db=1,2",
            "alldbs",
            "resetdbs",
            "+copy",
            "+publish",
            "+psubscribe",
            "+flushall",
            "-@keyspace",
        ])
        .prop_map(str::to_string),
    ]
}

fn user_token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => selector_token(),
        1 => proptest::collection::vec(selector_token(), 0..4).prop_map(|t| format!("({})", t.join(" "))),
        1 => proptest::sample::select(vec![
            "on", "off", "nopass", "resetpass", ">pw1", ">pw2", "sanitize-payload", "skip-sanitize-payload",
            "clearselectors", "reset",
        ])
        .prop_map(str::to_string),
    ]
}

const REQUESTS: &[&str] = &[
    "GET a",
    "GET ab",
    "GET user:1",
    "SET user:1 v",
    "SET bc v GET",
    "HGET bc f",
    "CONFIG GET x",
    "CONFIG SET a b",
    "SELECT 0",
    "SELECT 1",
    "PUBLISH a x",
    "PUBLISH user:9 x",
    "PSUBSCRIBE a*",
    "COPY a b",
    "COPY user:1 a DB 2",
    "FLUSHALL",
    "PING",
    "EXISTS a",
];

/// Glob fragments: wildcards, classes (negated, reversed, unterminated),
/// escapes. Never a pattern that is only `*`: see [`PATTERNS`].
const GLOB_PIECES: &[&str] = &[
    "a", "b", ":", "ab", "*", "?", "[a-c]", "[^a]", "[c-a]", "[ab]", "[a-]", "[\\]]", "\\*", "\\?",
    "\\a", "[", "]", "-", "**", "x",
];

fn glob_pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(GLOB_PIECES), 1..5)
        .prop_map(|pieces| pieces.concat())
        .prop_filter("a bare run of stars lists as allkeys", |p| {
            !p.bytes().all(|c| c == b'*')
        })
}

/// Rules of every kind `ACL LIST` has to print back: real globs, first-arg
/// and subcommand rules, categories, selectors.
fn rich_selector_token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => glob_pattern().prop_map(|p| format!("~{p}")),
        1 => glob_pattern().prop_map(|p| format!("%R~{p}")),
        1 => glob_pattern().prop_map(|p| format!("%W~{p}")),
        1 => glob_pattern().prop_map(|p| format!("%RW~{p}")),
        2 => glob_pattern().prop_map(|p| format!("&{p}")),
        6 => selector_token(),
        2 => proptest::sample::select(vec![
            "+client|list", "-client|kill", "+client", "-config|set", "+select|1", "+get|a",
            "+@pubsub", "-@dangerous", "+debug", "-@all", "allcommands", "nocommands",
            "+sort", "+eval", "+xread", "+georadius", "+migrate",
        ])
        .prop_map(str::to_string),
    ]
}

fn rich_user_token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => rich_selector_token(),
        2 => proptest::collection::vec(rich_selector_token(), 0..5).prop_map(|t| format!("({})", t.join(" "))),
        1 => user_token(),
    ]
}

const RICH_REQUESTS: &[&str] = &[
    "GET ab",
    "GET a:b",
    "GET *",
    "GET [",
    "SET ab v GET",
    "MGET a b ab",
    "COPY ab x",
    "RENAME a:b ba",
    "SORT ab BY x STORE b",
    "EVAL x 2 a ab",
    "XREAD STREAMS a ab 0 0",
    "GEORADIUS a 0 0 1 m STORE ab",
    "MIGRATE h 1 ab 0 5",
    "CLIENT LIST",
    "CLIENT KILL ID 1",
    "CONFIG SET a b",
    "SELECT 1",
    "PUBLISH ab x",
    "SUBSCRIBE a ab",
    "PSUBSCRIBE a*",
    "PSUBSCRIBE [a-c]",
    "DEBUG OBJECT a",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The same property with real globs, first-arg and subcommand rules
    /// and selectors, checked on more requests: the description is exactly
    /// what a fresh user needs to become the same user.
    #[test]
    fn rich_descriptions_rebuild_the_same_user(tokens in proptest::collection::vec(rich_user_token(), 0..14)) {
        let mut reg = registry();
        for token in &tokens {
            let _ = reg.set_user(b"orig", &words(token));
        }
        let Some(original) = reg.get(b"orig").cloned() else { return Ok(()) };
        let line = original.describe();
        let rules = line.strip_prefix("user orig ").expect("line starts with the name");
        let rebuilt = setuser(&mut reg, "copy", rules).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        prop_assert_eq!(rebuilt.describe(), line.replacen("user orig ", "user copy ", 1));
        prop_assert_eq!(rebuilt.view().selectors.len(), original.view().selectors.len());
        for request in RICH_REQUESTS.iter().chain(REQUESTS) {
            prop_assert_eq!(check(&original, request), check(&rebuilt, request), "{} for {}", request, line);
        }
        // And the rebuilt user's description is a fixed point.
        let again = setuser(&mut reg, "again", line.strip_prefix("user orig ").unwrap_or_default()).unwrap();
        prop_assert_eq!(again.describe(), line.replacen("user orig ", "user again ", 1));
    }

    /// `ACL LIST`'s line, applied to a fresh user, rebuilds the same user.
    #[test]
    fn descriptions_rebuild_the_same_user(tokens in proptest::collection::vec(user_token(), 0..12)) {
        let mut reg = registry();
        for token in &tokens {
            // Each token separately, as separate SETUSERs would: failures change nothing.
            let _ = reg.set_user(b"orig", &[Bytes::copy_from_slice(token.as_bytes())]);
        }
        let Some(original) = reg.get(b"orig").cloned() else { return Ok(()) };
        let line = original.describe();
        let rules = line.strip_prefix("user orig ").expect("line starts with the name");
        let rebuilt = setuser(&mut reg, "copy", rules).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        prop_assert_eq!(rebuilt.describe(), line.replacen("user orig ", "user copy ", 1));
        prop_assert_eq!(rebuilt.view().passwords, original.view().passwords);
        for request in REQUESTS {
            for db in [0, 1] {
                prop_assert_eq!(
                    check_in_db(&original, request, db),
                    check_in_db(&rebuilt, request, db),
                    "{} in db {} for {}", request, db, line
                );
            }
        }
    }

    /// The compiled set answers exactly "some pattern glob-matches" (up
    /// to 24 patterns: enough runs for the hashed index, not just the scan).
    #[test]
    fn compiled_patterns_agree_with_linear_globbing(
        patterns in proptest::collection::vec("[ab*?\\[\\]\\\\^-]{0,6}", 0..24),
        texts in proptest::collection::vec("[ab*?\\[\\]\\\\-]{0,6}", 1..8),
    ) {
        let set = PatternSet::new(patterns.iter().map(|p| p.as_bytes()));
        for text in &texts {
            let linear = patterns.iter().any(|p| moat_glob::matches(p.as_bytes(), text.as_bytes(), false));
            prop_assert_eq!(set.matches(text.as_bytes()), linear, "{:?} vs {:?}", patterns, text);
        }
    }

    /// Arbitrary bytes never panic the rule parser or SETUSER.
    #[test]
    fn rule_parsing_never_panics(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..8)) {
        let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
        let _ = parse_rules(&args);
        let mut reg = Registry::new(PubsubDefault::AllChannels);
        if let Ok(outcome) = reg.set_user(b"x", &args) {
            let _ = outcome.new.describe_bytes();
        }
    }

    /// Arbitrary text never panics the ACL file loader.
    #[test]
    fn acl_file_loading_never_panics(text in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = load_acl_file(&text, "f", PubsubDefault::ResetChannels);
    }

    /// Token soup from the grammar never panics and never half-applies.
    #[test]
    fn failed_setuser_is_atomic(tokens in proptest::collection::vec(user_token(), 0..8), bad in 0usize..8) {
        let mut reg = registry();
        setuser(&mut reg, "u", "on ~a +get").unwrap();
        let before = reg.get(b"u").unwrap().describe();
        let mut rules = tokens.clone();
        rules.insert(bad.min(rules.len()), "+nosuchcommand".to_string());
        prop_assert!(setuser(&mut reg, "u", &rules.join(" ")).is_err());
        prop_assert_eq!(reg.get(b"u").unwrap().describe(), before);
    }
}

/// Differential: `moat_glob::matches`, and the compiled [`PatternSet`], give
/// the same answers as the reference redis-server's `KEYS` on random
/// patterns over a random keyspace (bounded: a few hundred keys and about a
/// thousand patterns, pipelined). Skipped without redis-server.
#[test]
fn glob_matching_agrees_with_redis_keys() {
    use moat_resp::Frame;
    use moat_testkit::{reference, Client, ServerProcess};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    let Some(redis) = reference::redis_server() else {
        return;
    };
    let server = ServerProcess::start(redis, Vec::<String>::new()).expect("start redis-server");
    let mut client: Client = server.client().expect("connect");

    let mut runner = TestRunner::deterministic();
    let key_strategy = proptest::collection::vec(
        proptest::sample::select(vec![
            &b"a"[..],
            b"b",
            b"c",
            b":",
            b"*",
            b"?",
            b"[",
            b"]",
            b"-",
            b"\\",
            b"^",
            b"\0",
        ]),
        1..6,
    )
    .prop_map(|pieces| pieces.concat());
    let mut keys: BTreeSet<Vec<u8>> = BTreeSet::new();
    while keys.len() < 300 {
        keys.insert(key_strategy.new_tree(&mut runner).unwrap().current());
    }
    // One long key for the nesting limit below.
    keys.insert(vec![b'a'; 1100]);
    let mut mset: Vec<Vec<u8>> = vec![b"MSET".to_vec()];
    for key in &keys {
        mset.extend([key.clone(), b"v".to_vec()]);
    }
    assert_eq!(client.call(&mset).unwrap(), Frame::ok());

    let pattern_strategy = proptest::collection::vec(
        proptest::sample::select(vec![
            &b"a"[..],
            b"b",
            b":",
            b"*",
            b"?",
            b"[a-c]",
            b"[^a]",
            b"[c-a]",
            b"[ab]",
            b"[a-]",
            b"[\\]]",
            b"\\*",
            b"\\?",
            b"\\a",
            b"[",
            b"]",
            b"-",
            b"**",
            b"[^",
            b"\\",
            b"[]",
            b"[!a]",
            b"\0",
        ]),
        0..6,
    )
    .prop_map(|pieces| pieces.concat());
    let mut patterns: Vec<Vec<u8>> = (0..1000)
        .map(|_| pattern_strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    // Redis gives up (no match) beyond 1000 nested `*` calls.
    patterns.push(b"*a".repeat(1001));
    patterns.push(b"*a".repeat(900));
    // Keys used as patterns: their glob characters are then syntax.
    patterns.extend(keys.iter().take(50).cloned());

    let mut batch = Vec::new();
    for pattern in &patterns {
        batch.extend(moat_testkit::encode_command(&[&b"KEYS"[..], pattern]));
    }
    client.send_raw(&batch).unwrap();
    let mut mismatches = Vec::new();
    let (mut matching_some, mut matching_none) = (0, 0);
    for pattern in &patterns {
        let Frame::Array(found) = client.read_frame().unwrap() else {
            panic!("KEYS reply is not an array")
        };
        let from_redis: BTreeSet<Vec<u8>> = found
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => b.to_vec(),
                other => panic!("KEYS element {other:?}"),
            })
            .collect();
        let ours: BTreeSet<Vec<u8>> = keys
            .iter()
            .filter(|k| moat_glob::matches(pattern, k, false))
            .cloned()
            .collect();
        let set = PatternSet::new([pattern.as_slice()]);
        let compiled: BTreeSet<Vec<u8>> = keys.iter().filter(|k| set.matches(k)).cloned().collect();
        if from_redis.is_empty() {
            matching_none += 1;
        } else {
            matching_some += 1;
        }
        if ours != from_redis || compiled != from_redis {
            mismatches.push(format!(
                "{:?}: redis {:?}, glob {:?}, compiled {:?}",
                String::from_utf8_lossy(pattern),
                from_redis.len(),
                ours.len(),
                compiled.len()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} patterns disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        matching_some > 100 && matching_none > 100,
        "{matching_some} / {matching_none}"
    );

    // Many patterns at once: the compiled set is the union of KEYS answers.
    let set = PatternSet::new(patterns.iter().take(300).map(|p| p.as_slice()));
    for key in &keys {
        let any = patterns
            .iter()
            .take(300)
            .any(|p| moat_glob::matches(p, key, false));
        assert_eq!(set.matches(key), any, "{:?}", String::from_utf8_lossy(key));
    }
}
