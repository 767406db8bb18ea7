//! Walking a whole RDB file: header, opcodes, values, EOF and checksum.
//! The caller receives each piece through a [`Visitor`] and builds what
//! it wants (the server builds a new keyspace, swapped in only when the
//! walk succeeded).

use super::crc64;
use super::error::RdbError;
use super::object::{self, RdbObject};
use super::opcodes::*;
use super::reader::Reader;
use super::MAX_READ_VERSION;

/// One key as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRecord {
    pub db: u64,
    pub key: Vec<u8>,
    /// Absolute expiry time in milliseconds.
    pub expire_ms: Option<i64>,
    /// `OBJECT IDLETIME` seconds the writer recorded (LRU policies).
    pub idle_secs: Option<u64>,
    /// The LFU counter the writer recorded (LFU policies).
    pub freq: Option<u8>,
    pub object: RdbObject,
    /// Where the record starts, for error messages.
    pub offset: usize,
}

/// Receives the contents of a file as it is parsed.
pub trait Visitor {
    fn aux(&mut self, _key: &[u8], _value: &[u8]) {}
    fn resize_db(&mut self, _db: u64, _keys: u64, _expires: u64) {}
    /// A `SELECTDB`; an index the receiver cannot hold is an error.
    fn select_db(&mut self, _db: u64, _offset: usize) -> Result<(), RdbError> {
        Ok(())
    }
    fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError>;
    /// A function library's source (`FUNCTION2`).
    fn function(&mut self, _code: Vec<u8>, _offset: usize) -> Result<(), RdbError> {
        Ok(())
    }
}

/// What the walk found besides the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub version: u32,
    /// Whether a checksum was present and verified (0 means the writer had
    /// `rdbchecksum no`).
    pub checksum_verified: bool,
    /// Bytes the file took, checksum included: an AOF with an RDB
    /// preamble goes on with commands from here.
    pub end: usize,
}

