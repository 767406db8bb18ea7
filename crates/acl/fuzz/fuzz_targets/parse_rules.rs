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

#[path = "common/selectors.rs"]
mod selectors;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use moat_acl::rules::merge_selector_args;
use moat_acl::{parse_rules, PubsubDefault, Registry};
use selectors::{has_quotes, selectors_read_back};

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
