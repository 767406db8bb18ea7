//! The crate's one error type.
//!
//! Only loading declarations can fail: lookups answer `Option`/[`crate::Resolved`]
//! and request-shaped problems (bad numkeys, unknown names) are part of the
//! Redis semantics being reproduced, so they are replies, not errors.

/// Why a set of command declarations could not be turned into a table.
#[derive(Debug, thiserror::Error)]
pub enum CommandsError {
    /// A data file is not valid JSON.
    #[error("command data '{file}' is not valid JSON: {source}")]
    Json {
        file: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A declaration is missing a field or has one of the wrong type.
    #[error("command '{command}': {problem}")]
    Declaration { command: String, problem: String },
    /// More commands than a [`crate::CommandId`] can number.
    #[error("too many commands ({0}) for 16-bit command ids")]
    TooManyCommands(usize),
}

impl CommandsError {
    pub(crate) fn declaration(command: &str, problem: impl Into<String>) -> CommandsError {
        CommandsError::Declaration {
            command: command.to_owned(),
            problem: problem.into(),
        }
    }
}
