//! The ACL log.

/// Where a denial happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogContext {
    Toplevel,
    Multi,
    Lua,
    Module,
}

/// A new event to record.
#[derive(Debug, Clone)]
pub struct LogEvent {}

/// A log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {}

/// The log, newest first.
#[derive(Debug, Default)]
pub struct AclLog {}
