//! Compiled pattern sets: "does any of these globs match this key?" without
//! trying every glob.
//!
//! Redis scans a selector's patterns one by one with `stringmatchlen`, so a
//! user with a thousand `~tenant:42:*` patterns pays a thousand glob calls
//! per key. Here the cost depends on the key, not on the number of patterns:
//!
//! * a pattern without any of `* ? [ \` matches exactly one string, itself:
//!   it goes into a hash set;
//! * every other pattern starts with a literal run (possibly empty) before
//!   its first special character, and can only match texts that start with
//!   that run, byte for byte. Patterns are indexed by that run: a text is
//!   probed once per distinct run length (at most its own length), and only
//!   the patterns filed under a run it starts with are looked at;
//! * among those, a run followed only by `*`s matches every text with that
//!   prefix (`stringmatchlen` returns at once when the rest of the pattern
//!   is stars) and needs no globbing; the rest are matched with
//!   [`moat_glob::matches`], as Redis does;
//! * patterns starting with a special character (`*x`, `?`, `[ab]c`) have
//!   an empty run and are tried on every text.
//!
//! A set with only a few runs keeps them in a list scanned with
//! `starts_with` instead: for one or two patterns that beats hashing the
//! text.
//!
//! The answer is therefore exactly "some pattern glob-matches", only cheaper,
//! including `stringmatchlen`'s one surprise: a pattern made only of `*`s
//! does not match the empty string (its loop never starts), while `a*`
//! does match `a`.

use hashbrown::HashTable;

/// Up to this many runs are scanned rather than hashed.
const FEW_RUNS: usize = 4;

/// A set of glob patterns compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    /// How [`PatternSet::matches`] starts: the common small sets are
    /// answered inline, without a call.
    shape: Shape,
    /// `*` (or `**`...) was among the patterns: every non-empty text matches.
    matches_everything: bool,
    /// Patterns without special characters, by [`PrefixHash`] of the text.
    literals: HashTable<Box<[u8]>>,
    runs: Runs,
    /// Globs starting with a special character, tried on every text.
    unanchored: Vec<Box<[u8]>>,
}

/// The set as a whole.
#[derive(Debug, Clone, Default)]
enum Shape {
    /// No pattern: nothing matches.
    #[default]
    Empty,
    /// One `prefix*` pattern and nothing else (`~app:*`), the most common
    /// set: the text matches when it starts with the prefix.
    Prefix(Box<[u8]>),
    /// A few `prefix*` patterns and nothing else.
    Prefixes(Box<[Box<[u8]>]>),
    /// Anything else: literals, runs and globs.
    General,
}

/// Non-literal patterns with a non-empty literal run, by that run.
#[derive(Debug, Clone, Default)]
enum Runs {
    #[default]
    None,
    /// A few runs, probed by a scan with `starts_with`.
    Few(Vec<(Box<[u8]>, Anchored)>),
    /// Runs by [`PrefixHash`], and their distinct lengths, ascending.
    Indexed {
        table: HashTable<(Box<[u8]>, Anchored)>,
        lengths: Vec<usize>,
    },
}

/// The patterns filed under one literal run.
#[derive(Debug, Clone, Default)]
struct Anchored {
    /// Some pattern is the run followed by stars only: any text with the
    /// run as prefix matches.
    any_rest: bool,
    /// Whole patterns (run included) that need real glob matching.
    globs: Vec<Box<[u8]>>,
}

impl Anchored {
    /// Whether a text starting with this entry's run matches one of its patterns.
    fn matches(&self, text: &[u8]) -> bool {
        self.any_rest
            || self
                .globs
                .iter()
                .any(|glob| moat_glob::matches(glob, text, false))
    }
}

/// The hash the tables are keyed by: FNV-1a, byte by byte, so that one
/// pass over a text yields the hash of each of its prefixes (every run
/// length probed, and the whole text for the literals) instead of hashing
/// the text once per probe. The finaliser (MurmurHash3's) spreads the
/// bits hashbrown takes from both ends. Only the server's administrator
/// chooses what is in a table; a client's text only probes it.
#[derive(Clone, Copy)]
struct PrefixHash(u64);

impl PrefixHash {
    const START: PrefixHash = PrefixHash(0xcbf2_9ce4_8422_2325);

