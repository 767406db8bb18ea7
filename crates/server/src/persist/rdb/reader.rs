//! Reading RDB primitives from a byte slice: lengths, strings (integer
//! and LZF encodings included), doubles, fixed-width integers.

use super::error::RdbError;
use super::opcodes::*;

/// An LZF back-reference of 3 bytes expands to at most 264, so no valid
/// compressed string is more than this many times larger than its
/// compressed form; a claim beyond it is corruption, refused before any
/// allocation.
const LZF_MAX_RATIO: usize = 100;

/// A length, or one of the special string encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Plain(u64),
    Encoded(u8),
}

/// A position in an RDB byte slice.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn take(&mut self, n: usize, reading: &str) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() {
            return Err(RdbError::truncated(self.pos, reading));
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, reading: &str) -> Result<[u8; N], RdbError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, reading)?);
        Ok(out)
    }

    pub fn u8(&mut self, reading: &str) -> Result<u8, RdbError> {
        Ok(self.take(1, reading)?[0])
    }

    pub fn u32_le(&mut self, reading: &str) -> Result<u32, RdbError> {
        Ok(u32::from_le_bytes(self.array(reading)?))
    }

    pub fn u64_le(&mut self, reading: &str) -> Result<u64, RdbError> {
        Ok(u64::from_le_bytes(self.array(reading)?))
    }

    pub fn i64_le(&mut self, reading: &str) -> Result<i64, RdbError> {
        Ok(i64::from_le_bytes(self.array(reading)?))
    }

    /// `rdbLoadLenByRef`: 6, 14, 32 or 64 bits, or an encoding marker.
    pub fn length_or_encoding(&mut self) -> Result<Length, RdbError> {
        let first = self.u8("a length")?;
        match first >> 6 {
            LEN_6BIT => Ok(Length::Plain(u64::from(first & 0x3f))),
            LEN_14BIT => {
                let second = self.u8("a length")?;
                Ok(Length::Plain(
                    (u64::from(first & 0x3f) << 8) | u64::from(second),
                ))
            }
            LEN_ENCVAL => Ok(Length::Encoded(first & 0x3f)),
            _ => match first {
                LEN_32BIT => Ok(Length::Plain(u64::from(u32::from_be_bytes(
                    self.array("a 32 bit length")?,
                )))),
                LEN_64BIT => Ok(Length::Plain(u64::from_be_bytes(
                    self.array("a 64 bit length")?,
                ))),
                other => Err(RdbError::new(
                    self.pos - 1,
                    format!("unknown length encoding {other}"),
                )),
            },
        }
    }

    /// A plain length (an encoding marker here is corruption).
    pub fn length(&mut self) -> Result<u64, RdbError> {
        let start = self.pos;
        match self.length_or_encoding()? {
            Length::Plain(n) => Ok(n),
            Length::Encoded(_) => Err(RdbError::new(
                start,
                "a string encoding where a length belongs",
            )),
        }
    }

    /// A length that counts items which each need at least one byte:
    /// refused when the rest of the file could not hold them, so that no
    /// caller preallocates for an absurd count.
    pub fn count(&mut self, what: &str) -> Result<usize, RdbError> {
        let start = self.pos;
        let n = self.length()?;
        if n > self.remaining() as u64 {
            return Err(RdbError::new(
                start,
                format!("{what} count {n} is larger than the rest of the file"),
            ));
        }
        Ok(n as usize)
    }

    /// `rdbGenericLoadStringObject`: raw, integer-encoded or LZF.
    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        let start = self.pos;
        match self.length_or_encoding()? {
            Length::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| RdbError::truncated(start, "a string"))?;
                Ok(self.take(n, "a string")?.to_vec())
            }
            Length::Encoded(ENC_INT8) => {
                Ok((self.u8("an int8 string")? as i8).to_string().into_bytes())
            }
            Length::Encoded(ENC_INT16) => Ok(i16::from_le_bytes(self.array("an int16 string")?)
                .to_string()
                .into_bytes()),
            Length::Encoded(ENC_INT32) => Ok(i32::from_le_bytes(self.array("an int32 string")?)
                .to_string()
                .into_bytes()),
            Length::Encoded(ENC_LZF) => self.lzf_string(),
            Length::Encoded(other) => Err(RdbError::new(
                start,
                format!("unknown string encoding {other}"),
            )),
        }
    }

    fn lzf_string(&mut self) -> Result<Vec<u8>, RdbError> {
        let start = self.pos;
        let compressed_len = self.length()?;
        let plain_len = self.length()?;
        let compressed_len = usize::try_from(compressed_len)
            .map_err(|_| RdbError::truncated(start, "an LZF string"))?;
        let data = self.take(compressed_len, "an LZF string")?;
        if plain_len == 0
            || plain_len > (compressed_len as u64).saturating_mul(LZF_MAX_RATIO as u64)
        {
            return Err(RdbError::new(
                start,
                format!(
                    "LZF string of {compressed_len} bytes claims {plain_len} bytes uncompressed"
                ),
            ));
        }
        let plain_len = plain_len as usize;
        match lzf::decompress(data, plain_len) {
            Ok(plain) if plain.len() == plain_len => Ok(plain),
            _ => Err(RdbError::new(start, "invalid LZF compressed string")),
        }
    }

    /// A string that must be a decimal integer (ziplist scores, old
    /// formats): parsed strictly.
    pub fn string_i64(&mut self, what: &str) -> Result<i64, RdbError> {
        let start = self.pos;
        let text = self.string()?;
        std::str::from_utf8(&text)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| RdbError::new(start, format!("{what} is not an integer")))
    }

    /// `rdbLoadBinaryDoubleValue`: 8 bytes little-endian.
    pub fn binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array("a binary double")?))
    }

    /// `rdbLoadDoubleValue` (RDB_TYPE_ZSET): a length byte, 253 NaN, 254
    /// +inf, 255 -inf, else that many bytes of text.
    pub fn text_double(&mut self) -> Result<f64, RdbError> {
        let start = self.pos;
        match self.u8("a double")? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.take(usize::from(n), "a double")?;
                parse_double(text).ok_or_else(|| RdbError::new(start, "invalid double value"))
            }
        }
    }
}

/// Decimal text of a double as Redis's `strtod` accepts it.
pub fn parse_double(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    match text.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_in_every_width() {
        let bytes = [
            0x05, 0x41, 0x02, 0x80, 0, 1, 0, 0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.length().unwrap(), 5);
        assert_eq!(r.length().unwrap(), 0x102);
        assert_eq!(r.length().unwrap(), 0x10000);
        assert_eq!(r.length().unwrap(), 1 << 32);
        assert!(r.length().is_err());
    }

    #[test]
    fn integer_encoded_strings() {
        let bytes = [0xc0, 0xfb, 0xc1, 0x39, 0x30, 0xc2, 0xff, 0xff, 0xff, 0x7f];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.string().unwrap(), b"-5");
        assert_eq!(r.string().unwrap(), b"12345");
        assert_eq!(r.string().unwrap(), b"2147483647");
    }

    #[test]
    fn lzf_claims_are_bounded() {
        // Claims 2^40 bytes from 1 byte of data: refused, nothing allocated.
        let bytes = [0xc3, 0x01, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0x00];
        assert!(Reader::new(&bytes).string().is_err());
    }
}
