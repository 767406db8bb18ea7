//! [`Packed`]: a sequence of byte strings in one exact-size buffer, moat's
//! stand-in for Redis's listpack.
//!
//! Small hashes, sets, sorted sets and lists are stored this way, as
//! Redis stores them, because a per-element heap block would cost more
//! than the elements themselves. Each element is a LEB128 length followed
//! by its bytes; the buffer is reallocated to its exact size after every
//! edit (as `lpInsert` does), so an element costs its length plus one or
//! two bytes. Every operation is a linear walk, which is what the size
//! thresholds that keep these containers small are for.

/// Byte strings packed back to back. A non-empty buffer starts with the
/// element count (4 bytes, little-endian), so the whole value is one
/// 16-byte pointer inline and one exact-size heap block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packed {
    pub(super) buf: Box<[u8]>,
}

/// Size of the element count at the start of a non-empty buffer.
const HEADER: usize = 4;

/// The count's top bit marks a "flagged" sequence, which keeps its header
/// even when empty: sets use it to tell an intset from a listpack
/// without a word of their own.
const FLAG: u32 = 1 << 31;

/// Where one element sits in the buffer: its header starts at `start`,
/// the next element at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

fn header_len(len: usize) -> usize {
    let mut n = 1;
    let mut rest = len >> 7;
    while rest != 0 {
        n += 1;
        rest >>= 7;
    }
    n
}

fn write_element(out: &mut Vec<u8>, element: &[u8]) {
    let mut len = element.len();
    loop {
        let low = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(low);
            break;
        }
        out.push(low | 0x80);
    }
    out.extend_from_slice(element);
}

/// Reads the element at `pos`: its bytes and the next position.
fn read_element(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut at = pos;
    while let Some(&byte) = buf.get(at) {
        at += 1;
        len |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let end = (at + len).min(buf.len());
    (&buf[at..end], end)
}

impl Packed {
    pub fn new() -> Packed {
        Packed::default()
    }

    /// The elements' bytes, after the count.
    fn body(&self) -> &[u8] {
        self.buf.get(HEADER..).unwrap_or(&[])
    }

    fn header(&self) -> u32 {
        match self.buf.get(..HEADER) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// An empty flagged sequence.
    pub fn flagged() -> Packed {
        Packed {
            buf: FLAG.to_le_bytes().into(),
        }
    }

    pub fn is_flagged(&self) -> bool {
        self.header() & FLAG != 0
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        (self.header() & !FLAG) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the elements in bytes (list nodes are bounded by it).
    pub fn byte_len(&self) -> usize {
        self.body().len()
    }

    /// The elements in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: self.body(),
            pos: 0,
        }
    }

    /// The elements in order with their positions.
    pub fn spans(&self) -> impl Iterator<Item = (Span, &[u8])> + '_ {
        let body = self.body();
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= body.len() {
                return None;
            }
            let start = pos;
            let (element, end) = read_element(body, pos);
            pos = end;
            Some((Span { start, end }, element))
        })
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    /// The span of the element at `index`; `index == len` gives the empty
    /// span at the end (where a push would go).
    pub fn span_of(&self, index: usize) -> Option<Span> {
        if index == self.len() {
            let end = self.byte_len();
            return Some(Span { start: end, end });
        }
        self.spans().nth(index).map(|(span, _)| span)
    }

    /// Replaces the bytes from `start` to `end` of the elements (which
    /// hold `removed` whole elements) with `elements`.
    pub fn splice(&mut self, start: usize, end: usize, removed: usize, elements: &[&[u8]]) {
        let count = (self.len() + elements.len()).saturating_sub(removed);
        let flag = self.header() & FLAG;
        let body = self.body();
        if count == 0 && flag == 0 {
            self.buf = Box::default();
            return;
        }
        let added: usize = elements.iter().map(|e| header_len(e.len()) + e.len()).sum();
        let mut out = Vec::with_capacity(HEADER + body.len() - (end - start) + added);
        let count = u32::try_from(count).unwrap_or(FLAG - 1).min(FLAG - 1);
        out.extend_from_slice(&(count | flag).to_le_bytes());
        out.extend_from_slice(&body[..start]);
        for element in elements {
            write_element(&mut out, element);
        }
        out.extend_from_slice(&body[end..]);
        self.buf = out.into_boxed_slice();
    }

    /// Appends elements at the end.
    pub fn push(&mut self, elements: &[&[u8]]) {
        let end = self.byte_len();
        self.splice(end, end, 0, elements);
    }

    /// Inserts elements before the element at `index` (or at the end).
    pub fn insert(&mut self, index: usize, elements: &[&[u8]]) {
        if let Some(span) = self.span_of(index) {
            self.splice(span.start, span.start, 0, elements);
        }
    }

    /// Removes `n` elements starting at `index`.
    pub fn remove_range(&mut self, index: usize, n: usize) {
        let n = n.min(self.len().saturating_sub(index));
        if n == 0 {
            return;
        }
        let (Some(first), Some(after)) = (self.span_of(index), self.span_of(index + n)) else {
            return;
        };
        self.splice(first.start, after.start, n, &[]);
    }

    /// Builds a packed sequence from elements.
    pub fn from_elements<'e>(elements: impl IntoIterator<Item = &'e [u8]>) -> Packed {
        let mut out = vec![0; HEADER];
        let mut count = 0usize;
        for element in elements {
            write_element(&mut out, element);
            count += 1;
        }
        if count == 0 {
            return Packed::default();
        }
        let count = u32::try_from(count).unwrap_or(FLAG - 1).min(FLAG - 1);
        out[..HEADER].copy_from_slice(&count.to_le_bytes());
        Packed {
            buf: out.into_boxed_slice(),
        }
    }
}

/// Iterator over a [`Packed`]'s elements.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (element, end) = read_element(self.buf, self.pos);
        self.pos = end;
        Some(element)
    }
}

/// The bytes Redis's listpack spends on `element` (encoding header, data
/// and back-length), so that size thresholds measured in listpack bytes
/// (`list-max-listpack-size`) trigger where Redis's do.
pub fn listpack_entry_size(element: &[u8]) -> usize {
    let body = match crate::db::canonical_i64(element) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if element.len() < 64 => 1 + element.len(),
        None if element.len() < 4096 => 2 + element.len(),
        None => 5 + element.len(),
    };
    let backlen = match body {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2097151 => 3,
        2097152..=268435455 => 4,
        _ => 5,
    };
    body + backlen
}

/// A listpack's header and terminator.
pub const LISTPACK_OVERHEAD: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edits_keep_order_and_count() {
        let mut p = Packed::new();
        p.push(&[b"a", b"bb"]);
        p.insert(1, &[b"x"]);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"x", b"bb"]);
        p.remove_range(0, 2);
        assert_eq!(p.len(), 1);
        assert_eq!(p.get(0), Some(&b"bb"[..]));
        p.remove_range(0, 5);
        assert!(p.is_empty());
        assert_eq!(p.byte_len(), 0);
        let mut f = Packed::flagged();
        f.push(&[b"1"]);
        f.remove_range(0, 1);
        assert!(f.is_flagged() && f.is_empty());
    }

    proptest! {
        #[test]
        fn elements_round_trip(elements: Vec<Vec<u8>>) {
            let p = Packed::from_elements(elements.iter().map(Vec::as_slice));
            prop_assert_eq!(p.len(), elements.len());
            let back: Vec<Vec<u8>> = p.iter().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(back, elements);
        }
    }
}
