//! Arbitrary arguments (split at 0xff bytes) through the rule parser and
//! `ACL SETUSER`, under both `acl-pubsub-default`s. A rule list the parser
//! refuses is refused by SETUSER too. Whatever applies is described and
//! the description applied again: as with ACL files (see
//! `load_acl_file.rs`), the first description may be lossy (`%RW~*` is
//! described as `~*`, which reads back as `allkeys`), but a description
//! of a description always applies and describes itself, unless the
//! rules hold what the text cannot say (quoted bytes in selectors, a
//! blank in a first argument, selectors that end early: see
//! `has_quotes` and `selectors_read_back`), which Redis cannot either.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use moat_acl::describe::describe_selector;
use moat_acl::rules::merge_selector_args;
use moat_acl::{parse_rules, PubsubDefault, Registry, User};

/// Whether the saved text of `user`'s selectors reads back as the same
/// selectors, for input without quotes (see the callers). Redis's rule
/// text cannot say every selector: a selector ends at the first argument
/// that ends with `)`, so a pattern or first argument ending with `)`
/// ends it early and its other rules go to the root selector. Redis
/// 7.0.15 has the same limit: after `ACL SETUSER u "(~)) +get)"`, its ACL
/// SAVE writes `(~)) resetchannels -@all +get)`, which its ACL LOAD
/// refuses.
fn selectors_read_back(user: &User) -> bool {
    user.selectors().iter().skip(1).all(|selector| {
        let text = describe_selector(selector);
        let tokens: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
        !tokens[..tokens.len() - 1].iter().any(|t| t.ends_with(b")"))
    })
}

/// Quotes inside a selector are `sdssplitargs` quoting: they can put a
/// blank into a first argument (`(+set|"a b")`) or a quote into a
/// pattern, and the saved text, which never quotes, reads back as other
/// rules (Redis 7.0.15 too: `+set|a b` is saved as is and ACL LOAD
/// answers `Syntax error`).
fn has_quotes(data: &[u8]) -> bool {
    data.iter().any(|&b| b == b'"' || b == b'\'')
}

/// The rules of an `ACL LIST` line (`user <name> <rules...>`), split as
/// `ACL SETUSER` arguments.
fn rules_of(line: &[u8]) -> Vec<Bytes> {
    line.split(|&b| b == b' ')
        .skip(2)
        .map(Bytes::copy_from_slice)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let args: Vec<Bytes> = data
        .split(|&b| b == 0xff)
        .map(Bytes::copy_from_slice)
        .collect();
    let parsed = parse_rules(&args);
    // A root `+cmd|first arg` with a blank is described as is, and the
    // description reads back as two rules (in Redis too).
    let blank_first_arg = merge_selector_args(&args).is_ok_and(|merged| {
        merged
            .iter()
            .any(|arg| arg.first() == Some(&b'+') && arg.contains(&b' '))
    });
    for pubsub in [PubsubDefault::ResetChannels, PubsubDefault::AllChannels] {
        let mut registry = Registry::new(pubsub);
        let outcome = registry.set_user(b"fuzz", &args);
        assert!(
            parsed.is_ok() || outcome.is_err(),
            "SETUSER applied rules the parser refused"
        );
        let Ok(outcome) = outcome else {
            continue;
        };
        let _ = outcome.new.view();
        let first = rules_of(&outcome.new.describe_bytes());
        let Ok(again) = registry.set_user(b"again", &first) else {
            continue;
        };
        if has_quotes(data) || blank_first_arg || !selectors_read_back(&again.new) {
            continue;
        }
        let second = again.new.describe_bytes();
        let third = registry
            .set_user(b"third", &rules_of(&second))
            .expect("a described user's rules apply");
        assert_eq!(rules_of(&third.new.describe_bytes()), rules_of(&second));
    }
});
