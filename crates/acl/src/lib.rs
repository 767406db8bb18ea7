//! Redis access control, exactly as Redis 7.2 (and Valkey 8/9.1) behaves.
//!
//! This crate does no I/O: it turns rule text into users, answers "may this
//! user run this request?", prints users back in Redis's canonical form,
//! keeps the ACL log, and reads/writes the ACL file format as bytes. The
//! server owns sockets, files and clocks and asks this crate; dispatch is
//! the only place that does.
//!
//! The shape follows the problem:
//!
//! * [`rules`]: text → [`Rule`] values. Parsing never touches a user, so a
//!   rule list with an error changes nothing: the whole list is parsed,
//!   then applied to a copy, and the copy replaces the user only if every
//!   rule applied.
//! * [`User`] and [`Selector`]: the state the rules build, plus a compiled
//!   form for the hot path (command bitmap, key and channel matchers).
//! * [`glob`]: Redis's `stringmatchlen`, byte for byte, including its
//!   corner cases (`[` without `]`, escapes, nesting limit).
//! * [`check`]: the permission check, selector by selector.
//! * [`describe`]: `ACL LIST` / `ACL GETUSER` / `ACL SAVE` text.
//! * [`log`]: the ACL log with Redis's grouping of repeated events.
//! * [`file`]: the ACL file and `user` config directive formats.
//! * [`Registry`]: all users, in byte order of their names.

pub mod check;
pub mod describe;
pub mod error;
pub mod file;
pub mod glob;
pub mod log;
pub mod password;
pub mod registry;
pub mod rules;
pub mod selector;
pub mod user;

pub use check::{Denial, DenyReason};
pub use error::RuleError;
pub use log::{AclLog, LogContext, LogEntry, LogEvent};
pub use registry::Registry;
pub use rules::{parse_rules, Rule};
pub use selector::Selector;
pub use user::{PubsubDefault, User};
