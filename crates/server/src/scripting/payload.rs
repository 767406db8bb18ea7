//! The FUNCTION DUMP payload: Redis's RDB encoding of the libraries
//! (`RDB_OPCODE_FUNCTION2` then the code as an RDB string, per library),
//! followed by the RDB version (2 bytes, little endian) and the CRC-64
//! (Jones, reflected; 8 bytes little endian) of everything before it.
//!
//! The RDB pieces (lengths, string encodings with LZF, the CRC) are the
//! persistence module's: [`crate::persist::rdb`].

use crate::persist::rdb::opcodes::{OPCODE_FUNCTION2, OPCODE_FUNCTION_PRE_GA};
use crate::persist::rdb::payload::{self as frame, BAD_FOOTER};
use crate::persist::rdb::reader::Reader;
use crate::persist::rdb::writer::{RdbWriter, WriteOptions};
/// The RDB version of Redis 7.2.
pub const RDB_VERSION: u16 = 11;

/// The payload for `codes` (one library code each).
pub fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let options = WriteOptions {
        compression: true,
        checksum: false,
    };
    let mut writer = RdbWriter::without_header(Vec::new(), options);
    for code in codes {
        // Writing to a Vec cannot fail.
        let _ = writer.function(code);
    }
    frame::seal(writer.into_inner(), RDB_VERSION)
}

/// The library codes of a payload, or Redis's error text.
pub fn parse(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let body =
        frame::open(payload, u32::from(RDB_VERSION)).ok_or_else(|| BAD_FOOTER.to_string())?;
    let mut reader = Reader::new(body);
    let mut codes = Vec::new();
    while reader.remaining() > 0 {
        match reader.u8("function opcode") {
            Ok(OPCODE_FUNCTION2) => {}
            Ok(OPCODE_FUNCTION_PRE_GA) => {
                return Err("ERR Pre-GA function format not supported".to_string())
            }
            _ => return Err("ERR given type is not a function".to_string()),
        }
        let code = reader
            .string()
            .map_err(|_| "ERR failed loading the given functions payload".to_string())?;
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_lzf_compressed_library_restores() {
        // Redis compresses long codes: an RDB_ENC_LZF string, "abcabcabc"
        // as a literal "abc" then a 6-byte back reference.
        let payload = vec![245, 0xc3, 6, 9, 2, b'a', b'b', b'c', 4 << 5, 2];
        let payload = frame::seal(payload, 10);
        assert_eq!(parse(&payload).unwrap(), vec![b"abcabcabc".to_vec()]);
    }
}
