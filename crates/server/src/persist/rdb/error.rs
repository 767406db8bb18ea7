//! What is wrong with an RDB file, and where.

use std::fmt;

/// A malformed, truncated or unsupported RDB file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    /// Byte offset in the file (or in the embedded blob) where the
    /// problem was found.
    pub offset: usize,
    pub what: String,
}

impl RdbError {
    pub fn new(offset: usize, what: impl Into<String>) -> RdbError {
        RdbError {
            offset,
            what: what.into(),
        }
    }

    /// The file ended before a value it announced.
    pub fn truncated(offset: usize, reading: &str) -> RdbError {
        RdbError::new(
            offset,
            format!("unexpected end of file while reading {reading}"),
        )
    }

    /// An error inside an embedded blob (listpack, ziplist...) that starts
    /// at `base` in the file.
    pub fn within(self, base: usize, blob: &str) -> RdbError {
        RdbError::new(
            base,
            format!("invalid {blob} ({} at byte {})", self.what, self.offset),
        )
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.what, self.offset)
    }
}

impl std::error::Error for RdbError {}
