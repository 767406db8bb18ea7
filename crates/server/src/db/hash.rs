//! Hash values: `listpack` while small, `hashtable` once big.
//!
//! A small hash is one [`Packed`] buffer of field, value, field, value...
//! in insertion order (what Redis's listpack keeps, and what HGETALL
//! shows). It becomes a [`Slots`] table, for good, once it holds more than
//! `hash-max-listpack-entries` fields or any field or value longer than
//! `hash-max-listpack-value` bytes (`hashTypeTryConversion`).

use super::packed::Packed;
use super::slots::Slots;
use super::thresholds::Thresholds;

/// The longest field plus value a [`Pair`] keeps inline.
const PAIR_INLINE: usize = 29;

/// A field and its value in one element of 32 bytes: inline when they
/// fit together (most fields and values are short ids, names, numbers),
/// else one heap block holding the field's length (4 bytes,
/// little-endian), the field, the value. A short pair thus costs no heap
/// block at all, which keeps big hashes below Redis's cost per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pair {
    Inline {
        field_len: u8,
        len: u8,
        data: [u8; PAIR_INLINE],
    },
    Heap(Box<[u8]>),
}

impl Pair {
    /// The length of its heap block, if it has one (for MEMORY USAGE).
    pub(super) fn heap_len(&self) -> Option<usize> {
        match self {
            Pair::Inline { .. } => None,
            Pair::Heap(bytes) => Some(bytes.len()),
        }
    }

    fn new(field: &[u8], value: &[u8]) -> Pair {
        let len = field.len() + value.len();
        if len <= PAIR_INLINE {
            let mut data = [0; PAIR_INLINE];
            data[..field.len()].copy_from_slice(field);
            data[field.len()..len].copy_from_slice(value);
            return Pair::Inline {
                field_len: field.len() as u8,
                len: len as u8,
                data,
            };
        }
        let mut bytes = Vec::with_capacity(4 + len);
        bytes.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_le_bytes());
        bytes.extend_from_slice(field);
        bytes.extend_from_slice(value);
        Pair::Heap(bytes.into())
    }

    fn split(&self) -> (&[u8], &[u8]) {
        match self {
            Pair::Inline {
                field_len,
                len,
                data,
            } => {
                let bytes = &data[..usize::from(*len)];
                bytes.split_at(usize::from(*field_len).min(bytes.len()))
            }
            Pair::Heap(bytes) => {
                let len = match bytes.get(..4) {
                    Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
                    _ => 0,
                };
                let rest = bytes.get(4..).unwrap_or(&[]);
                rest.split_at(len.min(rest.len()))
            }
        }
    }

    fn value(&self) -> &[u8] {
        self.split().1
    }
}

