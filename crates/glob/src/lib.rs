//! Redis's glob matching (`stringmatchlen`), exactly.
//!
//! Used by key and channel permissions, `KEYS`, `SCAN MATCH`, `PSUBSCRIBE`,
//! `CONFIG GET` and `ACL` alike, so one implementation serves all of them.
//!
//! Redis matches recursively, one call per `*`, which is exponential on
//! patterns such as `*a*a*a*a*b`. Redis 7.2 prunes that with its
//! `skipLongerMatches` flag and Valkey caps the nesting at 1000 stars. This
//! crate reproduces the *results* of that algorithm, not its structure:
//!
//! * Every pattern element other than `*` consumes exactly one byte, and
//!   where elements begin depends on the pattern alone (never on the text).
//!   So the classic single-backtrack-point matcher, which only ever moves the
//!   most recent `*` forward, finds a match exactly when the recursion does,
//!   in `O(pattern × text)` time. The test module keeps a literal
//!   transliteration of the recursive C function and property-tests the two
//!   against each other.
//! * Quirks of the C code are kept on purpose, because clients can observe
//!   them: an empty text matches only the empty pattern (so `*` does not
//!   match the empty key), an unclosed `[` class runs to the end of the
//!   pattern, `[^` at the very end matches any byte, a trailing `\` is a
//!   literal backslash, ranges compare bytes as C's signed `char` (x86), and
//!   `\x` inside a class compares exactly even when matching without case.
//! * The nesting cap has a closed form: the recursion can only succeed by
//!   passing every `*` that is not the pattern's last element, and the
//!   1001st such `*` would recurse one level too deep. A pattern with more
//!   than 1000 of them therefore matches nothing.

/// How deep Redis/Valkey let `*` recursion go before giving up on a match.
const MAX_STAR_NESTING: usize = 1000;

/// Whether `text` matches `pattern` (`*`, `?`, `[...]` with `^` negation and
/// ranges, `\` escapes). With `nocase`, ASCII letters compare
/// case-insensitively. A pattern nesting deeper than Redis's limit does
/// not match.
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    // `stringmatchlen` never enters its loop for an empty text, so only the
    // empty pattern matches it (`*` included: `KEYS **` skips the key "").
    if text.is_empty() {
        return pattern.is_empty();
    }
    if exceeds_star_nesting(pattern) {
        return false;
    }

    let mut p = 0;
    let mut t = 0;
    // The latest `*`: where the pattern resumes after it, and the text
    // position the rest of the pattern is currently being tried at.
    let mut last_star: Option<(usize, usize)> = None;

    while t < text.len() {
        if p < pattern.len() {
            if pattern[p] == b'*' {
                let rest = skip_star_run(pattern, p);
                if rest == pattern.len() {
                    return true;
                }
                last_star = Some((rest, t));
                p = rest;
                continue;
            }
            let (next, matched) = match_element(pattern, p, text[t], nocase);
            if matched {
                p = next;
                t += 1;
                continue;
            }
        }
        match last_star {
            Some((rest, tried_at)) => {
                last_star = Some((rest, tried_at + 1));
                p = rest;
                t = tried_at + 1;
            }
            None => return false,
        }
    }
    skip_star_run(pattern, p) == pattern.len()
}

/// Whether `pattern` has no special bytes, so it matches exactly itself
/// (case-sensitively).
pub fn is_literal(pattern: &[u8]) -> bool {
    literal_prefix(pattern).len() == pattern.len()
}

/// The longest prefix of `pattern` made of plain bytes. Every text that
/// matches `pattern` case-sensitively starts with it, which lets callers
/// rule out most candidates with a prefix comparison. An escaped byte ends
/// the prefix, because the prefix is a slice of the pattern as written.
pub fn literal_prefix(pattern: &[u8]) -> &[u8] {
    let end = pattern
        .iter()
        .position(|&b| is_special(b))
        .unwrap_or(pattern.len());
    &pattern[..end]
}

