//! Sorted set values: `listpack` while small, `skiplist` once big.
//!
//! Both keep members ordered by (score, member bytes), as Redis does.
//! A small sorted set is one [`Packed`] buffer of member, score text,
//! member, score text..., the score written as Redis's `d2string` writes
//! it (shortest round-trip text), so it costs about what Redis's listpack
//! costs. A big one is a B-tree of (score, member) for order plus a
//! [`Slots`] table of member → score for lookups and ZSCAN. Redis's
//! skiplist also answers ranks in O(log n); here ranks walk the B-tree,
//! which is O(rank).

use super::packed::Packed;
use super::slots::Slots;
use super::small_bytes::SmallBytes;
use super::thresholds::Thresholds;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;

/// A score ordered as Redis compares scores (`<` on doubles; scores are
/// never NaN, and -0 equals 0).
#[derive(Debug, Clone, Copy)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Score) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// The big representation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SkipList {
    pub(super) order: BTreeSet<(Score, SmallBytes)>,
    pub(super) scores: Slots<(SmallBytes, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ZSetValue {
    Packed(Packed),
    /// Boxed so that a sorted set is two words inline.
    Skip(Box<SkipList>),
}

/// One end of a score range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// A score range (`zrangespec`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

impl ScoreRange {
    pub fn above_min(&self, score: f64) -> bool {
        if self.min.exclusive {
            score > self.min.value
        } else {
            score >= self.min.value
        }
    }

    pub fn below_max(&self, score: f64) -> bool {
        if self.max.exclusive {
            score < self.max.value
        } else {
            score <= self.max.value
        }
    }

    pub fn contains(&self, score: f64) -> bool {
        self.above_min(score) && self.below_max(score)
    }

    /// `zslIsInRange`'s emptiness test.
    pub fn is_empty(&self) -> bool {
        self.min.value > self.max.value
            || (self.min.value == self.max.value && (self.min.exclusive || self.max.exclusive))
    }
}

/// One end of a lexicographic range (`zlexrangespec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`
    Min,
    /// `+`
    Max,
    Inclusive(Box<[u8]>),
    Exclusive(Box<[u8]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn above_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(m) => member >= &m[..],
            LexBound::Exclusive(m) => member > &m[..],
        }
    }

    pub fn below_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(m) => member <= &m[..],
            LexBound::Exclusive(m) => member < &m[..],
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.above_min(member) && self.below_max(member)
    }

    /// `zslIsInLexRange`'s emptiness test.
    pub fn is_empty(&self) -> bool {
        let key = |b: &LexBound| -> (u8, Vec<u8>) {
            match b {
                LexBound::Min => (0, Vec::new()),
                LexBound::Max => (2, Vec::new()),
                LexBound::Inclusive(m) | LexBound::Exclusive(m) => (1, m.to_vec()),
            }
        };
        let (min, max) = (key(&self.min), key(&self.max));
        match min.cmp(&max) {
            Ordering::Greater => true,
            Ordering::Equal => {
                matches!(self.min, LexBound::Exclusive(_))
                    || matches!(self.max, LexBound::Exclusive(_))
                    || min.0 != 1
            }
            Ordering::Less => false,
        }
    }
}

/// A score's text as stored in a listpack (Redis's `d2string`).
pub fn score_text(score: f64) -> String {
    moat_resp::format_double(score)
}

/// A score as a listpack stores it: Redis stores integral scores as
/// integers (`double2ll`), which turns -0 into 0.
fn stored_score_text(score: f64) -> String {
    score_text(if score == 0.0 { 0.0 } else { score })
}

fn parse_stored(text: &[u8]) -> f64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0)
}

/// A ZADD-style update whose score would be NaN (`inf + -inf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanScore;

/// What a ZADD-style update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Updated,
    /// The member exists and kept its score (the same score, or NX/GT/LT).
    Unchanged,
    /// Skipped by a condition: nothing was done.
    Skipped,
}

/// ZADD's conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
}

impl Default for ZSetValue {
    fn default() -> ZSetValue {
        ZSetValue::Packed(Packed::new())
    }
}

