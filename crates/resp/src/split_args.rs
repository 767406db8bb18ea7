//! Redis's `sdssplitargs`: the one tokenizer behind inline commands,
//! `redis.conf` lines and the inside of ACL `(...)` selectors; and its
//! inverse `sdscatrepr` ([`repr`]), used by CONFIG REWRITE, MONITOR, the
//! AOF manifest and log lines.
//!
//! All three use the same quoting rules as `redis-cli` (double quotes with
//! `\n`, `\xHH`... escapes, single quotes with `\'`), so there is one
//! implementation, here at the bottom of the crate graph. A malformed line
//! (unbalanced quotes, a closing quote glued to more text) yields `None`;
//! each caller turns that into its own error.
//!
//! The rules are those of the C function, quirks included, because
//! telnet users, scripts and config files rely on them:
//!
//! * Blanks between arguments are anything C's `isspace` accepts (which
//!   includes `\v` and `\f`), but an unquoted argument only ends at a space,
//!   `\t`, `\r`, `\n` or NUL, so `\v` inside a word belongs to the word.
//! * Double quotes understand `\n \r \t \b \a`, `\xHH`, and `\<any>` as that
//!   byte; single quotes only understand `\'`.
//! * Quotes may start in the middle of a word (`a"b c"` is `ab c`), but a
//!   closing quote must be followed by a blank or the end of the line;
//!   otherwise, and for an unterminated quote, the whole request is
//!   "unbalanced quotes in request".
//! * The line is a C string to `sdssplitargs`: it ends at the first NUL.

/// Quotes `arg` as Redis's `sdscatrepr` does: always inside double quotes,
/// printable ASCII verbatim, `\\ \" \n \r \t \a \b` escaped, other bytes
/// as `\xHH`. [`split_args`] reads the result back to `arg`.
pub fn repr(arg: &[u8]) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    repr_into(arg, &mut out);
    out
}

/// [`repr`], appended to `out`.
pub fn repr_into(arg: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for &b in arg {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out.push('"');
}

/// Splits `line` into arguments, or `None` when the quoting is malformed.
/// A NUL byte ends the line, as it ends a C string.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&c| c == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && hex_value(at(p + 2)).is_some()
                    && hex_value(at(p + 3)).is_some()
                {
                    current.push(hex_value(at(p + 2))? * 16 + hex_value(at(p + 3))?);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            p += 1;
        }
        args.push(current);
    }
}

/// C's `isspace` in the "C" locale.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn plain_tokens() {
        assert_eq!(
            split("  ~a  +get \t%R~b "),
            Some(vec!["~a".into(), "+get".into(), "%R~b".into()])
        );
        assert_eq!(split(""), Some(vec![]));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            split(r#"">a b" '~c d'"#),
            Some(vec![">a b".into(), "~c d".into()])
        );
        assert_eq!(split(r#""\x41\n""#), Some(vec!["A\n".into()]));
        assert_eq!(split(r"'it\'s'"), Some(vec!["it's".into()]));
        assert_eq!(split(r#""""#), Some(vec!["".into()]));
        assert_eq!(split(r#"a"b c""#), Some(vec!["ab c".into()]));
    }

    #[test]
    fn malformed_quoting() {
        assert_eq!(split(r#""abc"#), None);
        assert_eq!(split(r#""abc"d"#), None);
        assert_eq!(split("'abc"), None);
    }
}

#[cfg(test)]
mod repr_tests {
    use super::{repr, split_args};

    #[test]
    fn repr_is_sdscatrepr_and_reads_back() {
        assert_eq!(
            repr(b"a \"b\"\\\n\r\t\x07\x08\x01\xff"),
            r#""a \"b\"\\\n\r\t\a\b\x01\xff""#
        );
        for sample in [&b""[..], b"plain", b"two words", b"\x00\x7f\x80 \"q\""] {
            assert_eq!(
                split_args(repr(sample).as_bytes()),
                Some(vec![sample.to_vec()]),
                "{sample:?}"
            );
        }
    }
}
