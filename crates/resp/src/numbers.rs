//! Redis's number parsing, shared by every layer that reads integers from
//! the wire, from configuration files or from stored values.
//!
//! `string2ll` decides what Redis considers an integer: no sign but `-`,
//! no leading zeros, no spaces, within i64. The same rule decides whether
//! a length prefix, a config value, a key-spec `numkeys` or a string value
//! is a number, so there is one implementation.

/// Redis's `string2ll`: optional `-`, then digits without leading zeros
/// (except `0` itself), no blanks, no `+`, must fit an `i64`.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}
