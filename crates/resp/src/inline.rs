//! Inline requests (`PING\r\n` typed in telnet): one line, split into
//! arguments with Redis's `sdssplitargs` ([`crate::split_args`]).

use crate::ProtocolError;
use bytes::Bytes;

/// Splits one inline line (without its line terminator) into arguments,
/// with `sdssplitargs`'s rules ([`crate::split_args`]).
pub(crate) fn split_inline_args(line: &Bytes) -> Result<Vec<Bytes>, ProtocolError> {
    crate::split_args(line)
        .map(|args| args.into_iter().map(Bytes::from).collect())
        .ok_or(ProtocolError::UnbalancedQuotes)
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
}
