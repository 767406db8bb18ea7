//! [`IntSet`]: a sorted array of integers in the narrowest width that
//! holds them all, as Redis's intset (2, 4 or 8 bytes per element).
//! Note the width is kept on removals, like Redis, which never
//! downgrades an intset.

/// One exact-size buffer: the element width in bytes (2, 4 or 8), then
/// the elements in ascending order, little-endian. Empty sets hold no
/// buffer at all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntSet {
    buf: Box<[u8]>,
}

/// The narrowest width that holds `x`.
fn width_for(x: i64) -> usize {
    if i16::try_from(x).is_ok() {
        2
    } else if i32::try_from(x).is_ok() {
        4
    } else {
        8
    }
}

fn read(bytes: &[u8]) -> i64 {
    match *bytes {
        [a, b] => i64::from(i16::from_le_bytes([a, b])),
        [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
        [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

fn write(out: &mut Vec<u8>, x: i64, width: usize) {
    out.extend_from_slice(&x.to_le_bytes()[..width]);
}

impl IntSet {
    fn width(&self) -> usize {
        self.buf.first().map_or(2, |&w| usize::from(w))
    }

    pub fn len(&self) -> usize {
        self.buf.len().saturating_sub(1) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<i64> {
        let width = self.width();
        let start = 1 + index * width;
        self.buf.get(start..start + width).map(read)
    }

    /// Where `x` is, or where it would go.
    fn search(&self, x: i64) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.get(mid).unwrap_or(0).cmp(&x) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    pub fn contains(&self, x: i64) -> bool {
        self.search(x).is_ok()
    }

    /// Rebuilds the buffer from elements at `width`.
    fn rebuild(elements: impl Iterator<Item = i64>, width: usize) -> IntSet {
        let mut out = vec![width as u8];
        for x in elements {
            write(&mut out, x, width);
        }
        if out.len() == 1 {
            return IntSet::default();
        }
        IntSet {
            buf: out.into_boxed_slice(),
        }
    }

    /// Adds `x`, widening the array when it does not fit; true when new.
    pub fn insert(&mut self, x: i64) -> bool {
        let Err(pos) = self.search(x) else {
            return false;
        };
        let width = self.width().max(width_for(x));
        let (before, after): (Vec<i64>, Vec<i64>) = {
            let all: Vec<i64> = self.iter().collect();
            (all[..pos].to_vec(), all[pos..].to_vec())
        };
        *self = IntSet::rebuild(before.into_iter().chain([x]).chain(after), width);
        true
    }

    /// Removes `x`; true when it was present. The width never shrinks,
    /// as in Redis.
    pub fn remove(&mut self, x: i64) -> bool {
        let Ok(pos) = self.search(x) else {
            return false;
        };
        let width = self.width();
        let start = 1 + pos * width;
        let mut out = self.buf.to_vec();
        out.drain(start..start + width);
        self.buf = if out.len() == 1 {
            Box::default()
        } else {
            out.into_boxed_slice()
        };
        true
    }

    /// Removes the element at `index`.
    pub fn remove_at(&mut self, index: usize) -> Option<i64> {
        let x = self.get(index)?;
        self.remove(x);
        Some(x)
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_and_stays_sorted() {
        let mut s = IntSet::default();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert!(s.insert(100_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 100_000]);
        assert!(s.remove(-3));
        assert!(!s.contains(-3));
        assert!(s.contains(100_000));
    }
}
