//! Decoding and encoding Redis's listpack (`listpack.c`), the compact
//! encoding of small hashes, sets, sorted sets, list nodes and stream
//! nodes. Decoding validates the header, every entry and its back-length,
//! and the terminator.

use super::error::RdbError;

const HEADER_SIZE: usize = 6;
const EOF: u8 = 0xff;

/// The elements of a listpack, integers rendered as decimal text.
pub fn decode(blob: &[u8]) -> Result<Vec<Vec<u8>>, RdbError> {
    if blob.len() < HEADER_SIZE + 1 {
        return Err(RdbError::new(0, "listpack shorter than its header"));
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err(RdbError::new(
            0,
            format!(
                "listpack header says {total} bytes, blob has {}",
                blob.len()
            ),
        ));
    }
    let declared = u16::from_le_bytes([blob[4], blob[5]]);
    let mut out = Vec::new();
    let mut pos = HEADER_SIZE;
    loop {
        let Some(&first) = blob.get(pos) else {
            return Err(RdbError::new(pos, "listpack without terminator"));
        };
        if first == EOF {
            if pos + 1 != blob.len() {
                return Err(RdbError::new(pos, "bytes after the listpack terminator"));
            }
            break;
        }
        let (element, encoded_len) = entry(blob, pos)?;
        let backlen_size = backlen_size(encoded_len);
        let backlen_at = pos + encoded_len;
        let back = blob
            .get(backlen_at..backlen_at + backlen_size)
            .ok_or_else(|| RdbError::new(backlen_at, "listpack entry cut short"))?;
        if decode_backlen(back) != Some(encoded_len) {
            return Err(RdbError::new(backlen_at, "listpack back-length mismatch"));
        }
        out.push(element);
        pos = backlen_at + backlen_size;
    }
    // 65535 means "count unknown, walk the entries".
    if declared != u16::MAX && usize::from(declared) != out.len() {
        return Err(RdbError::new(
            4,
            format!(
                "listpack header says {declared} entries, found {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// One entry at `pos`: its element and the length of encoding + data.
fn entry(blob: &[u8], pos: usize) -> Result<(Vec<u8>, usize), RdbError> {
    let byte = |i: usize| {
        blob.get(pos + i)
            .copied()
            .ok_or_else(|| RdbError::new(pos, "listpack entry cut short"))
    };
    let data = |skip: usize, len: usize| {
        blob.get(pos + skip..pos + skip + len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| RdbError::new(pos, "listpack string cut short"))
    };
    let int = |v: i64| v.to_string().into_bytes();
    let first = byte(0)?;
    Ok(if first & 0x80 == 0 {
        (int(i64::from(first & 0x7f)), 1)
    } else if first & 0xc0 == 0x80 {
        let len = usize::from(first & 0x3f);
        (data(1, len)?, 1 + len)
    } else if first & 0xe0 == 0xc0 {
        let raw = (i64::from(first & 0x1f) << 8) | i64::from(byte(1)?);
        (int(sign_extend(raw, 13)), 2)
    } else if first & 0xf0 == 0xe0 {
        let len = (usize::from(first & 0x0f) << 8) | usize::from(byte(1)?);
        (data(2, len)?, 2 + len)
    } else {
        match first {
            0xf0 => {
                let len = u32::from_le_bytes([byte(1)?, byte(2)?, byte(3)?, byte(4)?]) as usize;
                (data(5, len)?, 5 + len)
            }
            0xf1 => (int(i64::from(i16::from_le_bytes([byte(1)?, byte(2)?]))), 3),
            0xf2 => {
                let raw =
                    i64::from(byte(1)?) | i64::from(byte(2)?) << 8 | i64::from(byte(3)?) << 16;
                (int(sign_extend(raw, 24)), 4)
            }
            0xf3 => (
                int(i64::from(i32::from_le_bytes([
                    byte(1)?,
                    byte(2)?,
                    byte(3)?,
                    byte(4)?,
                ]))),
                5,
            ),
            0xf4 => {
                let mut b = [0u8; 8];
                for (i, slot) in b.iter_mut().enumerate() {
                    *slot = byte(1 + i)?;
                }
                (int(i64::from_le_bytes(b)), 9)
            }
            other => {
                return Err(RdbError::new(
                    pos,
                    format!("unknown listpack encoding {other:#04x}"),
                ))
            }
        }
    })
}

fn sign_extend(raw: i64, bits: u32) -> i64 {
    if raw >= 1 << (bits - 1) {
        raw - (1 << bits)
    } else {
        raw
    }
}

/// How many bytes the back-length of an entry of `len` bytes takes.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// The back-length is stored most significant part first, 7 bits a
/// byte, the high bit set on every byte but the one nearest the entry
/// (a reader walking backwards stops at the byte without it).
fn decode_backlen(bytes: &[u8]) -> Option<usize> {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        let last = i == 0;
        if last == (b & 0x80 != 0) {
            return None;
        }
        value = (value << 7) | usize::from(b & 0x7f);
    }
    Some(value)
}

fn encode_backlen(len: usize, out: &mut Vec<u8>) {
    let size = backlen_size(len);
    for i in (0..size).rev() {
        let part = ((len >> (7 * i)) & 0x7f) as u8;
        out.push(if i == size - 1 { part } else { part | 0x80 });
    }
}

/// A listpack of `elements`, integers in their compact forms as
/// `lpAppend` writes them.
pub fn encode<'e>(elements: impl IntoIterator<Item = &'e [u8]>) -> Vec<u8> {
    let mut out = vec![0u8; HEADER_SIZE];
    let mut count = 0usize;
    for element in elements {
        let start = out.len();
        match moat_resp::string2ll(element) {
            Some(n) if (0..=127).contains(&n) => out.push(n as u8),
            Some(n) if (-4096..=4095).contains(&n) => {
                let u = (n as u16) & 0x1fff;
                out.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
            }
            Some(n) if i16::try_from(n).is_ok() => {
                out.push(0xf1);
                out.extend_from_slice(&(n as i16).to_le_bytes());
            }
            Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => {
                out.push(0xf2);
                out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
            }
            Some(n) if i32::try_from(n).is_ok() => {
                out.push(0xf3);
                out.extend_from_slice(&(n as i32).to_le_bytes());
            }
            Some(n) => {
                out.push(0xf4);
                out.extend_from_slice(&n.to_le_bytes());
            }
            None if element.len() < 64 => {
                out.push(0x80 | element.len() as u8);
                out.extend_from_slice(element);
            }
            None if element.len() < 4096 => {
                out.extend_from_slice(&[0xe0 | (element.len() >> 8) as u8, element.len() as u8]);
                out.extend_from_slice(element);
            }
            None => {
                out.push(0xf0);
                out.extend_from_slice(&(element.len() as u32).to_le_bytes());
                out.extend_from_slice(element);
            }
        }
        let len = out.len() - start;
        encode_backlen(len, &mut out);
        count += 1;
    }
    out.push(EOF);
    let total = out.len() as u32;
    out[0..4].copy_from_slice(&total.to_le_bytes());
    let count = u16::try_from(count).unwrap_or(u16::MAX);
    out[4..6].copy_from_slice(&count.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_redis_bytes() {
        // `HSET h a 1 bb -300` on Redis 7: listpack of a, 1, bb, -300.
        let blob = [
            0x13, 0, 0, 0, 4, 0, 0x81, b'a', 2, 0x01, 1, 0x82, b'b', b'b', 3, 0xde, 0xd4, 2, 0xff,
        ];
        assert_eq!(
            decode(&blob).unwrap(),
            vec![
                b"a".to_vec(),
                b"1".to_vec(),
                b"bb".to_vec(),
                b"-300".to_vec()
            ]
        );
    }

    proptest! {
        #[test]
        fn round_trips(elements in proptest::collection::vec(
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string().into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..5000),
            ], 0..20)) {
            let blob = encode(elements.iter().map(Vec::as_slice));
            prop_assert_eq!(decode(&blob).unwrap(), elements);
        }

        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
