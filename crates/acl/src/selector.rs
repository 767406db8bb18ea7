//! A selector: command bitmap, key patterns, channel patterns, databases.

/// One selector of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    // owned by the implementation
}
