//! The redis.conf format and the live configuration.
