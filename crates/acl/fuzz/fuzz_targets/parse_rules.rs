//! Arbitrary arguments (split at 0xff bytes) through the rule
//! parser and `ACL SETUSER`; whatever applies is described and re-parsed.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use moat_acl::{parse_rules, PubsubDefault, Registry};

fuzz_target!(|data: &[u8]| {
    let args: Vec<Bytes> = data
        .split(|&b| b == 0xff)
        .map(Bytes::copy_from_slice)
        .collect();
    let _ = parse_rules(&args);
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    if let Ok(outcome) = registry.set_user(b"fuzz", &args) {
        let line = outcome.new.describe_bytes();
        let _ = outcome.new.view();
        let rules: Vec<Bytes> = line
            .split(|&b| b == b' ')
            .skip(2)
            .map(Bytes::copy_from_slice)
            .collect();
        let _ = registry.set_user(b"again", &rules);
    }
});
