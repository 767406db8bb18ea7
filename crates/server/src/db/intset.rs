//! [`IntSet`]: a sorted array of integers in the narrowest width that
//! holds them all, as Redis's intset (2, 4 or 8 bytes per element).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntSet {
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> IntSet {
        IntSet::I16(Vec::new())
    }
}

fn add<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(_) => false,
        Err(pos) => {
            v.insert(pos, x);
            v.shrink_to_fit();
            true
        }
    }
}

fn del<T: Ord + Copy>(v: &mut Vec<T>, x: T) -> bool {
    match v.binary_search(&x) {
        Ok(pos) => {
            v.remove(pos);
            v.shrink_to_fit();
            true
        }
        Err(_) => false,
    }
}

impl IntSet {
    pub fn len(&self) -> usize {
        match self {
            IntSet::I16(v) => v.len(),
            IntSet::I32(v) => v.len(),
            IntSet::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: usize) -> Option<i64> {
        match self {
            IntSet::I16(v) => v.get(index).map(|&x| i64::from(x)),
            IntSet::I32(v) => v.get(index).map(|&x| i64::from(x)),
            IntSet::I64(v) => v.get(index).copied(),
        }
    }

    pub fn contains(&self, x: i64) -> bool {
        match self {
            IntSet::I16(v) => i16::try_from(x).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::I32(v) => i32::try_from(x).is_ok_and(|x| v.binary_search(&x).is_ok()),
            IntSet::I64(v) => v.binary_search(&x).is_ok(),
        }
    }

    /// Adds `x`, widening the array when it does not fit; true when new.
    pub fn insert(&mut self, x: i64) -> bool {
        let needs_upgrade = match self {
            IntSet::I16(_) => i16::try_from(x).is_err(),
            IntSet::I32(_) => i32::try_from(x).is_err(),
            IntSet::I64(_) => false,
        };
        if needs_upgrade {
            let all: Vec<i64> = self.iter().collect();
            *self = if i32::try_from(x).is_ok() {
                IntSet::I32(all.iter().map(|&v| v as i32).collect())
            } else {
                IntSet::I64(all)
            };
        }
        match self {
            IntSet::I16(v) => add(v, x as i16),
            IntSet::I32(v) => add(v, x as i32),
            IntSet::I64(v) => add(v, x),
        }
    }

    /// Removes `x`; true when it was present. The width never shrinks,
    /// as in Redis.
    pub fn remove(&mut self, x: i64) -> bool {
        match self {
            IntSet::I16(v) => i16::try_from(x).is_ok_and(|x| del(v, x)),
            IntSet::I32(v) => i32::try_from(x).is_ok_and(|x| del(v, x)),
            IntSet::I64(v) => del(v, x),
        }
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
        assert!(matches!(s, IntSet::I32(_)));
        assert!(s.insert(i64::MIN));
        assert!(matches!(s, IntSet::I64(_)));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 100_000]);
        assert!(s.remove(-3));
        assert!(!s.contains(-3));
        assert!(s.contains(100_000));
    }
}
