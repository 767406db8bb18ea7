//! The permission check.

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    Command,
    Key,
    Channel,
    /// Valkey 9.1 database permissions.
    Database,
}

/// A denial: the reason and the argv index it concerns (0 for commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial {
    pub reason: DenyReason,
    pub index: usize,
}
