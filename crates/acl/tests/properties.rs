//! Properties: descriptions rebuild the same user, compiled pattern sets
//! agree with globbing every pattern, and no input makes the parsers panic.

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

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

    /// The compiled set answers exactly "some pattern glob-matches".
    #[test]
    fn compiled_patterns_agree_with_linear_globbing(
        patterns in proptest::collection::vec("[ab*?\\[\\]\\\\^-]{0,6}", 0..8),
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
