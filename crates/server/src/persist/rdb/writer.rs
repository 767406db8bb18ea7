//! Writing RDB primitives and records to any `Write`, with the running
//! CRC64 Redis appends after the EOF opcode.

use super::crc64;
use super::opcodes::*;
use std::io::{self, Write};

/// `rdbcompression` and `rdbchecksum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    pub compression: bool,
    pub checksum: bool,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            compression: true,
            checksum: true,
        }
    }
}

/// What precedes a key's type code: its expiry and, under an LRU or LFU
/// `maxmemory-policy`, its idle time or access counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordMeta {
    pub expire_ms: Option<i64>,
    pub idle_secs: Option<u64>,
    pub freq: Option<u8>,
}

/// Redis compresses only strings longer than this (`rdbSaveRawString`).
const COMPRESS_MIN_LEN: usize = 20;

pub struct RdbWriter<W: Write> {
    out: W,
    digest: crc::Digest<'static, u64>,
    options: WriteOptions,
}

impl<W: Write> RdbWriter<W> {
    /// Starts a file: writes `REDIS` and the version.
    pub fn new(out: W, options: WriteOptions) -> io::Result<RdbWriter<W>> {
        let mut w = RdbWriter {
            out,
            digest: crc64::digest(),
            options,
        };
        w.raw(format!("REDIS{:04}", super::WRITE_VERSION).as_bytes())?;
        Ok(w)
    }

