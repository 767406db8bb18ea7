//! Decoding Redis's ziplist (`ziplist.c`), the compact encoding of files
//! written before Redis 7.0 (and of quicklist 1 nodes).

use super::error::RdbError;

const HEADER_SIZE: usize = 10;
const END: u8 = 0xff;
const BIG_PREVLEN: u8 = 254;

/// The elements of a ziplist, integers rendered as decimal text.
pub fn decode(blob: &[u8]) -> Result<Vec<Vec<u8>>, RdbError> {
    if blob.len() < HEADER_SIZE + 1 {
        return Err(RdbError::new(0, "ziplist shorter than its header"));
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err(RdbError::new(
            0,
            format!("ziplist header says {total} bytes, blob has {}", blob.len()),
        ));
    }
    let declared = u16::from_le_bytes([blob[8], blob[9]]);
    let mut out = Vec::new();
    let mut pos = HEADER_SIZE;
    let mut previous_len = 0usize;
    loop {
        let at = |i: usize| {
            blob.get(i)
                .copied()
                .ok_or_else(|| RdbError::new(i, "ziplist entry cut short"))
        };
        let start = pos;
        let first = at(pos)?;
        if first == END {
            if pos + 1 != blob.len() {
                return Err(RdbError::new(pos, "bytes after the ziplist end marker"));
            }
            break;
        }
        let prevlen = if first < BIG_PREVLEN {
            pos += 1;
            usize::from(first)
        } else if first == BIG_PREVLEN {
            let b = [at(pos + 1)?, at(pos + 2)?, at(pos + 3)?, at(pos + 4)?];
            pos += 5;
            u32::from_le_bytes(b) as usize
        } else {
            return Err(RdbError::new(pos, "invalid ziplist previous length"));
        };
        if prevlen != previous_len {
            return Err(RdbError::new(start, "ziplist previous-length mismatch"));
        }
        let enc = at(pos)?;
        let int = |v: i64| v.to_string().into_bytes();
        let (element, size) = match enc >> 6 {
            0 => (string(blob, pos + 1, usize::from(enc & 0x3f))?, 1),
            1 => {
                let len = (usize::from(enc & 0x3f) << 8) | usize::from(at(pos + 1)?);
                (string(blob, pos + 2, len)?, 2)
            }
            2 => {
                let b = [at(pos + 1)?, at(pos + 2)?, at(pos + 3)?, at(pos + 4)?];
                (string(blob, pos + 5, u32::from_be_bytes(b) as usize)?, 5)
            }
            _ => match enc {
                0xc0 => (
                    int(i64::from(i16::from_le_bytes([at(pos + 1)?, at(pos + 2)?]))),
                    3,
                ),
                0xd0 => {
                    let b = [at(pos + 1)?, at(pos + 2)?, at(pos + 3)?, at(pos + 4)?];
                    (int(i64::from(i32::from_le_bytes(b))), 5)
                }
                0xe0 => {
                    let mut b = [0u8; 8];
                    for (i, slot) in b.iter_mut().enumerate() {
                        *slot = at(pos + 1 + i)?;
                    }
                    (int(i64::from_le_bytes(b)), 9)
                }
                0xf0 => {
                    let b = [0, at(pos + 1)?, at(pos + 2)?, at(pos + 3)?];
                    (int(i64::from(i32::from_le_bytes(b) >> 8)), 4)
                }
                0xfe => (int(i64::from(at(pos + 1)? as i8)), 2),
                0xf1..=0xfd => (int(i64::from(enc & 0x0f) - 1), 1),
                other => {
                    return Err(RdbError::new(
                        pos,
                        format!("unknown ziplist encoding {other:#04x}"),
                    ))
                }
            },
        };
        let data_len = if enc >> 6 < 3 { element.len() } else { 0 };
        pos += size + data_len;
        previous_len = pos - start;
        out.push(element);
    }
    if declared != u16::MAX && usize::from(declared) != out.len() {
        return Err(RdbError::new(
            8,
            format!(
                "ziplist header says {declared} entries, found {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

fn string(blob: &[u8], from: usize, len: usize) -> Result<Vec<u8>, RdbError> {
    from.checked_add(len)
        .and_then(|end| blob.get(from..end))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| RdbError::new(from, "ziplist string cut short"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_redis_6_bytes() {
        // RPUSH l a 7 -2 on Redis 6: strings, an immediate and an int8.
        let blob = [
            0x14, 0, 0, 0, 0x10, 0, 0, 0, 3, 0, 0, 0x01, b'a', 3, 0xf8, 2, 0xfe, 0xfe, 0xff,
        ];
        let mut fixed = blob.to_vec();
        fixed[0] = fixed.len() as u8;
        assert_eq!(
            decode(&fixed).unwrap(),
            vec![b"a".to_vec(), b"7".to_vec(), b"-2".to_vec()]
        );
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