/// Parses `bytes` as an RDB file.
pub fn parse(bytes: &[u8], visitor: &mut impl Visitor) -> Result<Summary, RdbError> {
    let mut r = Reader::new(bytes);
    let magic = r.take(9, "the file header")?;
    if &magic[..5] != b"REDIS" {
        return Err(RdbError::new(
            0,
            "wrong signature trying to load DB from file",
        ));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| RdbError::new(5, "invalid RDB version number"))?;
    if !(1..=MAX_READ_VERSION).contains(&version) {
        return Err(RdbError::new(
            5,
            format!("can't handle RDB format version {version}"),
        ));
    }
    let mut db = 0u64;
    let mut expire_ms = None;
    let mut idle_secs = None;
    let mut freq = None;
    loop {
        let offset = r.pos();
        let code = r.u8("an opcode")?;
        match code {
            OPCODE_EOF => break,
            OPCODE_EXPIRETIME_MS => expire_ms = Some(r.i64_le("an expire time")?),
            OPCODE_EXPIRETIME => {
                let secs = i32::from_le_bytes(
                    r.take(4, "an expire time")?
                        .try_into()
                        .map_err(|_| RdbError::truncated(offset, "an expire time"))?,
                );
                expire_ms = Some(i64::from(secs) * 1000);
            }
            OPCODE_FREQ => freq = Some(r.u8("an LFU counter")?),
            OPCODE_IDLE => idle_secs = Some(r.length()?),
            OPCODE_SELECTDB => {
                db = r.length()?;
                visitor.select_db(db, offset)?;
            }
            OPCODE_RESIZEDB => {
                let keys = r.length()?;
                let expires = r.length()?;
                visitor.resize_db(db, keys, expires);
            }
            OPCODE_AUX => {
                let key = r.string()?;
                let value = r.string()?;
                visitor.aux(&key, &value);
            }
            OPCODE_FUNCTION2 => {
                let code = r.string()?;
                visitor.function(code, offset)?;
            }
            OPCODE_FUNCTION_PRE_GA => {
                return Err(RdbError::new(
                    offset,
                    "pre-release function format (Redis 7.0 release candidates) is not supported",
                ))
            }
            OPCODE_MODULE_AUX => {
                return Err(RdbError::new(
                    offset,
                    "module auxiliary data is not supported (no modules are loaded)",
                ))
            }
            code if object::is_value_type(code) => {
                let key = r.string()?;
                let object = object::decode(code, &mut r).map_err(|e| {
                    RdbError::new(
                        e.offset,
                        format!("key '{}': {}", String::from_utf8_lossy(&key), e.what),
                    )
                })?;
                visitor.record(ParsedRecord {
                    db,
                    key,
                    expire_ms: expire_ms.take(),
                    idle_secs: idle_secs.take(),
                    freq: freq.take(),
                    object,
                    offset,
                })?;
            }
            other => {
                return Err(RdbError::new(
                    offset,
                    format!("unknown opcode or value type {other}"),
                ))
            }
        }
    }
    let body_end = r.pos();
    let mut checksum_verified = false;
    if version >= 5 {
        let stored = r.u64_le("the checksum")?;
        if stored != 0 {
            let computed = crc64::checksum(&bytes[..body_end]);
            if computed != stored {
                return Err(RdbError::new(
                    body_end,
                    format!("wrong RDB checksum expected: ({stored:x}) got ({computed:x})"),
                ));
            }
            checksum_verified = true;
        }
    }
    Ok(Summary {
        version,
        checksum_verified,
        end: r.pos(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Collect(Vec<ParsedRecord>);

    impl Visitor for Collect {
        fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError> {
            self.0.push(record);
            Ok(())
        }
    }

    /// `SET k v` then `SAVE` on redis-server 7.0.15 with its aux fields
    /// cut down to redis-ver: header, AUX, SELECTDB, RESIZEDB, key, EOF.
    fn tiny_file() -> Vec<u8> {
        let mut f = b"REDIS0010".to_vec();
        f.extend_from_slice(&[0xfa, 9]);
        f.extend_from_slice(b"redis-ver");
        f.extend_from_slice(&[6]);
        f.extend_from_slice(b"7.0.15");
        f.extend_from_slice(&[0xfe, 0, 0xfb, 1, 1, 0xfc]);
        f.extend_from_slice(&1_700_000_000_000i64.to_le_bytes());
        f.extend_from_slice(&[0, 1, b'k', 1, b'v', 0xff]);
        let crc = crc64::checksum(&f);
        f.extend_from_slice(&crc.to_le_bytes());
        f
    }

    #[test]
    fn parses_a_minimal_file() {
        let mut seen = Collect(Vec::new());
        let mut file = tiny_file();
        let length = file.len();
        // What follows the checksum is not the RDB's (an AOF tail).
        file.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let summary = parse(&file, &mut seen).unwrap();
        assert!(summary.checksum_verified);
        assert_eq!(summary.end, length);
        assert_eq!(seen.0.len(), 1);
        assert_eq!(seen.0[0].key, b"k");
        assert_eq!(seen.0[0].expire_ms, Some(1_700_000_000_000));
        assert_eq!(seen.0[0].object, RdbObject::String(b"v".to_vec()));
    }

    #[test]
    fn every_truncation_and_flip_is_an_error() {
        let file = tiny_file();
        for cut in 0..file.len() {
            assert!(
                parse(&file[..cut], &mut Collect(Vec::new())).is_err(),
                "cut at {cut}"
            );
        }
        for at in 0..file.len() {
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            assert!(
                parse(&bad, &mut Collect(Vec::new())).is_err(),
                "flip at {at}"
            );
        }
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut file = b"REDIS0011".to_vec();
            file.extend_from_slice(&tail);
            let _ = parse(&file, &mut Collect(Vec::new()));
        }

        #[test]
        fn hostile_values_never_panic(code in 0u8..22, tail in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut file = b"REDIS0011".to_vec();
            file.push(code);
            file.push(1);
            file.push(b'k');
            file.extend_from_slice(&tail);
            let _ = parse(&file, &mut Collect(Vec::new()));
        }
    }
}
