//! [`SmallBytes`]: a byte string kept inline when short.
//!
//! Big sets and sorted sets hold one of these per element, and every key
//! holds its name in one. Most members and names are short (ids, names,
//! numbers), and a heap block for each would cost more than the bytes
//! themselves (a 32-byte chunk for a 10-byte member with the system
//! allocator), so strings of up to [`INLINE`] bytes live in the 24 bytes
//! the value takes anyway.

use std::cmp::Ordering;
use std::ops::Deref;

/// The longest string kept inline.
pub const INLINE: usize = 22;

#[derive(Clone)]
pub enum SmallBytes {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl SmallBytes {
    pub fn new(bytes: &[u8]) -> SmallBytes {
        if bytes.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            SmallBytes::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }
}

impl Deref for SmallBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, data } => &data[..usize::from(*len)],
            SmallBytes::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(bytes: &[u8]) -> SmallBytes {
        SmallBytes::new(bytes)
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        **self == **other
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &SmallBytes) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &SmallBytes) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl std::fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_inline_and_all_compare_as_bytes() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
        let short = SmallBytes::new(b"member:1");
        assert!(matches!(short, SmallBytes::Inline { .. }));
        let long = SmallBytes::new(&[b'x'; 23]);
        assert!(matches!(long, SmallBytes::Heap(_)));
        assert_eq!(&*short, b"member:1");
        assert!(SmallBytes::new(b"") < short);
        assert!(SmallBytes::new(b"a") < SmallBytes::new(&[b'a'; 30]));
    }
}
