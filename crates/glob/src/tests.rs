use super::*;
use proptest::prelude::*;

/// A literal transliteration of Redis 7.2 / Valkey `stringmatchlen_impl`
/// (recursive, with `skipLongerMatches` and the nesting cap), kept as the
/// oracle the fast matcher is checked against. Reads past the end of the
/// pattern see the NUL terminator of Redis's strings, as in C.
fn reference(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    reference_impl(pattern, 0, text, 0, nocase, &mut skip_longer, 0)
}

fn reference_impl(
    pat: &[u8],
    mut p: usize,
    s: &[u8],
    mut t: usize,
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    let at = |i: usize| pat.get(i).copied().unwrap_or(0);
    let lower = |c: i32| if (65..=90).contains(&c) { c + 32 } else { c };
    if nesting > 1000 {
        return false;
    }
    while p < pat.len() && t < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while t < s.len() {
                    if reference_impl(pat, p + 1, s, t, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    t += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => t += 1,
            b'[' => {
                p += 1;
                let not = at(p) == b'^';
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    let len_left = pat.len() as isize - p as isize;
                    if at(p) == b'\\' && len_left >= 2 {
                        p += 1;
                        if pat[p] == s[t] {
                            matched = true;
                        }
                    } else if at(p) == b']' {
                        break;
                    } else if len_left == 0 {
                        p -= 1;
                        break;
                    } else if len_left >= 3 && at(p + 1) == b'-' {
                        let mut start = i32::from(at(p) as i8);
                        let mut end = i32::from(at(p + 2) as i8);
                        let mut c = i32::from(s[t] as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            c = lower(c);
                        }
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if !nocase {
                        if at(p) == s[t] {
                            matched = true;
                        }
                    } else if lower(i32::from(at(p) as i8)) == lower(i32::from(s[t] as i8)) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                t += 1;
            }
            first => {
                let mut literal = first;
                if first == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    literal = pat[p];
                }
                let equal = if nocase {
                    lower(i32::from(literal as i8)) == lower(i32::from(s[t] as i8))
                } else {
                    literal == s[t]
                };
                if !equal {
                    return false;
                }
                t += 1;
            }
        }
        p += 1;
        if t == s.len() {
            while at(p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pat.len() && t == s.len()
}

fn check(pattern: &str, text: &str, expected: bool) {
    assert_eq!(
        matches(pattern.as_bytes(), text.as_bytes(), false),
        expected,
        "{pattern:?} vs {text:?}"
    );
    assert_eq!(
        reference(pattern.as_bytes(), text.as_bytes(), false),
        expected,
        "oracle: {pattern:?} vs {text:?}"
    );
}

#[test]
fn stars_match_any_run() {
    check("*", "anything", true);
    check("**", "x", true);
    check("a*", "a", true);
    check("a*", "abc", true);
    check("*c", "abc", true);
    check("a*c", "ac", true);
    check("a*c", "abbbc", true);
    check("a*c", "abcd", false);
    check("*a*b*", "xxaxxbxx", true);
    check("*a*b*", "xxbxxaxx", false);
    check("user:*:name", "user:42:name", true);
}

#[test]
fn empty_text_matches_only_the_empty_pattern() {
    check("", "", true);
    check("*", "", false);
    check("**", "", false);
    check("", "a", false);
}

#[test]
fn question_mark_consumes_exactly_one_byte() {
    check("?", "a", true);
    check("?", "", false);
    check("?", "ab", false);
    check("a?c", "abc", true);
    check("a?c", "ac", false);
}

#[test]
fn classes_sets_ranges_and_negation() {
    check("[abc]", "b", true);
    check("[abc]", "d", false);
    check("[^abc]", "d", true);
    check("[^abc]", "a", false);
    check("[a-c]x", "bx", true);
    check("[c-a]", "b", true);
    // `a-]` is a range ']'..'a', leaving the class unclosed (checked live).
    check("[a-]", "-", false);
    check("[a-]", "^", true);
    check("[]", "a", false);
    check("[^]", "a", true);
    check("[]a]", "]", false);
    check("[]a]", "a]", false);
    check("[\\]]", "]", true);
    check("[\\-x]", "-", true);
    check("[!a]", "!", true);
}

#[test]
fn unclosed_class_runs_to_the_end_of_the_pattern() {
    check("[abc", "b", true);
    check("[abc", "bc", false);
    check("[", "a", false);
    check("[^", "z", true);
    check("[^", "zz", false);
    check("[ab\\", "\\", true);
}

#[test]
fn escapes_and_trailing_backslash() {
    check("\\*", "*", true);
    check("\\*", "a", false);
    check("a\\?", "a?", true);
    check("\\", "\\", true);
    check("a\\", "a\\", true);
}

#[test]
fn nocase_folds_ascii_letters_only() {
    assert!(matches(b"HeLLo*", b"hello world", true));
    assert!(!matches(b"HeLLo*", b"hello world", false));
    assert!(matches(b"[A-C]", b"b", true));
    assert!(matches(b"\\A", b"a", true));
    // An escape inside a class compares exactly, even without case.
    assert!(!matches(b"[\\A]", b"a", true));
    assert!(matches(b"\xc4", b"\xc4", true));
    assert!(!matches(b"\xc4", b"\xe4", true));
}

#[test]
fn ranges_compare_as_signed_chars() {
    // 'a'..0xff swaps to -1..'a' as signed chars, so 0x80 is outside.
    assert!(!matches(b"[a-\xff]", b"\x80", false));
    assert!(matches(b"[a-\xff]", b"\xff", false));
    assert!(matches(b"[a-\xff]", b"A", false));
    assert!(matches(b"[\x80-\xff]", b"\x90", false));
}

#[test]
fn more_than_a_thousand_recursing_stars_match_nothing() {
    let mut pattern = b"a*".repeat(1000);
    pattern.push(b'a');
    let text = vec![b'a'; 2001];
    assert!(matches(&pattern, &text, false));
    assert!(reference(&pattern, &text, false));

    let mut too_deep = b"a*".repeat(1001);
    too_deep.push(b'a');
    assert!(!matches(&too_deep, &text, false));
    assert!(!reference(&too_deep, &text, false));

    // A trailing star does not recurse.
    let trailing = b"a*".repeat(1001);
    assert!(matches(&trailing, &text, false));
    assert!(reference(&trailing, &text, false));
}

#[test]
fn adversarial_patterns_stay_fast() {
    let pattern = b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    let text = vec![b'a'; 10_000];
    assert!(!matches(pattern, &text, false));
}

#[test]
fn literal_helpers() {
    assert!(is_literal(b"user:1"));
    assert!(is_literal(b""));
    assert!(is_literal(b"a]^-!"));
    assert!(!is_literal(b"user:*"));
    assert!(!is_literal(b"a\\b"));
    assert_eq!(literal_prefix(b"user:*:x"), b"user:");
    assert_eq!(literal_prefix(b"[ab]c"), b"");
    assert_eq!(literal_prefix(b"plain"), b"plain");
    assert_eq!(literal_prefix(b"ab?"), b"ab");
}

fn pattern_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![
            b'a', b'b', b'A', b'*', b'?', b'[', b']', b'^', b'-', b'\\', b'z', 0x80, 0xff,
        ]),
        0..12,
    )
}

fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b'A', b'z', b'-', b']', b'\\', 0x80, 0xff]),
        0..10,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn agrees_with_the_recursive_c_algorithm(pattern in pattern_bytes(), text in text_bytes(), nocase: bool) {
        prop_assert_eq!(matches(&pattern, &text, nocase), reference(&pattern, &text, nocase));
    }

    #[test]
    fn literal_patterns_match_only_themselves(pattern in pattern_bytes(), text in text_bytes()) {
        if is_literal(&pattern) {
            prop_assert_eq!(matches(&pattern, &text, false), pattern == text);
        }
    }

    #[test]
    fn matching_texts_start_with_the_literal_prefix(pattern in pattern_bytes(), text in text_bytes()) {
        if matches(&pattern, &text, false) {
            prop_assert!(text.starts_with(literal_prefix(&pattern)));
        }
    }

    #[test]
    fn a_text_matches_itself_when_escaped(text in text_bytes()) {
        let mut escaped = Vec::new();
        for &b in &text {
            escaped.push(b'\\');
            escaped.push(b);
        }
        prop_assert!(matches(&escaped, &text, false));
    }
}
