//! The keyspace: databases, values, expiry.

/// All databases.
pub struct Keyspace {}
