//! Arbitrary ACL file contents: loading never panics, and a loaded file
//! saves to text that loads again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moat_acl::{load_acl_file, render_acl_file, PubsubDefault};

fuzz_target!(|data: &[u8]| {
    if let Ok(registry) = load_acl_file(data, "fuzz.acl", PubsubDefault::ResetChannels) {
        let saved = render_acl_file(&registry);
        let _ = load_acl_file(&saved, "fuzz.acl", PubsubDefault::ResetChannels);
    }
});
