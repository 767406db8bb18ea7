//! What the ACL fuzz targets know about rule text Redis cannot save and
//! read back, shared by both.

use moat_acl::describe::describe_selector;
use moat_acl::User;

/// Whether the saved text of `user`'s selectors reads back as the same
/// selectors, for input without quotes (see the callers). Redis's rule
/// text cannot say every selector: a selector ends at the first argument
/// that ends with `)`, so a pattern or first argument ending with `)`
/// ends it early and its other rules go to the root selector. Redis
/// 7.0.15 has the same limit: after `ACL SETUSER u "(~)) +get)"`, its ACL
/// SAVE writes `(~)) resetchannels -@all +get)`, which its ACL LOAD
/// refuses.
pub fn selectors_read_back(user: &User) -> bool {
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
pub fn has_quotes(data: &[u8]) -> bool {
    data.iter().any(|&b| b == b'"' || b == b'\'')
}
