//! The FUNCTION DUMP payload: Redis's RDB encoding of the libraries
//! (`RDB_OPCODE_FUNCTION2` then the code as an RDB string, per library),
//! followed by the RDB version (2 bytes, little endian) and the CRC-64
//! (Jones, reflected; 8 bytes little endian) of everything before it.
//!
//! Moat writes strings uncompressed (always valid RDB); it reads every RDB
//! string encoding, LZF included, so payloads dumped by Redis restore.

/// `RDB_OPCODE_FUNCTION2`.
const OPCODE_FUNCTION2: u8 = 245;
/// `RDB_OPCODE_FUNCTION_PRE_GA`: the 7.0 release candidates' format.
const OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// The RDB version of Redis 7.2.
pub const RDB_VERSION: u16 = 11;

/// The payload for `codes` (one library code each).
pub fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION2);
        write_length(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The library codes of a payload, or Redis's error text.
pub fn parse(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if payload.len() < 10 {
        return Err("ERR DUMP payload version or checksum are wrong".to_string());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc_bytes = [0u8; 8];
    crc_bytes.copy_from_slice(&footer[2..]);
    let expected = u64::from_le_bytes(crc_bytes);
    if version > RDB_VERSION || crc64(0, &payload[..payload.len() - 8]) != expected {
        return Err("ERR DUMP payload version or checksum are wrong".to_string());
    }
    let mut reader = Reader { data: body, pos: 0 };
    let mut codes = Vec::new();
    while reader.pos < body.len() {
        match reader.byte() {
            Some(OPCODE_FUNCTION2) => {}
            Some(OPCODE_FUNCTION_PRE_GA) => {
                return Err("ERR Pre-GA function format not supported".to_string())
            }
            _ => return Err("ERR given type is not a function".to_string()),
        }
        let code = reader
            .string()
            .ok_or_else(|| "ERR failed loading the given functions payload".to_string())?;
        codes.push(code);
    }
    Ok(codes)
}

fn write_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// An RDB length, or one of the special string encodings.
enum Length {
    Plain(u64),
    Encoded(u8),
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn length(&mut self) -> Option<Length> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Length::Plain((first & 0x3f) as u64),
            1 => Length::Plain((((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 => match first {
                0x80 => {
                    let b = self.take(4)?;
                    Length::Plain(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64)
                }
                0x81 => {
                    let mut buf = [0u8; 8];
                    buf.copy_from_slice(self.take(8)?);
                    Length::Plain(u64::from_be_bytes(buf))
                }
                _ => return None,
            },
            _ => Length::Encoded(first & 0x3f),
        })
    }

    fn plain_length(&mut self) -> Option<usize> {
        match self.length()? {
            Length::Plain(n) => usize::try_from(n).ok(),
            Length::Encoded(_) => None,
        }
    }

    fn string(&mut self) -> Option<Vec<u8>> {
        match self.length()? {
            Length::Plain(n) => Some(self.take(usize::try_from(n).ok()?)?.to_vec()),
            // RDB_ENC_INT8/16/32: integers stored as text.
            Length::Encoded(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Length::Encoded(1) => {
                let b = self.take(2)?;
                Some(i16::from_le_bytes([b[0], b[1]]).to_string().into_bytes())
            }
            Length::Encoded(2) => {
                let b = self.take(4)?;
                Some(
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                        .to_string()
                        .into_bytes(),
                )
            }
            // RDB_ENC_LZF.
            Length::Encoded(3) => {
                let compressed_len = self.plain_length()?;
                let len = self.plain_length()?;
                let compressed = self.take(compressed_len)?;
                lzf_decompress(compressed, len)
            }
            Length::Encoded(_) => None,
        }
    }
}

/// LZF decompression (liblzf's `lzf_decompress`); `None` on corrupt input.
fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(1 << 24));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..run + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

/// Redis's `crc64`: CRC-64/Jones, reflected, no final xor.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
    for &byte in data {
        crc ^= byte as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis() {
        // Redis's crc64 test vector.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn a_payload_dumped_by_redis_parses() {
        // FUNCTION DUMP of Redis 7.0.15 for one library.
        let code = b"#!lua name=ab\nredis.register_function('f', function() return 1 end)";
        let mut payload = vec![245, 0x40, code.len() as u8];
        payload.extend_from_slice(code);
        payload.extend_from_slice(&[10, 0]);
        payload.extend_from_slice(b";^o\xfd\xc6\x0e\xb1\x16");
        assert_eq!(parse(&payload).unwrap(), vec![code.to_vec()]);
        let ours = dump([&code[..]].into_iter());
        assert_eq!(parse(&ours).unwrap(), vec![code.to_vec()]);
        let mut corrupt = ours.clone();
        corrupt[5] ^= 1;
        assert!(parse(&corrupt).is_err());
    }

    #[test]
    fn lzf_round_trip_of_a_literal_and_a_back_reference() {
        // "abcabcabc": literal "abc", then a back reference of 6 bytes.
        let compressed = [2, b'a', b'b', b'c', (4 << 5) as u8, 2];
        assert_eq!(lzf_decompress(&compressed, 9).unwrap(), b"abcabcabc");
    }
}
