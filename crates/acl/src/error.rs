//! The one error of rule handling.

use thiserror::Error;

/// Why a rule list was rejected. `Display` is Redis's text without the
/// `ERR ` prefix, e.g. `Error in ACL SETUSER modifier '+nocmd': Unknown
/// command or category name in ACL`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// A rule failed; `arg` is the (merged) offending argument as typed.
    #[error("Error in ACL SETUSER modifier '{arg}': {kind}")]
    Modifier { arg: String, kind: RuleErrorKind },
    /// A selector opened with `(` was never closed.
    #[error("Unmatched parenthesis in acl selector starting at '{0}'.")]
    UnmatchedParenthesis(String),
    /// Usernames cannot contain whitespace or NUL.
    #[error("Usernames can't contain spaces or null characters")]
    BadUsername,
}

/// Redis's errno-coded rule errors, with their verbatim messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RuleErrorKind {
    #[error("Syntax error")]
    Syntax,
    #[error("Unknown command or category name in ACL")]
    UnknownCommand,
    #[error("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")]
    KeyPatternAfterAllKeys,
    #[error("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")]
    ChannelPatternAfterAllChannels,
    #[error("The password you are trying to remove from the user does not exist")]
    NoSuchPassword,
    #[error("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")]
    BadHash,
    #[error("Duplicate user found. A user can only be defined once in config files")]
    DuplicateUser,
    #[error("Allowing first-arg of a subcommand is not supported")]
    FirstArgOfSubcommand,
}
