//! RedisJSON's reply texts and value-to-RESP conversions.
//!
//! RedisJSON replies with `RedisModule_ReplyWithError`, which sends its
//! text as is: texts RedisJSON writes with a code keep it (`ERR Path ...`,
//! `WRONGTYPE ...`), texts it passes through from its JSON parser do not
//! (`expected value at line 1 column 1`), except where it converts the
//! parser error through the module SDK, which adds `ERR ` (ARRINDEX's
//! value, the NUMINCRBY operand, the STRAPPEND operand).

use super::doc::Json;
use super::format::{to_text_with, Layout};
use bytes::Bytes;
use moat_resp::Frame;

pub fn path_missing(path: &str) -> Frame {
    Frame::error(format!("ERR Path '{path}' does not exist"))
}

pub fn path_missing_or(path: &str, or: &str) -> Frame {
    Frame::error(format!("ERR Path '{path}' does not exist or {or}"))
}

pub fn expected(expected: &str, found: &str) -> Frame {
    Frame::error(format!(
        "WRONGTYPE wrong type of path value - expected {expected} but found {found}"
    ))
}

/// The module SDK's `nonexistent_key` error.
pub fn no_such_key() -> Frame {
    Frame::error("ERR could not perform this operation on a key that doesn't exist")
}

pub fn new_objects_at_root() -> Frame {
    Frame::error("ERR new objects must be created at the root")
}

/// The module SDK's integer parse error (`RedisString::parse_integer`).
pub fn not_an_integer() -> Frame {
    Frame::error("Couldn't parse as integer")
}

/// A parser or path error passed through verbatim.
pub fn verbatim(text: String) -> Frame {
    Frame::error(text)
}

/// A parser error converted by the module SDK (`ERR ` added).
pub fn sdk_error(text: &str) -> Frame {
    Frame::error(format!("ERR {text}"))
}

pub fn bulk(text: String) -> Frame {
    Frame::Bulk(Bytes::from(text))
}

/// A value in `JSON.RESP` form: `null` is nil, booleans are simple
/// strings, numbers are integers or doubles, strings are bulk strings,
/// arrays start with a `[` simple string and objects with `{` followed
/// by alternating member names and values.
pub fn resp_form(value: &Json) -> Frame {
    match value {
        Json::Null => Frame::Null,
        Json::Bool(true) => Frame::simple("true"),
        Json::Bool(false) => Frame::simple("false"),
        Json::Int(n) => Frame::Integer(*n),
        Json::UInt(n) => Frame::Double(*n as f64),
        Json::Float(f) => Frame::Double(*f),
        Json::Str(s) => Frame::Bulk(Bytes::copy_from_slice(s.as_bytes())),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len() + 1);
            out.push(Frame::simple("["));
            out.extend(items.iter().map(resp_form));
            Frame::Array(out)
        }
        Json::Object(members) => {
            let mut out = Vec::with_capacity(members.len() * 2 + 1);
            out.push(Frame::simple("{"));
            for (k, v) in members {
                out.push(Frame::Bulk(Bytes::copy_from_slice(k.as_bytes())));
                out.push(resp_form(v));
            }
            Frame::Array(out)
        }
    }
}

/// A value as `JSON.GET ... FORMAT JSON` answers it over RESP3: scalars
/// as native RESP3 types, strings and containers as JSON text.
pub fn resp3_value(value: &Json, layout: &Layout) -> Frame {
    match value {
        Json::Null => Frame::Null,
        Json::Bool(b) => Frame::Boolean(*b),
        Json::Int(n) => Frame::Integer(*n),
        Json::UInt(n) => Frame::Double(*n as f64),
        Json::Float(f) => Frame::Double(*f),
        _ => bulk(to_text_with(value, layout)),
    }
}

/// `JSON.DEBUG MEMORY`: RedisJSON's estimate of a value's footprint in
/// its in-memory representation (ijson): 8 bytes per value plus the
/// payload, where small integers are stored inline, strings count their
/// bytes and containers a header and 8 bytes per element slot (three per
/// object member). Slots grow by doubling from 4, as ijson allocates them.
pub fn memory(value: &Json) -> usize {
    let slots = |len: usize| len.next_power_of_two().max(4);
    let payload = match value {
        Json::Null | Json::Bool(_) => 0,
        Json::Int(n) if (-128..=383).contains(n) => 0,
        Json::Int(n) if *n > -8_388_608 && *n <= 8_388_607 => 4,
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => 16,
        Json::Str(s) => s.len(),
        Json::Array(items) if items.is_empty() => 0,
        Json::Array(items) => {
            8 * (slots(items.len()) + 2) + items.iter().map(memory).sum::<usize>()
        }
        Json::Object(members) if members.is_empty() => 0,
        Json::Object(members) => {
            8 * (slots(members.len()) * 3 + 2)
                + members
                    .iter()
                    .map(|(k, v)| k.len() + memory(v))
                    .sum::<usize>()
        }
    };
    8 + payload
}

#[cfg(test)]
mod tests {
    use super::super::doc::parse;
    use super::*;

    #[test]
    fn memory_matches_redisjson_examples() {
        // RedisJSON 2.6's own unit test of the estimate. (The command's
        // documentation example, 253 bytes, predates this estimate.)
        let doc = parse(
            br#"{"a": 100.12, "b": "foo", "c": true, "d": 126, "e": -112,
            "f": 7388608, "g": -6388608, "h": 9388608, "i": -9485608, "j": [], "k": {},
            "l": [1, "asas", {"a": 1}], "m": {"t": "f"}}"#,
        )
        .unwrap();
        assert_eq!(memory(&doc), 903);
    }
}
