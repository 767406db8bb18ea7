//! Errors of the two parsers.

use thiserror::Error;

/// A malformed request. `Display` is Redis's text after `Protocol error: `;
/// the server replies `-ERR Protocol error: <text>` and closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("invalid bulk length")]
    InvalidBulkLength,
    /// The byte that stood where a bulk header's `$` belongs, as a Latin-1
    /// char (`char::from(byte)`); see [`ProtocolError::reply_text`] for the
    /// exact reply bytes.
    #[error("expected '$', got '{0}'")]
    ExpectedDollar(char),
    #[error("too big mbulk count string")]
    TooBigMultibulkCount,
    #[error("too big bulk count string")]
    TooBigBulkCount,
    #[error("too big inline request")]
    TooBigInline,
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    #[error("unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The exact bytes Redis sends after `-ERR `: `Protocol error: ` and
    /// the message, with the offending byte of [`ProtocolError::ExpectedDollar`]
    /// written raw (not UTF-8 encoded) and `\r`/`\n` turned into spaces, as
    /// `addReplyErrorFormat` does.
    pub fn reply_text(&self) -> Vec<u8> {
        let mut text = b"Protocol error: ".to_vec();
        match self {
            ProtocolError::ExpectedDollar(got) => {
                text.extend_from_slice(b"expected '$', got '");
                // The char was made from one byte (Latin-1), so this is lossless.
                text.push(u8::try_from(u32::from(*got)).unwrap_or(b'?'));
                text.push(b'\'');
            }
            other => text.extend_from_slice(other.to_string().as_bytes()),
        }
        crate::frame::map_newlines(&mut text);
        text
    }
}

/// A malformed reply seen by the client-side decoder.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid RESP reply: {0}")]
pub struct DecodeError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_text_is_byte_exact() {
        assert_eq!(
            ProtocolError::TooBigInline.reply_text(),
            b"Protocol error: too big inline request"
        );
        assert_eq!(
            ProtocolError::ExpectedDollar('\u{e9}').reply_text(),
            b"Protocol error: expected '$', got '\xe9'"
        );
        // Checked live: Redis replaces the CR with a space.
        assert_eq!(
            ProtocolError::ExpectedDollar('\r').reply_text(),
            b"Protocol error: expected '$', got ' '"
        );
    }
}
