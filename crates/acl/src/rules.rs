//! Rule text → [`Rule`] values.

use crate::RuleError;
use bytes::Bytes;

/// One parsed rule (user-level, selector-level, or a whole selector).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    // owned by the implementation
}

/// Parses `ACL SETUSER`-style arguments (selector parentheses merged as
/// Redis merges them) into rules, resolving command and category names.
pub fn parse_rules(args: &[Bytes]) -> Result<Vec<Rule>, RuleError> {
    let _ = args;
    todo!()
}
