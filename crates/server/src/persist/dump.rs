//! A key's value as a DUMP payload and back (`createDumpPayload`,
//! `restoreCommand`'s load): the same type writers and object decoder as
//! RDB files, framed by [`rdb::payload`].
//!
//! The payload claims RDB version 10 ([`rdb::WRITE_VERSION`]), like the
//! files moat writes, because its value encodings are those of version 10
//! (streams as type 19, sets never as listpacks): Redis 7.0 and 7.2 both
//! restore it. Payloads up to version 11 (Redis 7.2's) are read.

use super::rdb::{self, object, payload, reader::Reader, RdbWriter, WriteOptions};
use super::types;
use crate::db::{Thresholds, Value};

/// Why a payload was refused, as RESTORE words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// Version newer than moat reads, or a checksum mismatch.
    Footer,
    /// The body is not a value moat can rebuild.
    BadData,
}

impl RestoreError {
    pub fn text(self) -> &'static str {
        match self {
            RestoreError::Footer => payload::BAD_FOOTER,
            RestoreError::BadData => "ERR Bad data format",
        }
    }
}

/// The DUMP payload of `value`. A JSON document's is RedisJSON's module
/// value (`RDB_TYPE_MODULE_2`, `ReJSON-RL`), as a Redis with RedisJSON
/// dumps it. Writing to memory fails only if memory does.
pub fn dump_value(value: &Value, compression: bool) -> std::io::Result<Vec<u8>> {
    let options = WriteOptions {
        compression,
        checksum: false,
    };
    let mut w = RdbWriter::without_header(Vec::new(), options);
    types::write_object(&mut w, value)?;
    Ok(payload::seal(w.into_inner(), rdb::WRITE_VERSION as u16))
}

/// The value a RESTORE payload holds, built with the encoding Redis would
/// give it under `limits`. Every payload is validated in full, whatever
/// `sanitize-dump-payload` says: moat rebuilds the value in its own
/// representation, so there is no unchecked path to skip to.
pub fn restore_value(bytes: &[u8], limits: &Thresholds) -> Result<Value, RestoreError> {
    payload::open(bytes, rdb::MAX_READ_VERSION).ok_or(RestoreError::Footer)?;
    // Redis reads the value from the whole payload (`rioInitWithBuffer`
    // over the argument), so a value may run on into the footer's bytes;
    // it never looks at what follows the value.
    let mut r = Reader::new(bytes);
    let code = r.u8("the type").map_err(|_| RestoreError::BadData)?;
    if !object::is_value_type(code) {
        return Err(RestoreError::BadData);
    }
    let decoded = object::decode(code, &mut r).map_err(|_| RestoreError::BadData)?;
    types::build_value(decoded, limits).map_err(|_| RestoreError::BadData)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{End, ListValue};
    use proptest::prelude::*;

    proptest! {
        /// Any bytes behind a valid footer are a value or Bad data
        /// format, never a panic.
        #[test]
        fn hostile_bodies_never_panic(
            code in 0u8..24,
            body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut bytes = vec![code];
            bytes.extend_from_slice(&body);
            let sealed = payload::seal(bytes, 10);
            let _ = restore_value(&sealed, &Thresholds::default());
        }
    }

    #[test]
    fn values_round_trip_through_payloads() {
        let limits = Thresholds::default();
        let mut list = ListValue::default();
        for e in [&b"a"[..], b"12", &[b'x'; 300]] {
            list.push(End::Tail, e, &limits);
        }
        for value in [
            Value::string(b"hello"),
            Value::integer(-7),
            Value::string(&[b'z'; 100]),
            Value::List(list),
        ] {
            let payload = dump_value(&value, true).unwrap();
            assert_eq!(restore_value(&payload, &limits).unwrap(), value);
        }
    }

    /// Every byte of real payloads flipped, the footer made good again:
    /// the decoders meet damage deep inside listpacks, intsets and
    /// quicklists, and answer without panicking.
    #[test]
    fn damaged_bodies_never_panic() {
        let limits = Thresholds::default();
        let mut list = ListValue::default();
        let mut set = crate::db::SetValue::create(Some(b"1"), 3, &limits);
        let mut hash = crate::db::HashValue::default();
        for (i, e) in [&b"a"[..], b"12", b"-7000", &[b'x'; 40]].iter().enumerate() {
            list.push(End::Tail, e, &limits);
            set.add(i.to_string().as_bytes(), &limits);
            hash.insert(e, b"v", &limits);
        }
        for value in [Value::List(list), Value::Set(set), Value::Hash(hash)] {
            let good = dump_value(&value, true).unwrap();
            let body = &good[..good.len() - 10];
            for at in 0..body.len() {
                for flip in [0x01, 0x80, 0xff] {
                    let mut bad = body.to_vec();
                    bad[at] ^= flip;
                    let _ = restore_value(&payload::seal(bad, 10), &limits);
                }
            }
        }
    }

    #[test]
    fn damaged_payloads_are_refused_by_kind() {
        let limits = Thresholds::default();
        let good = dump_value(&Value::string(b"hello"), true).unwrap();
        let mut flipped = good.clone();
        flipped[1] ^= 1;
        assert_eq!(restore_value(&flipped, &limits), Err(RestoreError::Footer));
        // A well-framed body that is no value: unknown type 99, a string
        // running past the payload's end (footer included), nothing.
        for body in [&b"\x63\x01a"[..], b"\x00\x30hel", b""] {
            let sealed = payload::seal(body.to_vec(), 10);
            assert_eq!(restore_value(&sealed, &limits), Err(RestoreError::BadData));
        }
        // Redis 7.2's payloads (version 11) restore; newer ones do not.
        let v11 = payload::seal(b"\x00\x01a".to_vec(), 11);
        assert_eq!(restore_value(&v11, &limits), Ok(Value::string(b"a")));
        let newer = payload::seal(b"\x00\x01a".to_vec(), 12);
        assert_eq!(restore_value(&newer, &limits), Err(RestoreError::Footer));
    }
}
