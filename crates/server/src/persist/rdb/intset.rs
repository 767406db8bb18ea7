//! Decoding Redis's intset (`intset.c`): a width (2, 4 or 8 bytes), a
//! count, and that many sorted little-endian integers.

use super::error::RdbError;

pub fn decode(blob: &[u8]) -> Result<Vec<i64>, RdbError> {
    if blob.len() < 8 {
        return Err(RdbError::new(0, "intset shorter than its header"));
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if ![2, 4, 8].contains(&width) {
        return Err(RdbError::new(0, format!("invalid intset width {width}")));
    }
    if count.checked_mul(width) != Some(blob.len() - 8) {
        return Err(RdbError::new(
            4,
            format!(
                "intset of {count} integers does not fit its {} bytes",
                blob.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(count);
    for chunk in blob[8..].chunks_exact(width) {
        let n = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                i64::from_le_bytes(b)
            }
        };
        if out.last().is_some_and(|&last| last >= n) {
            return Err(RdbError::new(8, "intset integers not strictly increasing"));
        }
        out.push(n);
    }
    Ok(out)
}

/// An intset of strictly increasing `values`, in the narrowest width.
pub fn encode(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for &v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips(mut values in proptest::collection::vec(any::<i64>(), 0..50)) {
            values.sort_unstable();
            values.dedup();
            prop_assert_eq!(decode(&encode(&values)).unwrap(), values);
        }

        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