    /// A writer for RDB-encoded data outside a file (DUMP and FUNCTION
    /// DUMP payloads, length measurements): no `REDIS` header.
    pub fn without_header(out: W, options: WriteOptions) -> RdbWriter<W> {
        RdbWriter {
            out,
            digest: crc64::digest(),
            options,
        }
    }

    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.options.checksum {
            self.digest.update(bytes);
        }
        self.out.write_all(bytes)
    }

    pub fn u8(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// `rdbSaveLen`.
    pub fn length(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.u8(n as u8)
        } else if n < 1 << 14 {
            self.raw(&[(LEN_14BIT << 6) | (n >> 8) as u8, n as u8])
        } else if n <= u64::from(u32::MAX) {
            self.u8(LEN_32BIT)?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.u8(LEN_64BIT)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// `rdbSaveRawString`: integer encodings for short integer text, LZF
    /// for long compressible strings, else length and bytes.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(n) = moat_resp::string2ll(s) {
                return self.integer_string(n, s);
            }
        }
        if self.options.compression && s.len() > COMPRESS_MIN_LEN {
            // Redis gives LZF an output buffer of len - 4 and stores the
            // string plain when the result does not fit it.
            if let Ok(compressed) = lzf::compress(s) {
                if compressed.len() <= s.len() - 4 {
                    self.u8((LEN_ENCVAL << 6) | ENC_LZF)?;
                    self.length(compressed.len() as u64)?;
                    self.length(s.len() as u64)?;
                    return self.raw(&compressed);
                }
            }
        }
        self.length(s.len() as u64)?;
        self.raw(s)
    }

    /// An integer as a string: `rdbEncodeInteger` when it fits 32 bits.
    pub fn integer_string(&mut self, n: i64, text: &[u8]) -> io::Result<()> {
        let enc = |e: u8| (LEN_ENCVAL << 6) | e;
        if let Ok(v) = i8::try_from(n) {
            self.raw(&[enc(ENC_INT8), v as u8])
        } else if let Ok(v) = i16::try_from(n) {
            self.u8(enc(ENC_INT16))?;
            self.raw(&v.to_le_bytes())
        } else if let Ok(v) = i32::try_from(n) {
            self.u8(enc(ENC_INT32))?;
            self.raw(&v.to_le_bytes())
        } else {
            self.length(text.len() as u64)?;
            self.raw(text)
        }
    }

    pub fn binary_double(&mut self, d: f64) -> io::Result<()> {
        self.raw(&d.to_le_bytes())
    }

    pub fn aux(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        self.u8(OPCODE_AUX)?;
        self.string(key.as_bytes())?;
        self.string(value)
    }

    /// One function library (`rdbSaveFunctions`): `RDB_OPCODE_FUNCTION2`
    /// and its code as a string, compressed like any other.
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.u8(OPCODE_FUNCTION2)?;
        self.string(code)
    }

    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) -> io::Result<()> {
        self.u8(OPCODE_SELECTDB)?;
        self.length(db as u64)?;
        self.u8(OPCODE_RESIZEDB)?;
        self.length(keys as u64)?;
        self.length(expires as u64)
    }

    /// The part of a record before its value: expiry, type, key.
    pub fn record_header(
        &mut self,
        meta: &RecordMeta,
        type_code: u8,
        key: &[u8],
    ) -> io::Result<()> {
        if let Some(at) = meta.expire_ms {
            self.u8(OPCODE_EXPIRETIME_MS)?;
            self.raw(&at.to_le_bytes())?;
        }
        if let Some(idle) = meta.idle_secs {
            self.u8(OPCODE_IDLE)?;
            self.length(idle)?;
        }
        if let Some(freq) = meta.freq {
            self.u8(OPCODE_FREQ)?;
            self.u8(freq)?;
        }
        self.u8(type_code)?;
        self.string(key)
    }

    /// The bytes written so far, without the EOF trailer (to measure a
    /// record).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes EOF and the checksum (zero with `rdbchecksum no`) and hands
    /// back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.u8(OPCODE_EOF)?;
        let crc = if self.options.checksum {
            self.digest.finalize()
        } else {
            0
        };
        self.out.write_all(&crc.to_le_bytes())?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse, ParsedRecord, Visitor};
    use super::super::{RdbError, RdbObject};
    use super::*;
    use proptest::prelude::*;

    struct Strings(Vec<Vec<u8>>);

    impl Visitor for Strings {
        fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError> {
            if let RdbObject::String(s) = record.object {
                self.0.push(s);
            }
            Ok(())
        }
    }

    proptest! {
        #[test]
        fn strings_round_trip(values in proptest::collection::vec(
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string().into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..300),
                (1usize..2000).prop_map(|n| b"abc".repeat(n)),
            ], 1..10), compression: bool, checksum: bool) {
            let mut w = RdbWriter::new(Vec::new(), WriteOptions { compression, checksum }).unwrap();
            w.select_db(0, values.len(), 0).unwrap();
            for v in &values {
                w.record_header(&RecordMeta::default(), TYPE_STRING, b"k")
                    .unwrap();
                w.string(v).unwrap();
            }
            let file = w.finish().unwrap();
            let mut seen = Strings(Vec::new());
            let summary = parse(&file, &mut seen).unwrap();
            prop_assert_eq!(summary.checksum_verified, checksum);
            prop_assert_eq!(seen.0, values);
        }

        #[test]
        fn lengths_round_trip(n: u64) {
            let mut w = RdbWriter::new(Vec::new(), WriteOptions::default()).unwrap();
            w.length(n).unwrap();
            let bytes = w.finish().unwrap();
            let mut r = super::super::reader::Reader::new(&bytes[9..]);
            prop_assert_eq!(r.length().unwrap(), n);
        }
    }

    struct Functions(Vec<(Vec<u8>, usize)>);

    impl Visitor for Functions {
        fn record(&mut self, _: ParsedRecord) -> Result<(), RdbError> {
            Ok(())
        }
        fn function(&mut self, code: Vec<u8>, offset: usize) -> Result<(), RdbError> {
            self.0.push((code, offset));
            Ok(())
        }
    }

    #[test]
    fn function_records_round_trip() {
        let code = b"#!lua name=l\nredis.register_function('f', function() end)".repeat(3);
        for compression in [false, true] {
            let options = WriteOptions {
                compression,
                checksum: true,
            };
            let mut w = RdbWriter::new(Vec::new(), options).unwrap();
            w.function(b"#!lua name=x").unwrap();
            w.function(&code).unwrap();
            let file = w.finish().unwrap();
            assert_eq!(&file[9..11], &[OPCODE_FUNCTION2, 12]);
            let mut seen = Functions(Vec::new());
            parse(&file, &mut seen).unwrap();
            assert_eq!(
                seen.0,
                vec![(b"#!lua name=x".to_vec(), 9), (code.clone(), 9 + 2 + 12)]
            );
        }
    }

    #[test]
    fn long_repetitive_strings_are_compressed() {
        let mut w = RdbWriter::new(Vec::new(), WriteOptions::default()).unwrap();
        w.string(&[b'x'; 1000]).unwrap();
        let bytes = w.finish().unwrap();
        assert!(bytes.len() < 100);
        assert_eq!(bytes[9], 0xc3);
    }
}
