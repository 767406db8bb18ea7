//! Decoding Redis's zipmap (`zipmap.c`), the small-hash encoding of files
//! from Redis 2.x: a count byte, then key/value pairs with one- or
//! five-byte lengths and a free-space byte after each value's length.

use super::error::RdbError;

const BIGLEN: u8 = 254;
const END: u8 = 0xff;

pub fn decode(blob: &[u8]) -> Result<super::object::Pairs, RdbError> {
    let mut pos = 1;
    if blob.is_empty() {
        return Err(RdbError::new(0, "empty zipmap"));
    }
    let mut out = Vec::new();
    loop {
        let Some(&first) = blob.get(pos) else {
            return Err(RdbError::new(pos, "zipmap without end marker"));
        };
        if first == END {
            if pos + 1 != blob.len() {
                return Err(RdbError::new(pos, "bytes after the zipmap end marker"));
            }
            return Ok(out);
        }
        let key_len = length(blob, &mut pos)?;
        let key = slice(blob, &mut pos, key_len)?;
        let value_len = length(blob, &mut pos)?;
        let free = usize::from(
            *blob
                .get(pos)
                .ok_or_else(|| RdbError::new(pos, "zipmap cut short"))?,
        );
        pos += 1;
        let value = slice(blob, &mut pos, value_len)?;
        slice(blob, &mut pos, free)?;
        out.push((key, value));
    }
}

fn length(blob: &[u8], pos: &mut usize) -> Result<usize, RdbError> {
    let first = *blob
        .get(*pos)
        .ok_or_else(|| RdbError::new(*pos, "zipmap cut short"))?;
    if first < BIGLEN {
        *pos += 1;
        return Ok(usize::from(first));
    }
    if first == END {
        return Err(RdbError::new(*pos, "zipmap end marker inside an entry"));
    }
    let b = blob
        .get(*pos + 1..*pos + 5)
        .ok_or_else(|| RdbError::new(*pos, "zipmap cut short"))?;
    *pos += 5;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn slice(blob: &[u8], pos: &mut usize, len: usize) -> Result<Vec<u8>, RdbError> {
    let bytes = pos
        .checked_add(len)
        .and_then(|end| blob.get(*pos..end))
        .ok_or_else(|| RdbError::new(*pos, "zipmap string cut short"))?
        .to_vec();
    *pos += len;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_a_small_zipmap() {
        let blob = [
            2, 3, b'f', b'o', b'o', 3, 0, b'b', b'a', b'r', 1, b'k', 1, 2, b'v', 0, 0, 0xff,
        ];
        assert_eq!(
            decode(&blob).unwrap(),
            vec![
                (b"foo".to_vec(), b"bar".to_vec()),
                (b"k".to_vec(), b"v".to_vec())
            ]
        );
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
