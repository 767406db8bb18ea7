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

use hashbrown::{HashMap, HashSet};

/// Up to this many runs are scanned rather than hashed.
const FEW_RUNS: usize = 4;

/// A set of glob patterns compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    /// `*` (or `**`...) was among the patterns: every non-empty text matches.
    matches_everything: bool,
    literals: HashSet<Box<[u8]>>,
    /// Non-literal patterns with a non-empty literal run, by that run.
    by_run: HashMap<Box<[u8]>, Anchored>,
    /// The distinct lengths of `by_run`'s keys, ascending.
    run_lengths: Vec<usize>,
    /// `by_run`'s entries when there are few of them, probed by a scan.
    few_runs: Option<Vec<(Box<[u8]>, Anchored)>>,
    /// Globs starting with a special character, tried on every text.
    unanchored: Vec<Box<[u8]>>,
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
        for pattern in patterns {
            match shape_of(pattern) {
                PatternShape::Literal(text) => {
                    set.literals.insert(text.into());
                }
                PatternShape::Prefix([]) => set.matches_everything = true,
                PatternShape::Prefix(run) => {
                    set.by_run.entry(run.into()).or_default().any_rest = true
                }
                PatternShape::Glob([]) => set.unanchored.push(pattern.into()),
                PatternShape::Glob(run) => set
                    .by_run
                    .entry(run.into())
                    .or_default()
                    .globs
                    .push(pattern.into()),
            }
        }
        for anchored in set.by_run.values_mut() {
            if anchored.any_rest {
                // The prefix already matches everything these would.
                anchored.globs = Vec::new();
            }
        }
        set.run_lengths = set.by_run.keys().map(|p| p.len()).collect();
        set.run_lengths.sort_unstable();
        set.run_lengths.dedup();
        if set.by_run.len() <= FEW_RUNS {
            set.few_runs = Some(set.by_run.drain().collect());
        }
        set
    }

    /// True when no pattern was given.
    pub fn is_empty(&self) -> bool {
        !self.matches_everything
            && self.literals.is_empty()
            && self.by_run.is_empty()
            && self.few_runs.as_ref().is_none_or(|runs| runs.is_empty())
            && self.unanchored.is_empty()
    }

    /// Whether some pattern of the set glob-matches `text` (case-sensitive).
    pub fn matches(&self, text: &[u8]) -> bool {
        if (self.matches_everything && !text.is_empty()) || self.literals.contains(text) {
            return true;
        }
        if let Some(runs) = &self.few_runs {
            if runs
                .iter()
                .any(|(run, anchored)| text.starts_with(run) && anchored.matches(text))
            {
                return true;
            }
        } else {
            for &len in &self.run_lengths {
                if len > text.len() {
                    break;
                }
                if let Some(anchored) = self.by_run.get(&text[..len]) {
                    if anchored.matches(text) {
                        return true;
                    }
                }
            }
        }
        self.unanchored
            .iter()
            .any(|glob| moat_glob::matches(glob, text, false))
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
    fn empty_set_matches_nothing() {
        let set = PatternSet::new(std::iter::empty());
        assert!(set.is_empty());
        assert!(!set.matches(b""));
    }
}
