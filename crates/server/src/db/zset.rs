//! Sorted set values: `listpack` while small, `skiplist` once big.
//!
//! Both keep members ordered by (score, member bytes), as Redis does.
//! A small sorted set is one [`Packed`] buffer of member, score text,
//! member, score text..., the score written as Redis's `d2string` writes
//! it (shortest round-trip text), so it costs about what Redis's listpack
//! costs. A big one ([`SkipList`]) holds each member and its score once,
//! in a [`Slots`] table (lookups by member, ZSCAN's stable cursor,
//! random members), and keeps the order in a [`RankTree`] of slot
//! numbers, which finds a rank, the member at a rank and the ends of a
//! score or lex range in O(log n), as Redis's skiplist does.

use super::packed::Packed;
use super::rank_tree::{Ids, RankTree};
use super::slots::Slots;
use super::small_bytes::SmallBytes;
use super::thresholds::Thresholds;
use std::cmp::Ordering;

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

/// The big representation: members once, order by slot number.
#[derive(Debug, Clone, Default)]
pub struct SkipList {
    pub(super) members: Slots<(SmallBytes, f64)>,
    pub(super) order: RankTree,
}

impl PartialEq for SkipList {
    /// The same members and scores (the order follows from them).
    fn eq(&self, other: &SkipList) -> bool {
        self.members == other.members
    }
}

impl SkipList {
    fn with_capacity(n: usize) -> SkipList {
        SkipList {
            members: Slots::with_capacity(n),
            order: RankTree::default(),
        }
    }

    fn len(&self) -> usize {
        debug_assert_eq!(self.order.len(), self.members.len());
        self.members.len()
    }

    /// The member and score in `slot` (a slot the tree holds is in use).
    fn at(&self, slot: u32) -> (&[u8], f64) {
        self.members
            .at(slot)
            .map_or((&[][..], 0.0), |(m, score)| (&m[..], *score))
    }

    /// How many members order before (score, member).
    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        let key = (Score(score), member);
        self.order.rank(|slot| {
            let (m, s) = self.at(slot);
            (Score(s), m) < key
        })
    }

    /// How many members `before` is true for, `before` being true for a
    /// prefix of the order.
    fn count_before(&self, before: impl Fn(&[u8], f64) -> bool) -> usize {
        self.order.rank(|slot| {
            let (m, s) = self.at(slot);
            before(m, s)
        })
    }

    /// Puts `slot`, which holds (score, member), at its place in the order.
    fn place(&mut self, slot: u32, score: f64, member: &[u8]) {
        let key = (Score(score), member);
        let members = &self.members;
        self.order.insert(slot, |other| {
            members
                .at(other)
                .is_some_and(|(m, s)| (Score(*s), &m[..]) < key)
        });
    }

    /// Takes `slot`, which holds (score, member), out of the order.
    fn unplace(&mut self, slot: u32, score: f64, member: &[u8]) {
        let removed = self.order.remove_at(self.rank_of(score, member));
        debug_assert_eq!(removed, Some(slot));
    }

    fn insert_new(&mut self, member: &[u8], score: f64) {
        let slot = self.members.insert_new((member.into(), score));
        self.place(slot, score, member);
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let slot = self.members.find_slot(member)?;
        let (_, score) = self.at(slot);
        self.unplace(slot, score, member);
        self.members.remove_slot(slot);
        Some(score)
    }

    /// A new score for a present member, which keeps its slot (so a ZSCAN
    /// under way still sees it once) and moves in the order.
    fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(slot) = self.members.find_slot(member) else {
            return;
        };
        let (_, old) = self.at(slot);
        self.unplace(slot, old, member);
        if let Some(entry) = self.members.at_mut(slot) {
            entry.1 = score;
        }
        self.place(slot, score, member);
    }

    /// The ranks of the members whose score is in `range`.
    fn score_ranks(&self, range: ScoreRange) -> SkipIter<'_> {
        if range.is_empty() {
            return self.ranks(0, 0);
        }
        let start = self.count_before(|_, score| !range.above_min(score));
        let end = self.count_before(|_, score| range.below_max(score));
        self.ranks(start, end.max(start))
    }

    /// Members of ranks `from..to`.
    fn ranks(&self, from: usize, to: usize) -> SkipIter<'_> {
        SkipIter {
            list: self,
            ids: self.order.range(from, to),
        }
    }
}