fn is_special(byte: u8) -> bool {
    matches!(byte, b'*' | b'?' | b'[' | b'\\')
}

/// The pattern byte at `i`, or the NUL that terminates Redis's strings: the
/// C code reads one byte past the end in a few places and sees 0 there.
fn byte_at(pattern: &[u8], i: usize) -> u8 {
    pattern.get(i).copied().unwrap_or(0)
}

/// Index just after the run of `*` starting at `p`.
fn skip_star_run(pattern: &[u8], p: usize) -> usize {
    p + pattern[p..].iter().take_while(|&&b| b == b'*').count()
}

/// C's `tolower` in the C locale, applied to a (possibly negative) `char`.
fn c_tolower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// A byte as C's signed `char` on x86, as `stringmatchlen` compares ranges.
fn signed_char(byte: u8) -> i32 {
    i32::from(byte as i8)
}

fn same_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches the single non-`*` element starting at `p` against `byte`.
/// Returns the index of the next element and whether `byte` matched.
fn match_element(pattern: &[u8], p: usize, byte: u8, nocase: bool) -> (usize, bool) {
    match pattern[p] {
        b'?' => (p + 1, true),
        b'[' => match_class(pattern, p, byte, nocase),
        b'\\' if p + 1 < pattern.len() => (p + 2, same_byte(pattern[p + 1], byte, nocase)),
        literal => (p + 1, same_byte(literal, byte, nocase)),
    }
}

/// Matches the `[...]` class starting at `open` (the `[`) against `byte`,
/// following the C loop step by step so that its edge cases carry over.
fn match_class(pattern: &[u8], open: usize, byte: u8, nocase: bool) -> (usize, bool) {
    let len = pattern.len();
    let mut i = open + 1;
    let negated = byte_at(pattern, i) == b'^';
    if negated {
        i += 1;
    }
    let mut matched = false;
    loop {
        let remaining = len.saturating_sub(i);
        let current = byte_at(pattern, i);
        if current == b'\\' && remaining >= 2 {
            i += 1;
            matched |= pattern[i] == byte;
        } else if current == b']' {
            break;
        } else if remaining == 0 {
            // Unclosed class: it ends with the pattern.
            i -= 1;
            break;
        } else if remaining >= 3 && pattern[i + 1] == b'-' {
            let (mut low, mut high) = (signed_char(pattern[i]), signed_char(pattern[i + 2]));
            if low > high {
                std::mem::swap(&mut low, &mut high);
            }
            let mut c = signed_char(byte);
            if nocase {
                low = c_tolower(low);
                high = c_tolower(high);
                c = c_tolower(c);
            }
            matched |= low <= c && c <= high;
            i += 2;
        } else {
            matched |= same_byte(current, byte, nocase);
        }
        i += 1;
    }
    (i + 1, matched != negated)
}

/// Index of the element after the one starting at `p` (pattern-only walk).
fn next_element(pattern: &[u8], p: usize) -> usize {
    match pattern[p] {
        b'*' => skip_star_run(pattern, p),
        // The byte compared against is irrelevant to where the class ends.
        _ => match_element(pattern, p, 0, false).0,
    }
}

/// Whether matching would need more than [`MAX_STAR_NESTING`] nested `*`
/// recursions: one per `*` run that is not the last element (a trailing
/// `*` matches without recursing).
fn exceeds_star_nesting(pattern: &[u8]) -> bool {
    // Cheap exit for every realistic pattern.
    if pattern.iter().filter(|&&b| b == b'*').count() <= MAX_STAR_NESTING {
        return false;
    }
    let mut recursing_stars = 0;
    let mut p = 0;
    while p < pattern.len() {
        let next = next_element(pattern, p);
        if pattern[p] == b'*' && next < pattern.len() {
            recursing_stars += 1;
        }
        p = next;
    }
    recursing_stars > MAX_STAR_NESTING
}

#[cfg(test)]
mod tests;