impl super::slots::Keyed for Pair {
    fn key(&self) -> &[u8] {
        self.split().0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum HashValue {
    Packed(Packed),
    /// Boxed so that a hash is two words inline, like a listpack one.
    Table(Box<Slots<Pair>>),
}

impl Default for HashValue {
    fn default() -> HashValue {
        HashValue::Packed(Packed::new())
    }
}

impl HashValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Packed(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashValue::Packed(p) => p.len() / 2,
            HashValue::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of `field` among a packed hash's pairs.
    fn packed_position(p: &Packed, field: &[u8]) -> Option<usize> {
        p.iter().step_by(2).position(|f| f == field)
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Packed(p) => {
                let mut it = p.iter();
                while let (Some(f), Some(v)) = (it.next(), it.next()) {
                    if f == field {
                        return Some(v);
                    }
                }
                None
            }
            HashValue::Table(t) => t.get(field).map(Pair::value),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to a table when a field or value of these lengths could
    /// not be stored packed.
    pub fn prepare_for(&mut self, lengths: impl IntoIterator<Item = usize>, limits: &Thresholds) {
        if matches!(self, HashValue::Packed(_))
            && lengths
                .into_iter()
                .any(|len| len > limits.hash_max_listpack_value)
        {
            self.convert_to_table();
        }
    }

    fn convert_to_table(&mut self) {
        if let HashValue::Packed(p) = self {
            let mut table = Slots::with_capacity(p.len() / 2);
            let mut it = p.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                table.insert_new(Pair::new(f, v));
            }
            *self = HashValue::Table(Box::new(table));
        }
    }

    /// Sets `field` to `value`; true when the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: &Thresholds) -> bool {
        self.prepare_for([field.len(), value.len()], limits);
        let added = match self {
            HashValue::Packed(p) => match Self::packed_position(p, field) {
                Some(pair) => {
                    if let Some(span) = p.span_of(pair * 2 + 1) {
                        p.splice(span.start, span.end, 1, &[value]);
                    }
                    false
                }
                None => {
                    p.push(&[field, value]);
                    true
                }
            },
            HashValue::Table(t) => match t.get_mut(field) {
                Some(pair) => {
                    *pair = Pair::new(field, value);
                    false
                }
                None => {
                    t.insert_new(Pair::new(field, value));
                    true
                }
            },
        };
        if self.len() > limits.hash_max_listpack_entries {
            self.convert_to_table();
        }
        added
    }

    /// Deletes `field`; true when it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Packed(p) => match Self::packed_position(p, field) {
                Some(pair) => {
                    p.remove_range(pair * 2, 2);
                    true
                }
                None => false,
            },
            HashValue::Table(t) => t.remove(field).is_some(),
        }
    }

    /// Every field and value, in storage order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            HashValue::Packed(p) => {
                let mut it = p.iter();
                Box::new(std::iter::from_fn(move || Some((it.next()?, it.next()?))))
            }
            HashValue::Table(t) => Box::new(t.iter().map(Pair::split)),
        }
    }

    /// One HSCAN step: a packed hash is returned whole with cursor 0, as
    /// Redis does for listpacks.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            HashValue::Packed(_) => {
                self.iter().for_each(|(f, v)| visit(f, v));
                0
            }
            HashValue::Table(t) => t.scan(cursor, count, |pair| {
                let (f, v) = pair.split();
                visit(f, v)
            }),
        }
    }

    /// A random field and value (HRANDFIELD without count).
    pub fn random(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], &[u8])> {
        match self {
            HashValue::Packed(p) => {
                let n = p.len() / 2;
                if n == 0 {
                    return None;
                }
                self.iter().nth(rng.gen_range(0..n))
            }
            HashValue::Table(t) => t.random(rng).map(Pair::split),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_four_words_and_inline_when_short() {
        assert_eq!(std::mem::size_of::<Pair>(), 32);
        assert_eq!(std::mem::size_of::<Option<Pair>>(), 32);
        for (field, value) in [
            (&b""[..], &b""[..]),
            (b"field:123456", b"value:123456"),
            (&[b'f'; 29], b""),
            (b"", &[b'v'; 29]),
            (&[b'f'; 10], &[b'v'; 20]),
            (&[b'f'; 300], &[b'v'; 3]),
        ] {
            let pair = Pair::new(field, value);
            assert_eq!(pair.split(), (field, value));
            let inline = field.len() + value.len() <= PAIR_INLINE;
            assert_eq!(matches!(pair, Pair::Inline { .. }), inline);
        }
    }

    #[test]
    fn small_hashes_keep_insertion_order_and_convert_when_big() {
        let limits = Thresholds::default();
        let mut h = HashValue::default();
        assert!(h.insert(b"b", b"1", &limits));
        assert!(h.insert(b"a", b"2", &limits));
        assert!(!h.insert(b"b", b"3", &limits));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"b"[..], &b"3"[..]), (&b"a"[..], &b"2"[..])]);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"long", &[b'x'; 65], &limits);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"b"), Some(&b"3"[..]));
        let mut many = HashValue::default();
        for i in 0..512 {
            many.insert(i.to_string().as_bytes(), b"v", &limits);
        }
        assert_eq!(many.encoding(), "listpack");
        many.insert(b"one more", b"v", &limits);
        assert_eq!(many.encoding(), "hashtable");
        assert!(many.remove(b"5"));
        assert_eq!(many.len(), 512);
    }
}
