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

#[path = "common/selectors.rs"]
mod selectors;

use libfuzzer_sys::fuzz_target;
use moat_acl::{check_acl_file, load_acl_file, render_acl_file, PubsubDefault};
use selectors::{has_quotes, selectors_read_back};

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
