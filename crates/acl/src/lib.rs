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
//! * [`rules`]: text → [`Rule`] values. Parsing never touches a user; a
//!   rule list is applied to a copy of the user, and the copy replaces the
//!   user only if every rule applied.
//! * [`User`] and [`Selector`]: the state the rules build, plus a compiled
//!   form for the hot path (command bitmap, key and channel matchers).
//! * [`matcher`]: glob pattern sets that match literals and prefixes
//!   without globbing, with exactly `stringmatchlen`'s answers.
//! * [`check`]: the permission check, selector by selector.
//! * [`describe`]: `ACL LIST` / `ACL GETUSER` / `ACL SAVE` text.
//! * [`log`]: the ACL log with Redis's grouping of repeated events.
//! * [`file`]: the ACL file and `user` config directive formats.
//! * [`Registry`]: all users, in byte order of their names.
//! * [`catalog`]: `ACL CAT`, `ACL GENPASS`, `ACL HELP`.

pub mod catalog;
pub mod check;
pub mod command_bits;
pub mod describe;
pub mod error;
pub mod file;
pub mod log;
pub mod matcher;
pub mod password;
pub mod registry;
pub mod rules;
pub mod selector;
pub mod user;

pub use catalog::{categories, category_commands, genpass, help_lines};
pub use check::{Denial, DenyReason, NopermReplies};
pub use error::{AclError, DeleteError, RuleError, RuleErrorKind};
pub use file::{
    apply_config_users, check_acl_file, load_acl_file, render_acl_file, validate_user_declaration,
};
pub use log::{AclLog, LogContext, LogEntry, LogReason};
pub use password::PasswordHash;
pub use registry::{subscriber_kill_check, ChannelKillCheck, Registry, SetUserOutcome};
pub use rules::{parse_rules, KeyPerms, Rule, SelectorRule};
pub use selector::{DatabasePermission, KeyPattern, Selector};
pub use user::{PubsubDefault, SelectorView, User, UserView};
