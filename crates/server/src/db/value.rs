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
    /// A stream (boxed: it is much larger than a string).
    Stream(Box<crate::cmd::stream::Stream>),
    /// Stands for "some other type" in tests until more types exist.
    #[cfg(test)]
    TestOther,
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
            Value::Stream(_) => "stream",
            #[cfg(test)]
            Value::TestOther => "list",
        }
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Stream(_) => "stream",
            #[cfg(test)]
            Value::TestOther => "listpack",
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
            Value::Stream(_) => None,
            #[cfg(test)]
            Value::TestOther => None,
        }
    }

    /// The string payload for in-place edits, if this is a string.
    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            Value::Stream(_) => None,
            #[cfg(test)]
            Value::TestOther => None,
        }
    }
}

/// A string value in one of Redis's three encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum StrValue {
    /// Canonical decimal text of an i64 (`int`).
    Int(i64),
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
        } else if bytes.len() <= EMBSTR_SIZE_LIMIT {
            StrValue::Embstr(bytes.into())
        } else {
            StrValue::Raw(bytes.to_vec())
        }
    }

    /// Redis's `createStringObject`: `embstr` when short, `raw`
    /// otherwise, never `int` (INCRBYFLOAT results are stored this way).
    pub fn embedded_or_raw(bytes: &[u8]) -> StrValue {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            StrValue::Embstr(bytes.into())
        } else {
            StrValue::Raw(bytes.to_vec())
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Embstr(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }

    /// The string's bytes; integers are rendered to decimal text.
    pub fn to_bytes(&self) -> bytes::Bytes {
        match self {
            StrValue::Int(n) => bytes::Bytes::from(n.to_string()),
            StrValue::Embstr(b) => bytes::Bytes::copy_from_slice(b),
            StrValue::Raw(v) => bytes::Bytes::copy_from_slice(v),
        }
    }

    /// Calls `f` with the string's bytes without allocating for the
    /// common, non-integer case.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            StrValue::Int(n) => {
                let mut buf = itoa_buf::Buf::new();
                f(buf.format(*n))
            }
            StrValue::Embstr(b) => f(b),
            StrValue::Raw(v) => f(v),
        }
    }

    /// Length in bytes (STRLEN).
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => itoa_buf::Buf::new().format(*n).len(),
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

/// Parses `text` as Redis's `string2ll` does: optional `-`, no leading
/// zeros (except `0` itself), no `+`, no spaces, within i64.
pub fn canonical_i64(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    match digits {
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

/// A stack buffer for rendering an i64 without allocating.
mod itoa_buf {
    pub struct Buf {
        bytes: [u8; 20],
    }

    impl Buf {
        pub fn new() -> Buf {
            Buf { bytes: [0; 20] }
        }

        pub fn format(&mut self, n: i64) -> &[u8] {
            let mut pos = self.bytes.len();
            let mut magnitude = n.unsigned_abs();
            loop {
                pos -= 1;
                self.bytes[pos] = b'0' + (magnitude % 10) as u8;
                magnitude /= 10;
                if magnitude == 0 {
                    break;
                }
            }
            if n < 0 {
                pos -= 1;
                self.bytes[pos] = b'-';
            }
            &self.bytes[pos..]
        }
    }
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
        assert_eq!(Value::string(b"9223372036854775807").encoding(), "int");
        assert_eq!(Value::string(b"9223372036854775808").encoding(), "embstr");
        assert_eq!(Value::string(b"-9223372036854775808").encoding(), "int");
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
