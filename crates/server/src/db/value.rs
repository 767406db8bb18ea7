//! Stored values and their observable encodings.
//!
//! Redis exposes how a value is stored through `OBJECT ENCODING`, and
//! clients (and tests) rely on it, so a string remembers whether it is an
//! `int`, an `embstr` or a `raw` string. The three representations also
//! keep memory low: integers need no heap block, short strings one exact
//! allocation, and only strings that are edited in place (APPEND,
//! SETRANGE, SETBIT...) carry a growable buffer.
//!
//! [`Value`] is the one enum every data type will join; code that is
//! generic over types (TYPE, OBJECT ENCODING, COPY, RENAME, SCAN TYPE)
//! goes through [`Value::type_name`] and [`Value::encoding`] so that new
//! variants only need to be taught there.

use super::hash::HashValue;
use super::list::ListValue;
use super::set::SetValue;
use super::zset::ZSetValue;

/// Strings up to this length created by SET-like commands are `embstr`
/// (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Integers below this share one object in Redis, which makes their
/// `OBJECT REFCOUNT` report `INT_MAX` (`OBJ_SHARED_INTEGERS`).
pub const SHARED_INTEGERS: i64 = 10_000;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(StrValue),
    Hash(HashValue),
    Set(SetValue),
    /// A JSON document (the RedisJSON `ReJSON-RL` type).
    Json(Box<crate::cmd::json::Json>),
    ZSet(ZSetValue),
    List(ListValue),
    /// A stream (boxed: it is much larger than a string).
    Stream(Box<crate::cmd::stream::Stream>),
}

impl Value {
    /// A string as SET stores it: `int` when canonical integer text,
    /// `embstr` when short, `raw` otherwise.
    pub fn string(bytes: &[u8]) -> Value {
        Value::Str(StrValue::encoded(bytes))
    }

    /// A string kept in a growable buffer (`raw`), as the commands that
    /// edit strings in place create it.
    pub fn raw_string(bytes: Vec<u8>) -> Value {
        Value::Str(StrValue::Raw(bytes))
    }

    /// An integer stored with the `int` encoding.
    pub fn integer(n: i64) -> Value {
        Value::Str(StrValue::Int(n))
    }

    /// The name `TYPE` and `SCAN ... TYPE` use.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::Json(_) => "ReJSON-RL",
            Value::ZSet(_) => "zset",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
        }
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::Json(_) => "raw",
            Value::ZSet(z) => z.encoding(),
            Value::List(l) => l.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// What `OBJECT REFCOUNT` reports: small integers are shared objects
    /// in Redis, everything else has a single owner.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::Str(StrValue::Int(n)) if (0..SHARED_INTEGERS).contains(n) => i64::from(i32::MAX),
            _ => 1,
        }
    }

    /// The string payload, if this is a string.
    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string payload for in-place edits, if this is a string.
    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list_mut(&mut self) -> Option<&mut ListValue> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The sorted set, if this is one.
    pub fn as_zset_mut(&mut self) -> Option<&mut ZSetValue> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The sorted set, read-only, if this is one.
    pub fn as_zset(&self) -> Option<&ZSetValue> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The set, read-only, if this is one.
    pub fn as_set(&self) -> Option<&SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The set, if this is one.
    pub fn as_set_mut(&mut self) -> Option<&mut SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The hash, if this is one.
    pub fn as_hash_mut(&mut self) -> Option<&mut HashValue> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }
}

/// The longest string a [`StrValue::Short`] holds: what fits beside the
/// other variants without making a value bigger than three words.
pub const SHORT_MAX: usize = 15;

/// The bytes of a [`StrValue::Short`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortStr {
    len: u8,
    data: [u8; SHORT_MAX],
}

impl ShortStr {
    fn new(bytes: &[u8]) -> Option<ShortStr> {
        let mut data = [0; SHORT_MAX];
        data.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(ShortStr {
            len: bytes.len() as u8,
            data,
        })
    }

    fn bytes(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

/// A string value in one of Redis's three encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum StrValue {
    /// Canonical decimal text of an i64 (`int`).
    Int(i64),
    /// A string of up to [`SHORT_MAX`] bytes kept in the value itself
    /// (`embstr` too): most values are short, and a heap block for one
    /// costs more than the bytes (32 bytes with the C library's malloc).
    Short(ShortStr),
    /// A short string in one exact-size allocation (`embstr`).
    Embstr(Box<[u8]>),
    /// A growable buffer (`raw`).
    Raw(Vec<u8>),
}

impl StrValue {
    /// Redis's `tryObjectEncoding` choice for freshly written text.
    pub fn encoded(bytes: &[u8]) -> StrValue {
        if let Some(n) = canonical_i64(bytes) {
            StrValue::Int(n)
        } else {
            StrValue::embedded_or_raw(bytes)
        }
    }

