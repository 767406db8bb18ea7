//! Splitting a config line into arguments and quoting arguments back.
//!
//! Redis reads every config line (and every `--option` of its command line)
//! with `sdssplitargs`, and writes values back with `sdscatrepr` during
//! CONFIG REWRITE. Both are reproduced byte for byte here so that a file
//! written by moat reads back identically in Redis and vice versa.

use crate::error::UnbalancedQuotes;

/// Splits one config line into arguments exactly like Redis's
/// `sdssplitargs`: blanks separate arguments; double quotes understand
/// `\n \r \t \b \a \\ \" \xHH`; single quotes only understand `\'`; a
/// closing quote must be followed by a blank or the end of the line.
///
/// The line ends at its first NUL byte, as it does for the C string Redis
/// works on.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    moat_resp::split_args(line).ok_or(UnbalancedQuotes)
}

pub use moat_resp::repr;

/// C's `isspace` in the "C" locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    moat_resp::is_space(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(s: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(s.as_bytes()).map(|args| {
            args.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn splits_like_sdssplitargs() {
        let table: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t ", &[]),
            ("port 6379", &["port", "6379"]),
            ("  save   900 1  ", &["save", "900", "1"]),
            (r#"save """#, &["save", ""]),
            (r#"requirepass "a b""#, &["requirepass", "a b"]),
            (r#"x "\n\r\t\b\a\\\"""#, &["x", "\n\r\t\u{8}\u{7}\\\""]),
            (r#"x "\x41\x7a""#, &["x", "Az"]),
            (r#"x "\x4""#, &["x", "x4"]),
            (r#"x "\q""#, &["x", "q"]),
            (r"x 'it\'s'", &["x", "it's"]),
            (r"x 'a\nb'", &["x", "a\\nb"]),
            (r#"x a"b c" d"#, &["x", "ab c", "d"]),
            ("x\x0bY", &["x\x0bY"]),
            ("a\0b c", &["a"]),
        ];
        for (line, expected) in table {
            assert_eq!(split(line).unwrap(), *expected, "line {line:?}");
        }
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        for line in [
            r#"x "abc"#,
            r#"x "abc"d"#,
            r#"x 'abc"#,
            r#"x 'abc'd"#,
            r#"x "abc\"#,
        ] {
            assert_eq!(split(line), Err(UnbalancedQuotes), "line {line:?}");
        }
    }

    #[test]
    fn quotes_like_sdscatrepr() {
        assert_eq!(repr(b""), "\"\"");
        assert_eq!(repr(b"a b"), "\"a b\"");
        assert_eq!(repr(b"\"\\\n\r\t\x07\x08"), r#""\"\\\n\r\t\a\b""#);
        assert_eq!(repr(b"\x00\xff~"), r#""\x00\xff~""#);
    }

    proptest! {
        #[test]
        fn split_reads_back_what_repr_wrote(
            args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..6)
        ) {
            let line = args.iter().map(|a| repr(a)).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(split_args(line.as_bytes()).unwrap(), args);
        }
    }
}
