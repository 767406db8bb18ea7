//! The redis.conf format and the live configuration of moat.
//!
//! Clients and operators must not be able to tell moat's configuration
//! handling from Redis 7.2's: the same file loads (or fails with the same
//! banner), `CONFIG GET` shows the same values, `CONFIG SET` accepts and
//! refuses the same input with the same words, and `CONFIG REWRITE`
//! edits the file the same way. This crate is that behaviour, without any
//! networking: the server owns a [`Config`] and calls into it.
//!
//! Layout: [`tokenize`] (line splitting and quoting), [`numeric`] (Redis's
//! number parsers), [`table`] and [`directives`] (what each directive is),
//! `value` (live values), `load` (files and command line), `access`
//! (CONFIG GET/SET and typed accessors), `rewrite` (CONFIG REWRITE).

mod access;
pub mod atomic;
pub mod directives;
pub mod error;
mod include;
mod load;
pub mod numeric;
mod rewrite;
pub mod special;
pub mod table;
pub mod tokenize;
mod validate;
mod value;

use std::path::PathBuf;

use bytes::Bytes;

pub use error::{
    ConfigSetError, FatalConfigError, UnbalancedQuotes, UserDeclarationError, REDIS_COMPAT_VERSION,
};
pub use special::{ClientClass, NotifyFlags, OutputBufferLimit, ReplicaOf, SavePoint};
pub use table::{Directive, Flags, Kind};

use value::Value;

/// Checks the rules of one `user` directive while the config is read
/// (the ACL layer provides it). Receives every argument, `user` included.
pub type UserValidator<'a> = &'a dyn Fn(&[Bytes]) -> Result<(), UserDeclarationError>;

/// The live configuration: one value per directive of Redis 7.2's table,
/// plus what the file declared besides directives (users, renamed
/// commands, modules).
#[derive(Debug, Clone)]
pub struct Config {
    /// Parallel to [`directives::DIRECTIVES`].
    values: Vec<Value>,
    users: Vec<Vec<Bytes>>,
    renamed_commands: Vec<(Bytes, Bytes)>,
    module_loads: Vec<Vec<Bytes>>,
    module_configs: Vec<(Bytes, Bytes)>,
    warnings: Vec<String>,
    config_file: Option<PathBuf>,
}

impl Default for Config {
    /// Redis 7.2's defaults, with `dir` being the process's current
    /// directory.
    fn default() -> Self {
        let start_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        Config {
            values: directives::DIRECTIVES
                .iter()
                .map(|d| Value::default_for(d, &start_dir))
                .collect(),
            users: Vec::new(),
            renamed_commands: Vec::new(),
            module_loads: Vec::new(),
            module_configs: Vec::new(),
            warnings: Vec::new(),
            config_file: None,
        }
    }
}
