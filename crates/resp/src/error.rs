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

/// A malformed reply seen by the client-side decoder.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid RESP reply: {0}")]
pub struct DecodeError(pub String);