/// Members and scores of a rank range of a [`SkipList`]; `nth` (and so
/// `skip`) jumps in O(log n), from either end.
pub struct SkipIter<'a> {
    list: &'a SkipList,
    ids: Ids<'a>,
}

impl<'a> Iterator for SkipIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        let list = self.list;
        self.ids.next().map(|slot| list.at(slot))
    }

    fn nth(&mut self, n: usize) -> Option<(&'a [u8], f64)> {
        let list = self.list;
        self.ids.nth(n).map(|slot| list.at(slot))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl DoubleEndedIterator for SkipIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let list = self.list;
        self.ids.next_back().map(|slot| list.at(slot))
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        let list = self.list;
        self.ids.nth_back(n).map(|slot| list.at(slot))
    }
}

impl ExactSizeIterator for SkipIter<'_> {}

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
            ZSetValue::Skip(s) => s.len(),
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
            let mut skip = SkipList::with_capacity(self.len());
            for (member, score) in self.iter() {
                skip.insert_new(member, score);
            }
            *self = ZSetValue::Skip(Box::new(skip));
        }
    }

    /// `zsetConvertToListpackIfNeeded`, for the results of the STORE
    /// commands: back to a listpack when small enough.
    pub fn shrink_if_small(&mut self, limits: &Thresholds) {
        if let ZSetValue::Skip(s) = self {
            let max_len = s.members.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if s.len() <= limits.zset_max_listpack_entries
                && max_len <= limits.zset_max_listpack_value
            {
                let texts: Vec<(&[u8], String)> = s
                    .ranks(0, s.len())
                    .map(|(m, score)| (m, stored_score_text(score)))
                    .collect();
                let packed =
                    Packed::from_elements(texts.iter().flat_map(|(m, t)| [*m, t.as_bytes()]));
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
            ZSetValue::Skip(s) => s.members.get(member).map(|(_, score)| *score),
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
        self.insert_sorted(member, score);
    }

    /// Inserts a member known to be absent, in whatever encoding the set
    /// has: a listpack member whose score changes is deleted and inserted
    /// again with no size check (`zsetAdd`), even under limits lowered
    /// since the set was built.
    fn insert_sorted(&mut self, member: &[u8], score: f64) {
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
            ZSetValue::Skip(s) => s.insert_new(member, score),
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
            ZSetValue::Skip(s) => s.remove(member),
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
                if let ZSetValue::Skip(s) = self {
                    s.set_score(member, new);
                } else {
                    self.remove(member);
                    self.insert_sorted(member, new);
                }
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
            ZSetValue::Skip(s) => Box::new(s.ranks(0, s.len())),
        }
    }

    /// Members of ranks `from..=to` (ranks counted from the end when
    /// `reverse`), in that direction; `to` may be past the end.
    pub fn rank_range(
        &self,
        from: usize,
        to: usize,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        let n = self.len();
        let (from, end) = (from.min(n), to.saturating_add(1).min(n).max(from.min(n)));
        match self {
            ZSetValue::Skip(s) if reverse => Box::new(s.ranks(n - end, n - from).rev()),
            ZSetValue::Skip(s) => Box::new(s.ranks(from, end)),
            ZSetValue::Packed(_) if reverse => {
                Box::new(self.iter().rev().skip(from).take(end - from))
            }
            ZSetValue::Packed(_) => Box::new(self.iter().skip(from).take(end - from)),
        }
    }

    /// ZCOUNT: members whose score is in `range`.
    pub fn score_count(&self, range: ScoreRange) -> usize {
        match self {
            ZSetValue::Skip(s) => s.score_ranks(range).len(),
            ZSetValue::Packed(_) => self.score_range(range, false).count(),
        }
    }

    /// ZLEXCOUNT: members in `range`. A skiplist counts by ranks, as
    /// Redis does: from the first member in range to the last one.
    pub fn lex_count(&self, range: &LexRange) -> usize {
        let ZSetValue::Skip(s) = self else {
            return self.lex_range(range, false).count();
        };
        if self.lex_range(range, false).next().is_none() {
            return 0;
        }
        let start = s.count_before(|m, _| !range.above_min(m));
        let end = s.count_before(|m, _| range.below_max(m));
        match end
            .checked_sub(1)
            .and_then(|last| s.ranks(last, end).next())
        {
            Some((m, _)) if range.above_min(m) => end.saturating_sub(start),
            _ => s.len() - start,
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
                let ranks = s.score_ranks(range);
                if reverse {
                    Box::new(ranks.rev())
                } else {
                    Box::new(ranks)
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
        if let ZSetValue::Skip(s) = self {
            // The near end by binary search, as Redis's skiplist finds
            // it (with equal scores the members are in byte order), then
            // a walk while members stay within the far end.
            return if reverse {
                let end = s.count_before(|m, _| range.below_max(m));
                Box::new(
                    s.ranks(0, end)
                        .rev()
                        .take_while(|(m, _)| range.above_min(m)),
                )
            } else {
                let start = s.count_before(|m, _| !range.above_min(m));
                Box::new(
                    s.ranks(start, s.len())
                        .take_while(|(m, _)| range.below_max(m)),
                )
            };
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
            ZSetValue::Skip(s) => s.rank_of(score, member),
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
            ZSetValue::Skip(s) => s.members.scan(cursor, count, |(m, score)| visit(m, *score)),
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
            ZSetValue::Skip(s) => s.members.random(rng).map(|(m, score)| (&m[..], *score)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn updating_a_score_never_converts_a_listpack() {
        // zsetAdd re-inserts an updated listpack member with no size
        // check: only a new member converts under a lowered limit.
        let mut limits = Thresholds::default();
        let mut z = ZSetValue::default();
        for (i, m) in [b"a", b"b", b"c"].iter().enumerate() {
            z.add(&m[..], i as f64, AddFlags::default(), &limits)
                .unwrap();
        }
        limits.zset_max_listpack_entries = 2;
        z.add(b"a", 5.0, AddFlags::default(), &limits).unwrap();
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.score(b"a"), Some(5.0));
        z.add(b"d", 4.0, AddFlags::default(), &limits).unwrap();
        assert_eq!(z.encoding(), "skiplist");
    }

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

    fn sorted_model(model: &mut [(Vec<u8>, f64)]) {
        model.sort_by(|a, b| Score(a.1).cmp(&Score(b.1)).then(a.0.cmp(&b.0)));
    }

    fn pairs<'a>(it: impl Iterator<Item = (&'a [u8], f64)>) -> Vec<(Vec<u8>, f64)> {
        it.map(|(m, s)| (m.to_vec(), s)).collect()
    }

    /// Ops on a skiplist big enough for a tree of several levels.
    #[derive(Debug, Clone)]
    enum Op {
        Add(u16, i8),
        Remove(u16),
        Rank(u16),
        RankRange(usize, usize, bool),
        Scores(i8, bool, i8, bool, bool, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..700, -20i8..20).prop_map(|(m, s)| Op::Add(m, s)),
            2 => (0u16..700).prop_map(Op::Remove),
            1 => (0u16..700).prop_map(Op::Rank),
            1 => (0usize..800, 0usize..800, any::<bool>()).prop_map(|(a, b, r)| Op::RankRange(a, b, r)),
            1 => (-21i8..21, any::<bool>(), -21i8..21, any::<bool>(), any::<bool>(), 0usize..300)
                .prop_map(|(a, ax, b, bx, r, off)| Op::Scores(a, ax, b, bx, r, off)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Rank, select by rank, score ranges (with LIMIT-style skips)
        /// and removal on a big sorted set, against a sorted Vec.
        #[test]
        fn skiplist_agrees_with_a_sorted_vec(ops in proptest::collection::vec(op(), 1..1500)) {
            let limits = Thresholds::default();
            let mut z = ZSetValue::Skip(Box::default());
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            let name = |m: u16| format!("m{m}").into_bytes();
            for op in ops {
                match op {
                    Op::Add(m, score) => {
                        let (member, score) = (name(m), f64::from(score));
                        z.add(&member, score, AddFlags::default(), &limits).unwrap();
                        model.retain(|(x, _)| *x != member);
                        model.push((member, score));
                        sorted_model(&mut model);
                    }
                    Op::Remove(m) => {
                        let member = name(m);
                        let want = model.iter().position(|(x, _)| *x == member).map(|i| model.remove(i).1);
                        prop_assert_eq!(z.remove(&member), want);
                    }
                    Op::Rank(m) => {
                        let member = name(m);
                        let want = model.iter().position(|(x, _)| *x == member);
                        prop_assert_eq!(z.rank(&member, false), want.map(|i| (i, model[i].1)));
                        prop_assert_eq!(z.rank(&member, true), want.map(|i| (model.len() - 1 - i, model[i].1)));
                    }
                    Op::RankRange(from, to, reverse) => {
                        let mut want: Vec<_> = model.clone();
                        if reverse {
                            want.reverse();
                        }
                        let want: Vec<_> = want.into_iter().skip(from).take((to + 1).saturating_sub(from)).collect();
                        prop_assert_eq!(pairs(z.rank_range(from, to, reverse)), want);
                    }
                    Op::Scores(a, ax, b, bx, reverse, offset) => {
                        let range = ScoreRange {
                            min: ScoreBound { value: f64::from(a), exclusive: ax },
                            max: ScoreBound { value: f64::from(b), exclusive: bx },
                        };
                        let mut want: Vec<_> = model.iter().filter(|(_, s)| range.contains(*s)).cloned().collect();
                        prop_assert_eq!(z.score_count(range), want.len());
                        if reverse {
                            want.reverse();
                        }
                        let want: Vec<_> = want.into_iter().skip(offset).take(5).collect();
                        prop_assert_eq!(pairs(z.score_range(range, reverse).skip(offset).take(5)), want);
                    }
                }
                prop_assert_eq!(z.len(), model.len());
            }
            prop_assert_eq!(pairs(z.iter()), model.clone());
            let mut back = pairs(z.iter().rev());
            back.reverse();
            prop_assert_eq!(back, model);
        }

        /// With equal scores, lex ranges of both encodings match a scan
        /// of the sorted members.
        #[test]
        fn lex_ranges_agree_with_a_sorted_vec(
            members in proptest::collection::btree_set(0u16..400, 1..300),
            lo in 0u16..420, lo_x: bool, lo_open: bool,
            hi in 0u16..420, hi_x: bool, hi_open: bool,
        ) {
            let limits = Thresholds::default();
            let name = |m: u16| format!("{m:03}").into_bytes();
            let mut small = ZSetValue::default();
            for &m in &members {
                small.add(&name(m), 1.0, AddFlags::default(), &Thresholds { zset_max_listpack_entries: usize::MAX, ..limits }).unwrap();
            }
            let mut big = small.clone();
            big.convert_to_skiplist();
            let bound = |m: u16, exclusive: bool, open: LexBound| {
                if m >= 410 {
                    open
                } else if exclusive {
                    LexBound::Exclusive(name(m).into())
                } else {
                    LexBound::Inclusive(name(m).into())
                }
            };
            let range = LexRange {
                min: bound(if lo_open { 410 } else { lo }, lo_x, LexBound::Min),
                max: bound(if hi_open { 410 } else { hi }, hi_x, LexBound::Max),
            };
            let sorted: Vec<Vec<u8>> = members.iter().map(|&m| name(m)).collect();
            let want: Vec<Vec<u8>> = if range.is_empty() {
                Vec::new()
            } else {
                sorted.into_iter().filter(|m| range.contains(m)).collect()
            };
            for z in [&small, &big] {
                let got: Vec<Vec<u8>> = z.lex_range(&range, false).map(|(m, _)| m.to_vec()).collect();
                prop_assert_eq!(&got, &want);
                let mut back: Vec<Vec<u8>> = z.lex_range(&range, true).map(|(m, _)| m.to_vec()).collect();
                back.reverse();
                prop_assert_eq!(&back, &want);
                prop_assert_eq!(z.lex_count(&range), want.len());
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
