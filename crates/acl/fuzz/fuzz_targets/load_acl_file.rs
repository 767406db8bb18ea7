//! Arbitrary ACL file contents: loading never panics, the errors kept
//! apart are exactly the ones ACL LOAD reports, and saving is stable from
//! the second generation on. The first save may be lossy, as in Redis
//! (pitfall #9): `%RW~*` is a pattern but saves as `~*`, which means
//! `allkeys` when read back, so `~*t %RW~*` saves as `~*t ~*` and that
//! loads as `~*` (or fails, for `%RW~* ~x`). Text that went through one
//! save and load contains no such pattern any more. What the text
//! cannot say at all (quoted bytes in selectors, selectors that end
//! early: see `has_quotes` and `selectors_read_back`) is never stable, in
//! Redis either, and is only loaded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moat_acl::describe::describe_selector;
use moat_acl::{check_acl_file, load_acl_file, render_acl_file, PubsubDefault, User};

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

fuzz_target!(|data: &[u8]| {
    for pubsub in [PubsubDefault::ResetChannels, PubsubDefault::AllChannels] {
        match (
            load_acl_file(data, "fuzz.acl", pubsub),
            check_acl_file(data, "fuzz.acl", pubsub),
        ) {
            (Ok(registry), Ok(_)) => {
                let saved = render_acl_file(&registry);
                let again = load_acl_file(&saved, "fuzz.acl", pubsub);
                if let (Ok(again), false) = (again, has_quotes(data)) {
                    if again.users().all(|u| selectors_read_back(u)) {
                        let canonical = render_acl_file(&again);
                        let third = load_acl_file(&canonical, "fuzz.acl", pubsub)
                            .expect("canonical text loads");
                        assert_eq!(render_acl_file(&third), canonical);
                    }
                }
            }
            (Err(error), Err(errors)) => {
                assert!(error.to_string().starts_with(&errors.concat()));
            }
            _ => panic!("load_acl_file and check_acl_file disagree"),
        }
    }
});
