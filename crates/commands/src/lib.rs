//! The command table: what every command *is*, never what it *does*.
//!
//! Access control in Redis is decided almost entirely by metadata: a rule
//! `+@read` means "every command whose categories include read", a key
//! pattern `%R~cache:*` is checked against the keys a command's *key specs*
//! say it reads, and `COMMAND INFO` must show the same facts to clients.
//! So the metadata is data, declared once per command and subcommand, and
//! every other layer reads it from here: dispatch checks arity and flags,
//! the ACL engine resolves `+cmd|sub` and `@category` and extracts keys, and
//! `COMMAND INFO/DOCS/LIST/GETKEYS` are rendered from the same declaration.
//!
//! The declarations live in `data/` as JSON, one object per command, in the
//! shape Redis's own `src/commands/*.json` uses; they are parsed once, on
//! first use, into a [`CommandTable`] of dense [`CommandId`]s so that the ACL
//! engine can keep per-command bitmaps.

mod category;
mod command_cmd;
mod derive;
mod error;
mod flags;
mod key_functions;
mod keys;
mod load;
mod render;
mod spec;
mod table;

pub use category::{Categories, Category};
pub use command_cmd::command_reply;
pub use error::CommandsError;
pub use flags::{CommandFlags, KeySpecFlags};
pub use keys::{
    extract_channels, extract_keys, single_fixed_key, ChannelKind, ChannelRef, KeyRef, KeyRefs,
};
pub use render::{command_docs_reply, command_info_reply};
pub use spec::{BeginSearch, Command, CommandId, FindKeys, KeyFunction, KeySpec, LegacyKeyRange};
pub use table::{CommandTable, Resolved};
