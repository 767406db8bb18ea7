//! The byte sizes of Redis's listpack encoding, for the stream node model.
//!
//! Redis stores stream entries in listpacks of bounded size
//! (`stream-node-max-bytes`) and count (`stream-node-max-entries`), and
//! approximate trimming (`MAXLEN ~`, `MINID ~`) only drops whole nodes.
//! To trim exactly where Redis trims, moat must open a new node exactly
//! where Redis does, which needs the listpack's size, computed here from
//! the encoding rules of `listpack.c` without building the bytes.

/// Header (total bytes, element count) plus the end marker.
pub const EMPTY_SIZE: usize = 6 + 1;

/// Bytes of the back-length that follows an element's encoding.
fn backlen_size(encoded: usize) -> usize {
    match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Bytes of an integer element, back-length included.
pub fn int_size(n: i64) -> usize {
    let encoded = match n {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    encoded + backlen_size(encoded)
}

/// Bytes of a string element: listpack stores integer-looking strings as
/// integers (`lpStringToInt64`).
pub fn str_size(s: &[u8]) -> usize {
    if let Some(n) = crate::db::canonical_i64(s) {
        return int_size(n);
    }
    let encoded = match s.len() {
        0..=63 => 1 + s.len(),
        64..=4095 => 2 + s.len(),
        _ => 5 + s.len(),
    };
    encoded + backlen_size(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_listpack_encodings() {
        assert_eq!(int_size(0), 2);
        assert_eq!(int_size(127), 2);
        assert_eq!(int_size(128), 3);
        assert_eq!(int_size(-1), 3);
        assert_eq!(int_size(40000), 5);
        assert_eq!(int_size(i64::MAX), 10);
        assert_eq!(str_size(b"abc"), 5);
        assert_eq!(str_size(b"12"), 2);
        assert_eq!(str_size(&[b'a'; 64]), 67);
        assert_eq!(str_size(&[b'a'; 200]), 204);
    }
}
