//! All users, by name in byte order.

/// The user table.
#[derive(Debug, Clone)]
pub struct Registry {}
