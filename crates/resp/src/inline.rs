//! Splitting an inline request line into arguments, as Redis's
//! `sdssplitargs` does.
//!
//! The rules are those of the C function, quirks included, because
//! telnet users and scripts rely on them:
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
//!
//! Arguments are slices of the line whenever they are contiguous in it;
//! only arguments built from escapes or from several quoted pieces are
//! copied.

use crate::ProtocolError;
use bytes::Bytes;

/// Splits one inline line (without its line terminator) into arguments.
pub(crate) fn split_inline_args(line: &Bytes) -> Result<Vec<Bytes>, ProtocolError> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let text = &line[..end];
    // Reading past the end sees the string's NUL terminator, as in C.
    let at = |i: usize| text.get(i).copied().unwrap_or(0);

    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < text.len() && is_c_space(text[i]) {
            i += 1;
        }
        if i >= text.len() {
            return Ok(args);
        }
        let mut arg = ArgBuilder::Empty;
        let mut quote = Quote::None;
        loop {
            let current = at(i);
            let mut done = false;
            match quote {
                Quote::Double => {
                    let hex_escape = match (
                        current,
                        at(i + 1),
                        hex_value(at(i + 2)),
                        hex_value(at(i + 3)),
                    ) {
                        (b'\\', b'x', Some(high), Some(low)) => Some(high * 16 + low),
                        _ => None,
                    };
                    if let Some(byte) = hex_escape {
                        arg.push_decoded(text, byte);
                        i += 3;
                    } else if current == b'\\' && at(i + 1) != 0 {
                        i += 1;
                        arg.push_decoded(text, unescape(at(i)));
                    } else if current == b'"' {
                        ensure_closing_quote_ends_word(at(i + 1))?;
                        done = true;
                    } else if current == 0 {
                        return Err(ProtocolError::UnbalancedQuotes);
                    } else {
                        arg.push_source(text, i);
                    }
                }
                Quote::Single => {
                    if current == b'\\' && at(i + 1) == b'\'' {
                        i += 1;
                        arg.push_decoded(text, b'\'');
                    } else if current == b'\'' {
                        ensure_closing_quote_ends_word(at(i + 1))?;
                        done = true;
                    } else if current == 0 {
                        return Err(ProtocolError::UnbalancedQuotes);
                    } else {
                        arg.push_source(text, i);
                    }
                }
                Quote::None => match current {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => quote = Quote::Double,
                    b'\'' => quote = Quote::Single,
                    _ => arg.push_source(text, i),
                },
            }
            if at(i) != 0 {
                i += 1;
            }
            if done {
                break;
            }
        }
        args.push(arg.finish(line));
    }
}

#[derive(Clone, Copy)]
enum Quote {
    None,
    Double,
    Single,
}

/// One argument under construction: a slice of the line while its bytes
/// are contiguous there, a copy otherwise.
enum ArgBuilder {
    Empty,
    Slice { start: usize, end: usize },
    Copied(Vec<u8>),
}

impl ArgBuilder {
    /// Appends the line's own byte at `index`.
    fn push_source(&mut self, text: &[u8], index: usize) {
        match self {
            ArgBuilder::Empty => {
                *self = ArgBuilder::Slice {
                    start: index,
                    end: index + 1,
                }
            }
            ArgBuilder::Slice { end, .. } if *end == index => *end += 1,
            _ => self.push_decoded(text, text[index]),
        }
    }

    /// Appends a byte that is not simply the next byte of the line.
    fn push_decoded(&mut self, text: &[u8], byte: u8) {
        match self {
            ArgBuilder::Copied(bytes) => bytes.push(byte),
            ArgBuilder::Empty => *self = ArgBuilder::Copied(vec![byte]),
            ArgBuilder::Slice { start, end } => {
                let mut bytes = text[*start..*end].to_vec();
                bytes.push(byte);
                *self = ArgBuilder::Copied(bytes);
            }
        }
    }

    fn finish(self, line: &Bytes) -> Bytes {
        match self {
            ArgBuilder::Empty => Bytes::new(),
            ArgBuilder::Slice { start, end } => line.slice(start..end),
            ArgBuilder::Copied(bytes) => Bytes::from(bytes),
        }
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn ensure_closing_quote_ends_word(next: u8) -> Result<(), ProtocolError> {
    if next != 0 && !is_c_space(next) {
        Err(ProtocolError::UnbalancedQuotes)
    } else {
        Ok(())
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

fn unescape(byte: u8) -> u8 {
    match byte {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        split_inline_args(&Bytes::copy_from_slice(line))
            .map(|args| args.iter().map(|a| a.to_vec()).collect())
    }

    fn words(list: &[&[u8]]) -> Vec<Vec<u8>> {
        list.iter().map(|w| w.to_vec()).collect()
    }

    #[test]
    fn plain_words_split_on_blanks() {
        assert_eq!(
            split(b"SET  key\tvalue").unwrap(),
            words(&[b"SET", b"key", b"value"])
        );
        assert_eq!(split(b"  ").unwrap(), words(&[]));
        assert_eq!(split(b"").unwrap(), words(&[]));
        assert_eq!(split(b"a\rb").unwrap(), words(&[b"a", b"b"]));
    }

    #[test]
    fn vertical_tab_is_a_blank_but_not_a_separator() {
        assert_eq!(
            split(b"ECHO \x0ba\x0bb").unwrap(),
            words(&[b"ECHO", b"a\x0bb"])
        );
    }

    #[test]
    fn double_quotes_decode_escapes() {
        assert_eq!(
            split(br#"ECHO "a b\n\x41\x4\"\\""#).unwrap(),
            words(&[b"ECHO", b"a b\nAx4\"\\"])
        );
        assert_eq!(
            split(br#""\r\t\b\a\q""#).unwrap(),
            words(&[b"\r\t\x08\x07q"])
        );
        assert_eq!(split(br#""""#).unwrap(), words(&[b""]));
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        assert_eq!(split(br"'it\'s \n'").unwrap(), words(&[b"it's \\n"]));
    }

    #[test]
    fn quotes_can_start_inside_a_word() {
        assert_eq!(split(br#"a"b c" d"#).unwrap(), words(&[b"ab c", b"d"]));
    }

    #[test]
    fn closing_quote_must_end_the_word() {
        assert_eq!(split(br#"ECHO "a"b"#), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(split(br"'a'b"), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(split(b"\"a\"\x0bb").unwrap(), words(&[b"a", b"b"]));
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert_eq!(split(br#"ECHO "abc"#), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(split(br"ECHO 'abc"), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(split(br#""abc\"#), Err(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn the_line_ends_at_nul() {
        assert_eq!(split(b"a\0b c").unwrap(), words(&[b"a"]));
        assert_eq!(split(b"\"a\0\""), Err(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn plain_words_are_not_copied() {
        let line = Bytes::from_static(b"GET key");
        let args = split_inline_args(&line).unwrap();
        assert_eq!(args[1].as_ptr(), line[4..].as_ptr());
    }
}
