//! Compiled pattern sets: "does any of these globs match this key?" without
//! trying every glob.
//!
//! Redis scans a selector's patterns one by one with `stringmatchlen`, so a
//! user with a thousand `~tenant:42:*` patterns pays a thousand glob calls
//! per key. Most real patterns are either plain names or a literal prefix
//! followed by `*`, and for those a glob is overkill:
//!
//! * a pattern without any of `* ? [ \` matches exactly one string, itself:
//!   it goes into a hash set;
//! * a literal followed only by `*`s matches every string with that prefix
//!   (`stringmatchlen` returns at once when the rest of the pattern is
//!   stars): it goes into a hash set of prefixes, probed with the key's
//!   prefixes of each distinct stored length;
//! * everything else is matched with [`moat_glob::matches`], as Redis does.
//!
//! The answer is therefore exactly "some pattern glob-matches", only cheaper,
//! including `stringmatchlen`'s one surprise: a pattern made only of `*`s
//! does not match the empty string (its loop never starts), while `a*`
//! does match `a`.

use hashbrown::HashSet;

/// A set of glob patterns compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    /// `*` (or `**`...) was among the patterns: every non-empty text matches.
    matches_everything: bool,
    literals: HashSet<Box<[u8]>>,
    prefixes: HashSet<Box<[u8]>>,
    /// The distinct lengths of `prefixes`, ascending.
    prefix_lengths: Vec<usize>,
    globs: Vec<Box<[u8]>>,
}

/// What kind of glob a pattern is, for compilation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternShape<'a> {
    /// Matches only this exact text.
    Literal(&'a [u8]),
    /// Matches every text starting with this literal.
    Prefix(&'a [u8]),
    /// Needs real glob matching.
    Glob,
}

/// Classifies a pattern by the cheapest exact way to match it.
pub fn shape_of(pattern: &[u8]) -> PatternShape<'_> {
    let is_special = |c: &u8| matches!(c, b'*' | b'?' | b'[' | b'\\');
    match pattern.iter().position(is_special) {
        None => PatternShape::Literal(pattern),
        Some(first) if pattern[first..].iter().all(|&c| c == b'*') => {
            PatternShape::Prefix(&pattern[..first])
        }
        Some(_) => PatternShape::Glob,
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
                PatternShape::Prefix(prefix) => {
                    set.prefixes.insert(prefix.into());
                }
                PatternShape::Glob => set.globs.push(pattern.into()),
            }
        }
        set.prefix_lengths = set.prefixes.iter().map(|p| p.len()).collect();
        set.prefix_lengths.sort_unstable();
        set.prefix_lengths.dedup();
        set
    }

    /// True when no pattern was given.
    pub fn is_empty(&self) -> bool {
        !self.matches_everything
            && self.literals.is_empty()
            && self.prefixes.is_empty()
            && self.globs.is_empty()
    }

    /// Whether some pattern of the set glob-matches `text` (case-sensitive).
    pub fn matches(&self, text: &[u8]) -> bool {
        if (self.matches_everything && !text.is_empty()) || self.literals.contains(text) {
            return true;
        }
        for &len in &self.prefix_lengths {
            if len > text.len() {
                break;
            }
            if self.prefixes.contains(&text[..len]) {
                return true;
            }
        }
        self.globs
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
        assert_eq!(shape_of(b"a*b"), PatternShape::Glob);
        assert_eq!(shape_of(b"a?"), PatternShape::Glob);
        assert_eq!(shape_of(b"a[bc]"), PatternShape::Glob);
        assert_eq!(shape_of(b"a\\*"), PatternShape::Glob);
        assert_eq!(shape_of(b"*a"), PatternShape::Glob);
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
    fn empty_set_matches_nothing() {
        let set = PatternSet::new(std::iter::empty());
        assert!(set.is_empty());
        assert!(!set.matches(b""));
    }
}