impl ZSetValue {
    /// `zsetTypeCreate`: a listpack when `size_hint` members of up to
    /// `max_len` bytes fit it.
    pub fn create(size_hint: usize, max_len: usize, limits: &Thresholds) -> ZSetValue {
        if size_hint <= limits.zset_max_listpack_entries
            && max_len <= limits.zset_max_listpack_value
        {
            ZSetValue::Packed(Packed::new())
        } else {
            ZSetValue::Skip(Box::default())
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSetValue::Packed(_) => "listpack",
            ZSetValue::Skip(_) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSetValue::Packed(p) => p.len() / 2,
            ZSetValue::Skip(s) => s.scores.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `zsetTypeMaybeConvert`: straight to a skiplist when the incoming
    /// elements could not fit a listpack.
    pub fn expect(&mut self, size_hint: usize, max_len: usize, limits: &Thresholds) {
        if matches!(self, ZSetValue::Packed(_))
            && (size_hint > limits.zset_max_listpack_entries
                || max_len > limits.zset_max_listpack_value)
        {
            self.convert_to_skiplist();
        }
    }

    /// Becomes a skiplist whatever its size (also what SORT does to the
    /// sorted sets it reads, `zsetConvert(..., OBJ_ENCODING_SKIPLIST)`).
    pub fn convert_to_skiplist(&mut self) {
        if let ZSetValue::Packed(_) = self {
            let mut skip = SkipList {
                order: BTreeSet::new(),
                scores: Slots::with_capacity(self.len()),
            };
            for (member, score) in self.iter() {
                skip.order.insert((Score(score), member.into()));
                skip.scores.insert_new((member.into(), score));
            }
            *self = ZSetValue::Skip(Box::new(skip));
        }
    }

    /// `zsetConvertToListpackIfNeeded`, for the results of the STORE
    /// commands: back to a listpack when small enough.
    pub fn shrink_if_small(&mut self, limits: &Thresholds) {
        if let ZSetValue::Skip(s) = self {
            let max_len = s.scores.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if s.scores.len() <= limits.zset_max_listpack_entries
                && max_len <= limits.zset_max_listpack_value
            {
                let texts: Vec<(SmallBytes, String)> = s
                    .order
                    .iter()
                    .map(|(score, m)| (m.clone(), stored_score_text(score.0)))
                    .collect();
                let packed =
                    Packed::from_elements(texts.iter().flat_map(|(m, t)| [&m[..], t.as_bytes()]));
                *self = ZSetValue::Packed(packed);
            }
        }
    }

    /// Position (pair index) and score of `member` in a packed set.
    fn packed_find(p: &Packed, member: &[u8]) -> Option<(usize, f64)> {
        let mut it = p.iter();
        let mut index = 0;
        while let (Some(m), Some(s)) = (it.next(), it.next()) {
            if m == member {
                return Some((index, parse_stored(s)));
            }
            index += 1;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Packed(p) => Self::packed_find(p, member).map(|(_, s)| s),
            ZSetValue::Skip(s) => s.scores.get(member).map(|(_, score)| *score),
        }
    }

    /// Inserts a member known to be absent.
    fn insert_new(&mut self, member: &[u8], score: f64, limits: &Thresholds) {
        if let ZSetValue::Packed(p) = self {
            if p.len() / 2 + 1 > limits.zset_max_listpack_entries
                || member.len() > limits.zset_max_listpack_value
            {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSetValue::Packed(p) => {
                let key = (Score(score), member);
                let mut it = p.iter();
                let mut index = 0;
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    if (Score(parse_stored(s)), m) > key {
                        break;
                    }
                    index += 1;
                }
                let text = stored_score_text(score);
                p.insert(index * 2, &[member, text.as_bytes()]);
            }
            ZSetValue::Skip(s) => {
                s.order.insert((Score(score), member.into()));
                s.scores.insert_new((member.into(), score));
            }
        }
    }

    /// Removes `member`; its score when it was present.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Packed(p) => {
                let (index, score) = Self::packed_find(p, member)?;
                p.remove_range(index * 2, 2);
                Some(score)
            }
            ZSetValue::Skip(s) => {
                let (m, score) = s.scores.remove(member)?;
                s.order.remove(&(Score(score), m));
                Some(score)
            }
        }
    }

    /// `zsetAdd`: adds or updates `member` under ZADD's flags. `Err` when
    /// the resulting score would be NaN. Returns what happened and the
    /// member's score afterwards.
    pub fn add(
        &mut self,
        member: &[u8],
        score: f64,
        flags: AddFlags,
        limits: &Thresholds,
    ) -> Result<(Outcome, f64), NanScore> {
        if score.is_nan() {
            return Err(NanScore);
        }
        match self.score(member) {
            Some(current) => {
                if flags.nx {
                    return Ok((Outcome::Skipped, current));
                }
                let new = if flags.incr { score + current } else { score };
                if new.is_nan() {
                    return Err(NanScore);
                }
                if (flags.lt && new >= current) || (flags.gt && new <= current) {
                    return Ok((Outcome::Skipped, current));
                }
                if new == current {
                    return Ok((Outcome::Unchanged, new));
                }
                self.remove(member);
                self.insert_new(member, new, limits);
                Ok((Outcome::Updated, new))
            }
            None if flags.xx => Ok((Outcome::Skipped, score)),
            None => {
                self.insert_new(member, score, limits);
                Ok((Outcome::Added, score))
            }
        }
    }

    /// Every member and score in order.
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSetValue::Packed(p) => {
                let mut pairs = Vec::with_capacity(p.len() / 2);
                let mut it = p.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    pairs.push((m, parse_stored(s)));
                }
                Box::new(pairs.into_iter())
            }
            ZSetValue::Skip(s) => Box::new(s.order.iter().map(|(score, m)| (&m[..], score.0))),
        }
    }

    /// Members whose score is in `range`, ascending or (`reverse`)
    /// descending.
    pub fn score_range(
        &self,
        range: ScoreRange,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSetValue::Skip(s) => {
                let low = Bound::Included((Score(range.min.value), SmallBytes::EMPTY));
                let high = if range.max.value == f64::INFINITY {
                    Bound::Unbounded
                } else {
                    Bound::Excluded((Score(range.max.value.next_up()), SmallBytes::EMPTY))
                };
                if range.is_empty() {
                    return Box::new(std::iter::empty());
                }
                let inner = s
                    .order
                    .range((low, high))
                    .map(|(score, m)| (&m[..], score.0));
                if reverse {
                    Box::new(inner.rev().filter(move |(_, sc)| range.contains(*sc)))
                } else {
                    Box::new(inner.filter(move |(_, sc)| range.contains(*sc)))
                }
            }
            ZSetValue::Packed(_) => {
                let all = self.iter();
                if reverse {
                    Box::new(
                        all.rev()
                            .skip_while(move |(_, sc)| !range.below_max(*sc))
                            .take_while(move |(_, sc)| range.above_min(*sc)),
                    )
                } else {
                    Box::new(
                        all.skip_while(move |(_, sc)| !range.above_min(*sc))
                            .take_while(move |(_, sc)| range.below_max(*sc)),
                    )
                }
            }
        }
    }

    /// Members in `range` (which assumes equal scores), ascending or
    /// descending, walking as Redis's skiplist does: from the first
    /// member past the near end while members stay within the far end.
    pub fn lex_range<'a>(
        &'a self,
        range: &'a LexRange,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        // `zzlIsInLexRange`: empty unless the last member is past the
        // minimum and the first before the maximum (which matters when
        // scores differ and members are not in lexicographic order).
        let first = self.iter().next().map(|(m, _)| range.below_max(m));
        let last = self.iter().next_back().map(|(m, _)| range.above_min(m));
        if range.is_empty() || first != Some(true) || last != Some(true) {
            return Box::new(std::iter::empty());
        }
        if reverse {
            Box::new(
                self.iter()
                    .rev()
                    .skip_while(|(m, _)| !range.below_max(m))
                    .take_while(|(m, _)| range.above_min(m)),
            )
        } else {
            Box::new(
                self.iter()
                    .skip_while(|(m, _)| !range.above_min(m))
                    .take_while(|(m, _)| range.below_max(m)),
            )
        }
    }

    /// 0-based rank of `member` in ascending order (`reverse`: descending).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let key = (Score(score), member);
        let below = match self {
            ZSetValue::Skip(s) => s
                .order
                .range(..(Score(score), SmallBytes::new(member)))
                .count(),
            ZSetValue::Packed(_) => self
                .iter()
                .take_while(|(m, sc)| (Score(*sc), *m) < key)
                .count(),
        };
        Some(if reverse {
            (self.len() - 1 - below, score)
        } else {
            (below, score)
        })
    }

    /// One ZSCAN step: a listpack is returned whole with cursor 0.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSetValue::Packed(_) => {
                self.iter().for_each(|(m, s)| visit(m, s));
                0
            }
            ZSetValue::Skip(s) => s.scores.scan(cursor, count, |(m, score)| visit(m, *score)),
        }
    }

    /// A random member (ZRANDMEMBER).
    pub fn random(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], f64)> {
        match self {
            ZSetValue::Packed(_) => {
                let n = self.len();
                if n == 0 {
                    return None;
                }
                self.iter().nth(rng.gen_range(0..n))
            }
            ZSetValue::Skip(s) => s.scores.random(rng).map(|(m, score)| (&m[..], *score)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn both_encodings_agree_with_a_sorted_model(
            ops in proptest::collection::vec((any::<bool>(), 0u8..12, -3i8..4), 1..120)
        ) {
            let limits = Thresholds { zset_max_listpack_entries: 4, ..Thresholds::default() };
            let mut z = ZSetValue::default();
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            for (add, m, score) in ops {
                let member = vec![b'a' + m];
                let score = f64::from(score) / 2.0;
                if add {
                    z.add(&member, score, AddFlags::default(), &limits).unwrap();
                    model.retain(|(x, _)| *x != member);
                    model.push((member, score));
                } else {
                    let had = model.iter().position(|(x, _)| *x == member);
                    prop_assert_eq!(z.remove(&member).is_some(), had.is_some());
                    model.retain(|(x, _)| *x != member);
                }
                model.sort_by(|a, b| Score(a.1).cmp(&Score(b.1)).then(a.0.cmp(&b.0)));
                let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                prop_assert_eq!(&got, &model);
                for (rank, (m, s)) in model.iter().enumerate() {
                    prop_assert_eq!(z.rank(m, false), Some((rank, *s)));
                    prop_assert_eq!(z.rank(m, true), Some((model.len() - 1 - rank, *s)));
                }
                let range = ScoreRange {
                    min: ScoreBound { value: -0.5, exclusive: true },
                    max: ScoreBound { value: 1.0, exclusive: false },
                };
                let want: Vec<Vec<u8>> = model.iter().filter(|(_, s)| range.contains(*s)).map(|(m, _)| m.clone()).collect();
                let fwd: Vec<Vec<u8>> = z.score_range(range, false).map(|(m, _)| m.to_vec()).collect();
                prop_assert_eq!(&fwd, &want);
                let mut back: Vec<Vec<u8>> = z.score_range(range, true).map(|(m, _)| m.to_vec()).collect();
                back.reverse();
                prop_assert_eq!(&back, &want);
            }
        }
    }

    fn zset(pairs: &[(f64, &str)]) -> ZSetValue {
        let limits = Thresholds::default();
        let mut z = ZSetValue::default();
        for (score, m) in pairs {
            z.add(m.as_bytes(), *score, AddFlags::default(), &limits)
                .unwrap();
        }
        z
    }

    #[test]
    fn both_encodings_order_by_score_then_member() {
        let pairs = [(2.0, "b"), (1.0, "z"), (2.0, "a"), (-1.0, "m")];
        let small = zset(&pairs);
        let mut big = small.clone();
        big.convert_to_skiplist();
        for z in [&small, &big] {
            let order: Vec<_> = z.iter().map(|(m, _)| m.to_vec()).collect();
            assert_eq!(
                order,
                vec![b"m".to_vec(), b"z".to_vec(), b"a".to_vec(), b"b".to_vec()]
            );
            assert_eq!(z.rank(b"a", false), Some((2, 2.0)));
            assert_eq!(z.rank(b"a", true), Some((1, 2.0)));
            let range = ScoreRange {
                min: ScoreBound {
                    value: 1.0,
                    exclusive: true,
                },
                max: ScoreBound {
                    value: 2.0,
                    exclusive: false,
                },
            };
            let got: Vec<_> = z
                .score_range(range, true)
                .map(|(m, _)| m.to_vec())
                .collect();
            assert_eq!(got, vec![b"b".to_vec(), b"a".to_vec()]);
        }
    }

    #[test]
    fn add_flags() {
        let limits = Thresholds::default();
        let mut z = zset(&[(5.0, "a")]);
        let gt = AddFlags {
            gt: true,
            ..AddFlags::default()
        };
        assert_eq!(z.add(b"a", 3.0, gt, &limits), Ok((Outcome::Skipped, 5.0)));
        assert_eq!(z.add(b"a", 7.0, gt, &limits), Ok((Outcome::Updated, 7.0)));
        let incr = AddFlags {
            incr: true,
            ..AddFlags::default()
        };
        z.add(b"i", f64::INFINITY, AddFlags::default(), &limits)
            .unwrap();
        assert_eq!(z.add(b"i", f64::NEG_INFINITY, incr, &limits), Err(NanScore));
        assert_eq!(z.score(b"i"), Some(f64::INFINITY));
    }
}