    #[inline]
    fn push(self, byte: u8) -> PrefixHash {
        PrefixHash((self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
    }

    #[inline]
    fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn of(bytes: &[u8]) -> u64 {
        bytes
            .iter()
            .fold(PrefixHash::START, |h, &b| h.push(b))
            .finish()
    }
}

/// `text.starts_with(prefix)` for the short prefixes of key patterns,
/// compared in place rather than by a `memcmp` call.
#[inline]
fn has_prefix(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && same(&text[..prefix.len()], prefix)
}

/// `a == b` for short texts, in place rather than by a `bcmp` call: a
/// few word comparisons (fixed-size slices compile to loads), the first
/// and last words overlapping when the length is not a multiple.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u16_at = |s: &[u8], at: usize| u16::from_ne_bytes(word(s, at));
    let u32_at = |s: &[u8], at: usize| u32::from_ne_bytes(word(s, at));
    let u64_at = |s: &[u8], at: usize| u64::from_ne_bytes(word(s, at));
    match n {
        0 => true,
        1 => a[0] == b[0],
        2 | 3 => u16_at(a, 0) == u16_at(b, 0) && u16_at(a, n - 2) == u16_at(b, n - 2),
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        _ => {
            let mut at = 0;
            while at + 8 < n {
                if u64_at(a, at) != u64_at(b, at) {
                    return false;
                }
                at += 8;
            }
            u64_at(a, n - 8) == u64_at(b, n - 8)
        }
    }
}

/// The `W` bytes of `s` at `at` (callers keep `at + W <= s.len()`).
#[inline]
fn word<const W: usize>(s: &[u8], at: usize) -> [u8; W] {
    let mut word = [0; W];
    word.copy_from_slice(&s[at..at + W]);
    word
}

/// What kind of glob a pattern is, for compilation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternShape<'a> {
    /// Matches only this exact text.
    Literal(&'a [u8]),
    /// Matches every text starting with this literal.
    Prefix(&'a [u8]),
    /// Needs real glob matching; texts it matches start with this literal.
    Glob(&'a [u8]),
}

/// Classifies a pattern by the cheapest exact way to match it.
pub fn shape_of(pattern: &[u8]) -> PatternShape<'_> {
    let is_special = |c: &u8| matches!(c, b'*' | b'?' | b'[' | b'\\');
    match pattern.iter().position(is_special) {
        None => PatternShape::Literal(pattern),
        Some(first) if pattern[first..].iter().all(|&c| c == b'*') => {
            PatternShape::Prefix(&pattern[..first])
        }
        Some(first) => PatternShape::Glob(&pattern[..first]),
    }
}

impl PatternSet {
    /// Compiles the given patterns.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a [u8]>) -> PatternSet {
        let mut set = PatternSet::default();
        let mut by_run: Vec<(Box<[u8]>, Anchored)> = Vec::new();
        let mut run_index = hashbrown::HashMap::<Box<[u8]>, usize>::new();
        let mut any = false;
        for pattern in patterns {
            any = true;
            let mut anchored = |run: &[u8]| -> usize {
                *run_index.entry(run.into()).or_insert_with(|| {
                    by_run.push((run.into(), Anchored::default()));
                    by_run.len() - 1
                })
            };
            match shape_of(pattern) {
                PatternShape::Literal(text) => {
                    let hash = PrefixHash::of(text);
                    if set.literals.find(hash, |l| **l == *text).is_none() {
                        set.literals
                            .insert_unique(hash, text.into(), |l| PrefixHash::of(l));
                    }
                }
                PatternShape::Prefix([]) => set.matches_everything = true,
                PatternShape::Prefix(run) => {
                    let index = anchored(run);
                    by_run[index].1.any_rest = true;
                }
                PatternShape::Glob([]) => set.unanchored.push(pattern.into()),
                PatternShape::Glob(run) => {
                    let index = anchored(run);
                    by_run[index].1.globs.push(pattern.into());
                }
            }
        }
        for (_, anchored) in &mut by_run {
            if anchored.any_rest {
                // The prefix already matches everything these would.
                anchored.globs = Vec::new();
            }
        }
        let only_prefixes = !set.matches_everything
            && set.literals.is_empty()
            && set.unanchored.is_empty()
            && by_run.len() <= FEW_RUNS
            && by_run.iter().all(|(_, anchored)| anchored.any_rest);
        set.shape = if !any {
            Shape::Empty
        } else if only_prefixes {
            let mut runs: Vec<Box<[u8]>> = by_run.iter().map(|(run, _)| run.clone()).collect();
            match runs.pop() {
                Some(run) if runs.is_empty() => Shape::Prefix(run),
                Some(run) => {
                    runs.push(run);
                    Shape::Prefixes(runs.into())
                }
                None => Shape::General,
            }
        } else {
            Shape::General
        };
        set.runs = if by_run.is_empty() {
            Runs::None
        } else if by_run.len() <= FEW_RUNS {
            Runs::Few(by_run)
        } else {
            let mut lengths: Vec<usize> = by_run.iter().map(|(run, _)| run.len()).collect();
            lengths.sort_unstable();
            lengths.dedup();
            let mut table = HashTable::with_capacity(by_run.len());
            for entry in by_run {
                table.insert_unique(PrefixHash::of(&entry.0), entry, |(run, _)| {
                    PrefixHash::of(run)
                });
            }
            Runs::Indexed { table, lengths }
        };
        set
    }

    /// True when no pattern was given.
    pub fn is_empty(&self) -> bool {
        matches!(self.shape, Shape::Empty)
    }

    /// Whether some pattern of the set glob-matches `text` (case-sensitive).
    #[inline]
    pub fn matches(&self, text: &[u8]) -> bool {
        // Inlined: the empty sets a check also consults (read-only and
        // write-only patterns, usually none) cost a test, and a user's
        // one or two `prefix*` patterns a comparison.
        match &self.shape {
            Shape::Empty => false,
            Shape::Prefix(run) => has_prefix(text, run),
            Shape::Prefixes(runs) => runs.iter().any(|run| has_prefix(text, run)),
            Shape::General => self.matches_some(text),
        }
    }

    fn matches_some(&self, text: &[u8]) -> bool {
        if self.matches_everything && !text.is_empty() {
            return true;
        }
        let anchored_match = match &self.runs {
            Runs::None => self.literal_matches(text, || PrefixHash::of(text)),
            Runs::Few(runs) => {
                runs.iter()
                    .any(|(run, anchored)| has_prefix(text, run) && anchored.matches(text))
                    || self.literal_matches(text, || PrefixHash::of(text))
            }
            Runs::Indexed { table, lengths } => self.indexed_matches(table, lengths, text),
        };
        anchored_match
            || self
                .unanchored
                .iter()
                .any(|glob| moat_glob::matches(glob, text, false))
    }

    /// The literal patterns, with the text's hash computed only if needed.
    #[inline]
    fn literal_matches(&self, text: &[u8], hash: impl FnOnce() -> u64) -> bool {
        !self.literals.is_empty() && self.literals.find(hash(), |l| same(l, text)).is_some()
    }

    /// One pass over the text: at each run length, the prefix's hash so
    /// far probes the runs; at the end, the whole text's probes the literals.
    fn indexed_matches(
        &self,
        table: &HashTable<(Box<[u8]>, Anchored)>,
        lengths: &[usize],
        text: &[u8],
    ) -> bool {
        let mut hash = PrefixHash::START;
        let mut hashed = 0;
        for &len in lengths {
            if len > text.len() {
                break;
            }
            for &byte in &text[hashed..len] {
                hash = hash.push(byte);
            }
            hashed = len;
            let prefix = &text[..len];
            if let Some((_, anchored)) = table.find(hash.finish(), |(run, _)| same(run, prefix)) {
                if anchored.matches(text) {
                    return true;
                }
            }
        }
        self.literal_matches(text, || {
            text[hashed..].iter().fold(hash, |h, &b| h.push(b)).finish()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape_of(b"abc"), PatternShape::Literal(b"abc"));
        assert_eq!(shape_of(b""), PatternShape::Literal(b""));
        assert_eq!(shape_of(b"a]b^-"), PatternShape::Literal(b"a]b^-"));
        assert_eq!(shape_of(b"abc*"), PatternShape::Prefix(b"abc"));
        assert_eq!(shape_of(b"abc***"), PatternShape::Prefix(b"abc"));
        assert_eq!(shape_of(b"*"), PatternShape::Prefix(b""));
        assert_eq!(shape_of(b"a*b"), PatternShape::Glob(b"a"));
        assert_eq!(shape_of(b"a?"), PatternShape::Glob(b"a"));
        assert_eq!(shape_of(b"ab[bc]"), PatternShape::Glob(b"ab"));
        assert_eq!(shape_of(b"a\\*"), PatternShape::Glob(b"a"));
        assert_eq!(shape_of(b"*a"), PatternShape::Glob(b""));
    }

    #[test]
    fn literal_and_prefix_matching_needs_no_glob() {
        let set = PatternSet::new([&b"user:1"[..], b"cache:*", b"c*", b""]);
        assert!(set.matches(b"user:1"));
        assert!(!set.matches(b"user:10"));
        assert!(set.matches(b"cache:x"));
        assert!(set.matches(b"c"));
        assert!(set.matches(b""));
        assert!(!set.matches(b"other"));
    }

    #[test]
    fn a_few_prefixes_alone_are_matched_inline() {
        let set = PatternSet::new([&b"app:*"[..], b"k*", b"k**"]);
        assert!(matches!(&set.shape, Shape::Prefixes(runs) if runs.len() == 2));
        assert!(set.matches(b"app:1") && set.matches(b"app:") && set.matches(b"k"));
        assert!(!set.matches(b"app") && !set.matches(b"") && !set.matches(b"x"));
        let one = PatternSet::new([&b"app:*"[..]]);
        assert!(matches!(&one.shape, Shape::Prefix(run) if &run[..] == b"app:"));
        assert!(one.matches(b"app:1") && one.matches(b"app:") && !one.matches(b"ap"));
        for general in [&[&b"app:*"[..], b"lit"][..], &[b"a?*"], &[b"*"], &[b"*x"]] {
            assert!(matches!(
                PatternSet::new(general.iter().copied()).shape,
                Shape::General
            ));
        }
    }

    #[test]
    fn stars_alone_do_not_match_the_empty_text() {
        let set = PatternSet::new([&b"*"[..]]);
        assert!(set.matches(b"x"));
        assert!(!set.matches(b""));
    }

    #[test]
    fn globs_are_tried_only_under_their_literal_run() {
        let set = PatternSet::new([
            &b"user:?:x"[..],
            b"user:*",
            b"tenant:[ab]",
            b"*:end",
            b"t\\*",
        ]);
        assert!(set.matches(b"user:anything"));
        assert!(set.matches(b"tenant:a"));
        assert!(!set.matches(b"tenant:c"));
        assert!(set.matches(b"x:end"));
        assert!(set.matches(b"t*"));
        assert!(!set.matches(b"tx"));
        assert!(!set.matches(b"tenant"));
        assert!(!set.matches(b""));
    }

    #[test]
    fn many_runs_are_probed_by_their_prefix_hashes() {
        let patterns: Vec<String> = (0..50)
            .flat_map(|i| [format!("t:{i}:*"), format!("o:{i}:[ab]?"), format!("l:{i}")])
            .chain(["*end".to_string(), "k*".to_string()])
            .collect();
        let set = PatternSet::new(patterns.iter().map(|p| p.as_bytes()));
        assert!(matches!(set.runs, Runs::Indexed { .. }));
        for text in [
            "t:7:x", "t:7:", "t:7", "t:49:", "o:3:ax", "o:3:cx", "o:3:a", "l:12", "l:12x", "l:1",
            "k", "kx", "xend", "end", "", "t:", "o:10:bb",
        ] {
            let linear = patterns
                .iter()
                .any(|p| moat_glob::matches(p.as_bytes(), text.as_bytes(), false));
            assert_eq!(set.matches(text.as_bytes()), linear, "{text}");
        }
    }

    #[test]
    fn word_comparisons_agree_with_slice_equality() {
        let text: Vec<u8> = (0..40u8).collect();
        for len in 0..30 {
            for start in [0, 1, 5] {
                let a = &text[start..start + len];
                let same_bytes = a.to_vec();
                assert!(same(a, &same_bytes), "{len}");
                for flip in 0..len {
                    let mut b = same_bytes.clone();
                    b[flip] ^= 0x80;
                    assert!(!same(a, &b), "{len} {flip}");
                    assert!(!has_prefix(a, &b) || len == 0);
                }
                assert!(!same(a, &text[..len + 1]));
                assert!(has_prefix(&text[start..], a));
            }
        }
    }

    #[test]
    fn empty_set_matches_nothing() {
        let set = PatternSet::new(std::iter::empty());
        assert!(set.is_empty());
        assert!(!set.matches(b""));
    }
}
