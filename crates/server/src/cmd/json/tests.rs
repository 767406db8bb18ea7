//! Handler tests: commands against a private keyspace.
