//! The JSON document tree stored under a key.
//!
//! RedisJSON keeps object members in insertion order and remembers whether
//! a number was written as an integer or with a decimal point (`1` and
//! `1.0` print back as written, `JSON.TYPE` says `integer` or `number`).
//! serde_json's own `Value` only keeps order with a workspace-wide feature,
//! so documents use this small tree: parsing still goes through
//! serde_json's parser (same grammar, same error texts, same depth limit),
//! into an [`IndexMap`] for objects.

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The deepest nesting a document may reach: what the parser accepts, kept
/// for edits too, so that no document gets deep enough to exhaust the
/// stack of the recursive code that prints, compares or frees it.
pub const MAX_NESTING: usize = 127;

/// Object members in insertion order.
pub type Object = IndexMap<String, Json>;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// An integer that fits in i64.
    Int(i64),
    /// An integer above i64::MAX (JSON allows them; RedisJSON keeps them).
    UInt(u64),
    /// A number written with a fraction or exponent, or a float result.
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Object),
}

/// The JSON type names RedisJSON reports (`JSON.TYPE`, error texts).
impl Json {
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Int(_) | Json::UInt(_) => "integer",
            Json::Float(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Int(_) | Json::UInt(_) | Json::Float(_))
    }

    /// The number as a double, for mixed comparisons and float arithmetic.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Int(n) => Some(*n as f64),
            Json::UInt(n) => Some(*n as f64),
            Json::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Container levels: 0 for a scalar, 1 for `[]`, 2 for `[[]]`...
    pub fn nesting(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::nesting).max().unwrap_or(0),
            Json::Object(members) => 1 + members.values().map(Json::nesting).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The direct children, in document order, with their path step.
    pub fn children(&self) -> Vec<(Step<'_>, &Json)> {
        match self {
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Step::Index(i), v))
                .collect(),
            Json::Object(members) => members
                .iter()
                .map(|(k, v)| (Step::Key(k.as_str()), v))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Structural equality as RedisJSON's `ARRINDEX` and filters use it:
    /// numbers compare by value (so `1` equals `1.0`), objects ignore
    /// member order.
    pub fn same_as(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Str(a), Json::Str(b)) => a == b,
            (Json::Int(a), Json::Int(b)) => a == b,
            (Json::UInt(a), Json::UInt(b)) => a == b,
            (a, b) if a.is_number() && b.is_number() => a.as_f64() == b.as_f64(),
            (Json::Array(a), Json::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.same_as(w)))
            }
            _ => false,
        }
    }
}

impl Json {
    /// RedisJSON's `is_equal` (ARRINDEX): types must match exactly, so
    /// `1` and `1.0` differ; objects compare member by member.
    pub fn strict_eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Int(a), Json::Int(b)) => a == b,
            (Json::UInt(a), Json::UInt(b)) => a == b,
            (Json::Float(a), Json::Float(b)) => a == b,
            (Json::UInt(a), Json::Float(b)) | (Json::Float(b), Json::UInt(a)) => *a as f64 == *b,
            (Json::Str(a), Json::Str(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.strict_eq(y))
            }
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.strict_eq(w)))
            }
            _ => false,
        }
    }
}

/// One step of a concrete path from the root to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// An owned concrete path, as edits need it after the read borrow ends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<Step<'_>> for Seg {
    fn from(step: Step<'_>) -> Seg {
        match step {
            Step::Key(k) => Seg::Key(k.to_owned()),
            Step::Index(i) => Seg::Index(i),
        }
    }
}

/// Parses a JSON text as RedisJSON does: serde_json's grammar and error
/// messages (`expected value at line 1 column 1`), nesting limited to 128
/// levels, and (like RedisJSON, which never asks the parser for the end
/// of input) anything after the first complete value is ignored.
pub fn parse(text: &[u8]) -> Result<Json, String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    Json::deserialize(&mut de).map_err(|e| e.to_string())
}

/// Parses a whole argument as one JSON value, trailing input rejected:
/// how RedisJSON reads ARRINDEX's value and the NUMINCRBY / STRAPPEND
/// operands (`serde_json::from_str`).
pub fn parse_strict(text: &[u8]) -> Result<Json, String> {
    serde_json::from_slice(text).map_err(|e| e.to_string())
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(i64::try_from(n).map_or(Json::UInt(n), Json::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
        Ok(Json::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Object::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            // A repeated member keeps its first position and the last value.
            members.insert(key, value);
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind() {
        assert_eq!(parse(b"1"), Ok(Json::Int(1)));
        assert_eq!(parse(b"1.0"), Ok(Json::Float(1.0)));
        assert_eq!(parse(b"-5"), Ok(Json::Int(-5)));
        assert_eq!(parse(b"18446744073709551615"), Ok(Json::UInt(u64::MAX)));
        assert_eq!(parse(b"1e2"), Ok(Json::Float(100.0)));
    }

    #[test]
    fn objects_keep_insertion_order() {
        let Ok(Json::Object(o)) = parse(br#"{"b":1,"a":2,"b":3}"#) else {
            panic!("object expected");
        };
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(o["b"], Json::Int(3));
    }

    #[test]
    fn errors_are_serde_json_texts() {
        assert_eq!(
            parse(b"foo"),
            Err("expected ident at line 1 column 2".to_owned())
        );
        assert_eq!(
            parse(b"bar"),
            Err("expected value at line 1 column 1".to_owned())
        );
        assert_eq!(
            parse(b"{"),
            Err("EOF while parsing an object at line 1 column 1".to_owned())
        );
        let deep = "[".repeat(200);
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .starts_with("recursion limit exceeded"));
    }

    #[test]
    fn trailing_input_is_ignored_like_redisjson() {
        assert_eq!(parse(b"1 2"), Ok(Json::Int(1)));
    }

    #[test]
    fn equality_is_by_value() {
        assert!(Json::Int(1).same_as(&Json::Float(1.0)));
        let a = parse(br#"{"x":1,"y":[1,2]}"#).unwrap();
        let b = parse(br#"{"y":[1,2.0],"x":1}"#).unwrap();
        assert!(a.same_as(&b));
        assert!(!Json::Str("1".into()).same_as(&Json::Int(1)));
    }
}