    /// Redis's `createStringObject`: `embstr` when short, `raw`
    /// otherwise, never `int` (INCRBYFLOAT results are stored this way).
    pub fn embedded_or_raw(bytes: &[u8]) -> StrValue {
        if let Some(short) = ShortStr::new(bytes) {
            StrValue::Short(short)
        } else if bytes.len() <= EMBSTR_SIZE_LIMIT {
            StrValue::Embstr(bytes.into())
        } else {
            StrValue::Raw(bytes.to_vec())
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Short(_) | StrValue::Embstr(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }

    /// The string's bytes; integers are rendered to decimal text.
    pub fn to_bytes(&self) -> bytes::Bytes {
        match self {
            StrValue::Int(n) => bytes::Bytes::from(n.to_string()),
            StrValue::Short(b) => bytes::Bytes::copy_from_slice(b.bytes()),
            StrValue::Embstr(b) => bytes::Bytes::copy_from_slice(b),
            StrValue::Raw(v) => bytes::Bytes::copy_from_slice(v),
        }
    }

    /// Calls `f` with the string's bytes without allocating for the
    /// common, non-integer case.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrValue::Int(n) => {
                let mut buf = itoa::Buffer::new();
                f(buf.format(*n).as_bytes())
            }
            StrValue::Short(b) => f(b.bytes()),
            StrValue::Embstr(b) => f(b),
            StrValue::Raw(v) => f(v),
        }
    }

    /// Length in bytes (STRLEN).
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => itoa::Buffer::new().format(*n).len(),
            StrValue::Short(b) => b.bytes().len(),
            StrValue::Embstr(b) => b.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, as INCR sees it: stored integers directly,
    /// text only when it is canonical integer text.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(n) => Some(*n),
            StrValue::Short(b) => canonical_i64(b.bytes()),
            StrValue::Embstr(b) => canonical_i64(b),
            StrValue::Raw(v) => canonical_i64(v),
        }
    }

    /// Switches to the `raw` encoding and hands out the buffer, as Redis
    /// does before editing a string in place.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            let bytes = self.with_bytes(<[u8]>::to_vec);
            *self = StrValue::Raw(bytes);
        }
        match self {
            StrValue::Raw(v) => v,
            _ => unreachable!("converted to raw just above"),
        }
    }
}

/// Whether `text` is canonical integer text, and its value: Redis's
/// `string2ll`, which decides when a string is stored as `int`.
pub fn canonical_i64(text: &[u8]) -> Option<i64> {
    moat_resp::string2ll(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"0123").encoding(), "embstr");
        assert_eq!(Value::string(b"-0").encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        assert!(matches!(StrValue::encoded(&[b'a'; 15]), StrValue::Short(_)));
        assert!(matches!(
            StrValue::encoded(&[b'a'; 16]),
            StrValue::Embstr(_)
        ));
        for len in [0, 1, 15, 16, 44] {
            let text = vec![b'x'; len];
            let s = StrValue::embedded_or_raw(&text);
            assert_eq!((s.len(), s.to_bytes()), (len, bytes::Bytes::from(text)));
        }
        assert_eq!(Value::string(b"9223372036854775807").encoding(), "int");
        assert_eq!(Value::string(b"9223372036854775808").encoding(), "embstr");
        assert_eq!(Value::string(b"-9223372036854775808").encoding(), "int");
    }

    #[test]
    fn values_stay_three_words() {
        // Every key pays for the largest variant; collections keep their
        // big representations behind a box so that a key costs no more
        // than a string key.
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn refcount_reports_shared_small_integers() {
        assert_eq!(Value::integer(1).refcount(), 2147483647);
        assert_eq!(Value::integer(10_000).refcount(), 1);
        assert_eq!(Value::integer(-1).refcount(), 1);
        assert_eq!(Value::string(b"abc").refcount(), 1);
    }

    #[test]
    fn make_raw_keeps_text() {
        let mut s = StrValue::encoded(b"42");
        s.make_raw().push(b'x');
        assert_eq!(s.to_bytes(), &b"42x"[..]);
        assert_eq!(s.encoding(), "raw");
    }

    #[test]
    fn canonical_i64_rejects_non_canonical_text() {
        for bad in [
            &b""[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-",
            b"-0",
            b"1a",
            b"99999999999999999999",
        ] {
            assert_eq!(
                canonical_i64(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest! {
        #[test]
        fn canonical_i64_round_trips(n: i64) {
            prop_assert_eq!(canonical_i64(n.to_string().as_bytes()), Some(n));
            let s = StrValue::Int(n);
            prop_assert_eq!(s.len(), n.to_string().len());
            prop_assert_eq!(s.to_bytes(), bytes::Bytes::from(n.to_string()));
        }
    }
}
