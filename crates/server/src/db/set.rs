//! Set values in Redis 7.2's three encodings: `intset` (sorted integers),
//! `listpack` (small sets, insertion order) and `hashtable`.
//!
//! The transitions follow `t_set.c`: a set starts as an intset when its
//! first member is an integer and the expected size fits
//! `set-max-intset-entries`, else as a listpack when the expected size
//! fits `set-max-listpack-entries`; an intset that meets a non-integer
//! becomes a listpack if it stays within the listpack limits, and
//! anything too big becomes a hashtable, never to shrink back.

use super::intset::{Ints, IntsMut};
use super::packed::Packed;
use super::slots::Slots;
use super::small_bytes::SmallBytes;
use super::thresholds::Thresholds;
use super::value::canonical_i64;
use std::borrow::Cow;

/// A set, two words inline like every value: intsets and listpacks are
/// both a [`Packed`] buffer (flagged for an intset), a hashtable is
/// boxed.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Compact(Packed),
    Table(Box<Slots<SmallBytes>>),
}

enum View<'a> {
    Ints(Ints<'a>),
    Packed(&'a Packed),
    Table(&'a Slots<SmallBytes>),
}

enum ViewMut<'a> {
    Ints(IntsMut<'a>),
    Packed(&'a mut Packed),
    Table(&'a mut Slots<SmallBytes>),
}

/// Redis's `sdigits10`: the length of an integer's decimal text.
fn digits(n: i64) -> usize {
    n.to_string().len()
}

fn int_text<'a>(n: i64) -> Cow<'a, [u8]> {
    Cow::Owned(n.to_string().into_bytes())
}

impl SetValue {
    fn ints() -> SetValue {
        SetValue::Compact(Packed::flagged())
    }

    fn packed(p: Packed) -> SetValue {
        SetValue::Compact(p)
    }

    fn table(table: Slots<SmallBytes>) -> SetValue {
        SetValue::Table(Box::new(table))
    }

    fn view(&self) -> View<'_> {
        match self {
            SetValue::Compact(p) if p.is_flagged() => View::Ints(Ints(p)),
            SetValue::Compact(p) => View::Packed(p),
            SetValue::Table(t) => View::Table(t),
        }
    }

    fn view_mut(&mut self) -> ViewMut<'_> {
        match self {
            SetValue::Compact(p) => {
                if p.is_flagged() {
                    ViewMut::Ints(IntsMut(p))
                } else {
                    ViewMut::Packed(p)
                }
            }
            SetValue::Table(t) => ViewMut::Table(t),
        }
    }

    /// The empty set SPOP rebuilds when it keeps only `remaining`
    /// members: compact encodings stay, a hashtable is recreated as
    /// `setTypeCreate(NULL, remaining)` would (so it may become a
    /// listpack).
    pub fn rebuilt_for(&self, remaining: usize, limits: &Thresholds) -> SetValue {
        match self.view() {
            View::Packed(_) => SetValue::packed(Packed::new()),
            View::Ints(_) => SetValue::ints(),
            View::Table(_) => SetValue::create(None, remaining, limits),
        }
    }

    /// `setTypeCreate`: the encoding for a new set whose first member is
    /// `first` (`None` when unknown) and which will get about
    /// `size_hint` members.
    pub fn create(first: Option<&[u8]>, size_hint: usize, limits: &Thresholds) -> SetValue {
        if first.is_some_and(|m| canonical_i64(m).is_some())
            && size_hint <= limits.set_max_intset_entries
        {
            SetValue::ints()
        } else if size_hint <= limits.set_max_listpack_entries {
            SetValue::packed(Packed::new())
        } else {
            SetValue::table(Slots::with_capacity(size_hint))
        }
    }

    /// An empty intset (`createIntsetObject`).
    pub fn new_intset() -> SetValue {
        SetValue::ints()
    }

    /// An empty hashtable sized for `capacity` members (`createSetObject`).
    pub fn new_table(capacity: usize) -> SetValue {
        SetValue::table(Slots::with_capacity(capacity))
    }

    /// A listpack holding `members` in their order, whatever they are (an
    /// RDB listpack payload); `None` if a member repeats.
    pub fn listpack_of(members: &[Vec<u8>]) -> Option<SetValue> {
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        if !members.iter().all(|m| seen.insert(m.as_slice())) {
            return None;
        }
        Some(SetValue::packed(Packed::from_elements(
            members.iter().map(Vec::as_slice),
        )))
    }

    /// The same members in a hashtable (`setTypeConvert` to HT).
    pub fn into_table(mut self) -> SetValue {
        if !matches!(self, SetValue::Table(_)) {
            let len = self.len();
            self.convert_to_table(len);
        }
        self
    }

    /// A set holding `members`, created and filled as SINTERSTORE,
    /// SUNIONSTORE and SDIFFSTORE do (starting from an intset).
    pub fn collect<'m>(
        members: impl IntoIterator<Item = &'m [u8]>,
        limits: &Thresholds,
    ) -> SetValue {
        let mut set = SetValue::ints();
        for member in members {
            set.add(member, limits);
        }
        set
    }

    pub fn encoding(&self) -> &'static str {
        match self.view() {
            View::Ints(_) => "intset",
            View::Packed(_) => "listpack",
            View::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self.view() {
            View::Ints(s) => s.len(),
            View::Packed(p) => p.len(),
            View::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self.view() {
            View::Ints(s) => canonical_i64(member).is_some_and(|n| s.contains(n)),
            View::Packed(p) => p.iter().any(|m| m == member),
            View::Table(t) => t.contains(member),
        }
    }

    /// `setTypeMaybeConvert`: goes straight to a hashtable when `size_hint`
    /// more members could not fit the compact encoding anyway.
    pub fn expect(&mut self, size_hint: usize, limits: &Thresholds) {
        let too_big = match self.view_mut() {
            ViewMut::Ints(_) => size_hint > limits.set_max_intset_entries,
            ViewMut::Packed(_) => size_hint > limits.set_max_listpack_entries,
            ViewMut::Table(_) => false,
        };
        if too_big {
            self.convert_to_table(size_hint);
        }
    }

    fn convert_to_table(&mut self, capacity: usize) {
        let mut table = Slots::with_capacity(capacity.max(self.len()));
        for member in self.iter() {
            table.insert_new(SmallBytes::new(&member));
        }
        *self = SetValue::table(table);
    }

    /// Adds `member`; true when it is new (`setTypeAddAux`).
    pub fn add(&mut self, member: &[u8], limits: &Thresholds) -> bool {
        match self.view_mut() {
            ViewMut::Ints(mut s) => {
                if let Some(n) = canonical_i64(member) {
                    let added = s.insert(n);
                    if added && s.len() > limits.set_max_intset_entries.min(1 << 30) {
                        self.convert_to_table(0);
                    }
                    return added;
                }
                let n = s.len();
                let widest = match (s.get(0), n.checked_sub(1).and_then(|last| s.get(last))) {
                    (Some(min), Some(max)) => digits(min).max(digits(max)),
                    _ => 0,
                };
                if n < limits.set_max_listpack_entries
                    && member.len() <= limits.set_max_listpack_value
                    && widest <= limits.set_max_listpack_value
                {
                    let texts: Vec<Vec<u8>> =
                        s.iter().map(|x| x.to_string().into_bytes()).collect();
                    let mut packed = Packed::from_elements(texts.iter().map(Vec::as_slice));
                    packed.push(&[member]);
                    *self = SetValue::packed(packed);
                } else {
                    self.convert_to_table(n + 1);
                    if let ViewMut::Table(t) = self.view_mut() {
                        t.insert_new(member.into());
                    }
                }
                true
            }
            ViewMut::Packed(p) => {
                if p.iter().any(|m| m == member) {
                    return false;
                }
                if p.len() < limits.set_max_listpack_entries
                    && member.len() <= limits.set_max_listpack_value
                {
                    p.push(&[member]);
                } else {
                    let n = p.len();
                    self.convert_to_table(n + 1);
                    if let ViewMut::Table(t) = self.view_mut() {
                        t.insert_new(member.into());
                    }
                }
                true
            }
            ViewMut::Table(t) => {
                if t.contains(member) {
                    return false;
                }
                t.insert_new(member.into());
                true
            }
        }
    }

    /// Removes `member`; true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.view_mut() {
            ViewMut::Ints(mut s) => canonical_i64(member).is_some_and(|n| s.remove(n)),
            ViewMut::Packed(p) => match p.iter().position(|m| m == member) {
                Some(i) => {
                    p.remove_range(i, 1);
                    true
                }
                None => false,
            },
            ViewMut::Table(t) => t.remove(member).is_some(),
        }
    }

    /// The members in storage order (ascending for intsets).
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
        match self.view() {
            View::Ints(s) => Box::new(s.iter().map(int_text)),
            View::Packed(p) => Box::new(p.iter().map(Cow::Borrowed)),
            View::Table(t) => Box::new(t.iter().map(|m| Cow::Borrowed(&m[..]))),
        }
    }

    /// A random member.
    pub fn random(&self, rng: &mut impl rand::Rng) -> Option<Cow<'_, [u8]>> {
        if self.is_empty() {
            return None;
        }
        match self.view() {
            View::Ints(s) => s.get(rng.gen_range(0..s.len())).map(int_text),
            View::Packed(p) => p.get(rng.gen_range(0..p.len())).map(Cow::Borrowed),
            View::Table(t) => t.random(rng).map(|m| Cow::Borrowed(&m[..])),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, rng: &mut impl rand::Rng) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        match self.view_mut() {
            ViewMut::Ints(mut s) => {
                let i = rng.gen_range(0..s.len());
                s.remove_at(i).map(|n| n.to_string().into_bytes())
            }
            ViewMut::Packed(p) => {
                let i = rng.gen_range(0..p.len());
                let member = p.get(i)?.to_vec();
                p.remove_range(i, 1);
                Some(member)
            }
            ViewMut::Table(t) => t.pop_random(rng).map(|m| m.to_vec()),
        }
    }

    /// One SSCAN step: compact sets are returned whole with cursor 0.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8])) -> u64 {
        match self.view() {
            View::Table(t) => t.scan(cursor, count, |m| visit(m)),
            _ => {
                self.iter().for_each(|m| visit(&m));
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(members: &[&str]) -> SetValue {
        let limits = Thresholds::default();
        let mut set = SetValue::create(
            members.first().map(|m| m.as_bytes()),
            members.len(),
            &limits,
        );
        for m in members {
            set.add(m.as_bytes(), &limits);
        }
        set
    }

    #[test]
    fn encodings_follow_redis_7_2() {
        assert_eq!(set_of(&["1", "2"]).encoding(), "intset");
        assert_eq!(set_of(&["a", "1"]).encoding(), "listpack");
        assert_eq!(set_of(&["1", "a"]).encoding(), "listpack");
        let long = "x".repeat(65);
        assert_eq!(set_of(&["1", &long]).encoding(), "hashtable");
        let many: Vec<String> = (0..513).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(set_of(&many[..512]).encoding(), "intset");
        assert_eq!(set_of(&many).encoding(), "hashtable");
        let words: Vec<String> = (0..129).map(|i| format!("w{i}")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(set_of(&words[..128]).encoding(), "listpack");
        assert_eq!(set_of(&words).encoding(), "hashtable");
    }

    #[test]
    fn members_compare_as_text() {
        let set = set_of(&["1", "2"]);
        assert!(set.contains(b"1"));
        assert!(!set.contains(b"01"));
        let mut set = set_of(&["a", "b"]);
        assert!(set.remove(b"a"));
        assert!(!set.remove(b"a"));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![Cow::Borrowed(&b"b"[..])]
        );
    }
}
