//! SORT's patterns (`lookupKeyByPattern`) and how a weight's text becomes
//! a number.

use crate::cmd::c_float::{is_c_space, strtod_whole};
use crate::db::{Access, DbView, Value};

/// The value a `BY`/`GET` pattern names for `element`: `#` is the element
/// itself; otherwise the first `*` is replaced by the element and the key
/// read, as a string, or (`key*->field`, with a field after the arrow)
/// as a field of a hash. A pattern without `*`, a missing key, a key of
/// another type and a missing field give `None`.
pub fn lookup_by_pattern(db: &mut DbView<'_>, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&at| at + 2 < after.len());
    let (suffix, field) = match arrow {
        Some(at) => (&after[..at], Some(&after[at + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + element.len() + suffix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    match (db.lookup(&key, Access::Read)?, field) {
        (Value::Hash(hash), Some(field)) => hash.get(field).map(<[u8]>::to_vec),
        (Value::Str(text), None) => Some(text.to_bytes().to_vec()),
        _ => None,
    }
}

/// A weight as SORT reads it: `strtod` over the C string (up to a NUL),
/// leading spaces allowed, nothing after the number, no NaN, no
/// overflow or underflow (`ERANGE`). An empty text is 0, as `strtod`
/// stopping at once on an empty string leaves nothing unread.
pub fn weight_of(text: &[u8]) -> Option<f64> {
    let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|&b| !is_c_space(b))?;
    let body = std::str::from_utf8(&text[start..]).ok()?;
    let parsed = strtod_whole(body)?;
    (!parsed.value.is_nan() && !parsed.out_of_range).then_some(parsed.value)
}
