//! Splitting a typed command line into arguments, as redis-cli does.
//!
//! Golden and differential scripts are written the way a person types into
//! redis-cli, so they must be tokenised by the same rules (Redis's
//! `sdssplitargs`): whitespace separates arguments; `"..."` understands
//! `\n \r \t \b \a \\ \" \xHH`; `'...'` understands only `\'`; a closing quote
//! must be followed by whitespace or the end of the line.

use crate::error::{Result, TestkitError};

/// Splits `line` into arguments with redis-cli's quoting rules.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos == bytes.len() {
            return Ok(args);
        }
        let (arg, next) = match bytes[pos] {
            b'"' => double_quoted(bytes, pos + 1)?,
            b'\'' => single_quoted(bytes, pos + 1)?,
            _ => bare(bytes, pos),
        };
        args.push(arg);
        pos = next;
    }
}

/// A bare word runs to the next whitespace; quotes inside it are literal.
fn bare(bytes: &[u8], start: usize) -> (Vec<u8>, usize) {
    let end = bytes[start..]
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .map_or(bytes.len(), |offset| start + offset);
    (bytes[start..end].to_vec(), end)
}

fn double_quoted(bytes: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize)> {
    let mut arg = Vec::new();
    loop {
        match bytes.get(pos) {
            None => return Err(unbalanced()),
            Some(b'"') => return Ok((arg, after_closing_quote(bytes, pos + 1)?)),
            Some(b'\\') => {
                if let Some(value) = hex_escape(bytes, pos) {
                    arg.push(value);
                    pos += 4;
                    continue;
                }
                let escaped = *bytes.get(pos + 1).ok_or_else(unbalanced)?;
                arg.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                pos += 2;
            }
            Some(&other) => {
                arg.push(other);
                pos += 1;
            }
        }
    }
}

/// `\xHH` with two hex digits; anything else is not a hex escape.
fn hex_escape(bytes: &[u8], pos: usize) -> Option<u8> {
    if bytes.get(pos + 1) != Some(&b'x') {
        return None;
    }
    let high = (*bytes.get(pos + 2)? as char).to_digit(16)?;
    let low = (*bytes.get(pos + 3)? as char).to_digit(16)?;
    u8::try_from(high * 16 + low).ok()
}

fn single_quoted(bytes: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize)> {
    let mut arg = Vec::new();
    loop {
        match bytes.get(pos) {
            None => return Err(unbalanced()),
            Some(b'\'') => return Ok((arg, after_closing_quote(bytes, pos + 1)?)),
            Some(b'\\') if bytes.get(pos + 1) == Some(&b'\'') => {
                arg.push(b'\'');
                pos += 2;
            }
            Some(&other) => {
                arg.push(other);
                pos += 1;
            }
        }
    }
}

fn after_closing_quote(bytes: &[u8], pos: usize) -> Result<usize> {
    match bytes.get(pos) {
        None => Ok(pos),
        Some(b) if b.is_ascii_whitespace() => Ok(pos),
        Some(_) => Err(TestkitError::SplitArgs(
            "closing quote must be followed by a space".into(),
        )),
    }
}

fn unbalanced() -> TestkitError {
    TestkitError::SplitArgs("unbalanced quotes".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::quote;
    use proptest::prelude::*;

    fn split(line: &str) -> Vec<String> {
        split_args(line)
            .unwrap()
            .into_iter()
            .map(|a| String::from_utf8(a).unwrap())
            .collect()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(split("  SET  k\tv "), ["SET", "k", "v"]);
        assert!(split("   ").is_empty());
    }

    #[test]
    fn double_quotes_understand_escapes() {
        assert_eq!(split(r#"SET "a b" "x\ny\"z""#), ["SET", "a b", "x\ny\"z"]);
        assert_eq!(split_args(r#""\x41\xff""#).unwrap(), [vec![b'A', 0xff]]);
        assert_eq!(split(r#""""#), [""]);
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        assert_eq!(split(r"'it\'s' '\n'"), ["it's", "\\n"]);
    }

    #[test]
    fn quotes_inside_a_bare_word_are_literal() {
        assert_eq!(split(r#"a"b c'd"#), ["a\"b", "c'd"]);
    }

    #[test]
    fn rejects_unbalanced_and_glued_quotes() {
        assert!(split_args(r#"GET "abc"#).is_err());
        assert!(split_args("GET 'abc").is_err());
        assert!(split_args(r#"GET "a"b"#).is_err());
    }

    proptest! {
        /// Whatever bytes an argument holds, quoting it the way the renderer
        /// does and splitting it again gives the argument back.
        #[test]
        fn quoting_round_trips(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..5)) {
            let line = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(split_args(&line).unwrap(), args);
        }
    }
}
