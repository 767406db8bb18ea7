//! Redis's `intset` encoding: a set of integers kept in ascending order.
//!
//! The elements live in a flagged [`Packed`] buffer as canonical decimal
//! text, so an intset and a listpack set share one two-word
//! representation (the flag tells them apart) and need one heap block.
//! Redis stores 2, 4 or 8 bytes per element; the text costs one byte
//! more than the digits, about the same for the small numbers intsets
//! usually hold. Operations walk the buffer, which
//! `set-max-intset-entries` keeps short.

use super::packed::Packed;
use super::value::canonical_i64;

/// Read access to an intset.
#[derive(Clone, Copy)]
pub struct Ints<'a>(pub &'a Packed);

/// Write access to an intset.
pub struct IntsMut<'a>(pub &'a mut Packed);

fn value(text: &[u8]) -> i64 {
    canonical_i64(text).unwrap_or(0)
}

impl<'a> Ints<'a> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, index: usize) -> Option<i64> {
        self.0.get(index).map(value)
    }

    pub fn contains(&self, x: i64) -> bool {
        self.iter().take_while(|&v| v <= x).any(|v| v == x)
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + 'a {
        self.0.iter().map(value)
    }
}

impl IntsMut<'_> {
    fn read(&self) -> Ints<'_> {
        Ints(self.0)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn get(&self, index: usize) -> Option<i64> {
        self.read().get(index)
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().map(value)
    }

    /// Adds `x` in order; true when new.
    pub fn insert(&mut self, x: i64) -> bool {
        let mut at = 0;
        for v in self.read().iter() {
            if v == x {
                return false;
            }
            if v > x {
                break;
            }
            at += 1;
        }
        self.0.insert(at, &[x.to_string().as_bytes()]);
        true
    }

    /// Removes `x`; true when it was present.
    pub fn remove(&mut self, x: i64) -> bool {
        let found = self.read().iter().position(|v| v == x);
        match found {
            Some(at) => {
                self.0.remove_range(at, 1);
                true
            }
            None => false,
        }
    }

    /// Removes the element at `index`.
    pub fn remove_at(&mut self, index: usize) -> Option<i64> {
        let x = self.get(index)?;
        self.0.remove_range(index, 1);
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_sorted() {
        let mut p = Packed::flagged();
        let mut s = IntsMut(&mut p);
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert!(s.insert(100_000));
        assert!(s.insert(i64::MIN));
        assert!(s.remove(-3));
        assert!(!s.remove(-3));
        let read = Ints(&p);
        assert_eq!(read.iter().collect::<Vec<_>>(), vec![i64::MIN, 5, 100_000]);
        assert!(read.contains(100_000));
        assert!(!read.contains(6));
    }
}
