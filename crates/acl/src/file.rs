//! The ACL file (`aclfile`, ACL LOAD/SAVE) and `user` config directives.
//!
//! Both describe users with the rule grammar, but they are read
//! differently, and each difference is visible to users:
//!
//! * ACL files are split on single spaces without quoting (so `>a b` is
//!   two arguments, and two spaces make an empty one); every error of every
//!   line is collected and reported together, and nothing changes unless
//!   the whole file is valid.
//! * `user` directives come from the config tokenizer (quotes already
//!   resolved). They are validated when the config is read, ignoring
//!   unknown commands (modules may add them later), and applied at
//!   startup, where an unknown command is fatal.

use crate::error::{AclError, RuleErrorKind};
use crate::registry::Registry;
use crate::rules::{has_space_or_nul, lossy_c_string, merge_selector_args_at, parse_rule};
use crate::user::{PubsubDefault, User};
use bytes::Bytes;
use std::collections::BTreeMap;

/// Loads an ACL file. On success the table holds exactly the file's users
/// (plus `default` with its boot rules if the file lacks it); on failure
/// the error holds every problem found, in Redis's words, with `filename`
/// as configured.
pub fn load_acl_file(
    text: &[u8],
    filename: &str,
    pubsub_default: PubsubDefault,
) -> Result<Registry, AclError> {
    let mut errors = String::new();
    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    for (index, raw_line) in text.split(|&c| c == b'\n').enumerate() {
        let line_number = index + 1;
        let line = trim(raw_line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&[u8]> = line.split(|&c| c == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!("{filename}:{line_number} should start with user keyword followed by the username. "));
            continue;
        }
        let name = argv[1];
        if has_space_or_nul(name) {
            errors.push_str(&format!(
                "'{filename}:{line_number}: username '{}' contains invalid characters. ",
                lossy_c_string(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {line_number}. ",
                lossy_c_string(name)
            ));
            continue;
        }
        let mut user = User::new(name, pubsub_default);
        apply_file_rules(
            &mut user,
            &argv[2..],
            filename,
            line_number,
            pubsub_default,
            &mut errors,
        );
        users.insert(Bytes::copy_from_slice(name), user);
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(AclError::AclFile(errors));
    }
    Ok(Registry::from_users(users, pubsub_default))
}

/// Applies one line's rules, continuing after errors as Redis does:
/// every unknown command or category is reported, but only the first
/// other error of the line (later ones may just be its consequences).
fn apply_file_rules(
    user: &mut User,
    args: &[&[u8]],
    filename: &str,
    line_number: usize,
    pubsub_default: PubsubDefault,
    errors: &mut String,
) {
    let Ok(merged) = merge_selector_args_at(args) else {
        errors.push_str(&format!(
            "{filename}:{line_number}: Unmatched parenthesis in selector definition."
        ));
        return;
    };
    let mut reported_other_error = false;
    for arg in &merged {
        let arg = trim(arg, b"\t\r\n");
        let Some(rule) = parse_rule(arg) else {
            continue;
        };
        match user.apply(&rule, pubsub_default) {
            Ok(()) => {}
            Err(kind @ RuleErrorKind::UnknownCommand) => errors.push_str(&format!(
                "{filename}:{line_number}: Error in applying operation '{}': {kind}. ",
                lossy_c_string(arg)
            )),
            Err(kind) if !reported_other_error => {
                errors.push_str(&format!("{filename}:{line_number}: {kind}. "));
                reported_other_error = true;
            }
            Err(_) => {}
        }
    }
}

/// The ACL file text for ACL SAVE: one `ACL LIST` line per user, each
/// followed by a newline, users in byte order of their names.
pub fn render_acl_file(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    for user in registry.users() {
        out.extend_from_slice(&user.describe_bytes());
        out.push(b'\n');
    }
    out
}

/// Builds the table from `user` config directives. Each line is the whole
/// directive as tokenised, keyword included: `["user", "alice", "on", ...]`.
/// Every line is validated first (the fatal `Error in user declaration`
/// errors), then applied on top of the boot table, where `user default`
/// first resets the default user.
pub fn parse_config_users(
    lines: &[Vec<Bytes>],
    pubsub_default: PubsubDefault,
) -> Result<Registry, AclError> {
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut declarations = Vec::with_capacity(lines.len());
    for line in lines {
        let token =
            |index: usize| lossy_c_string(line.get(index).map(|t| t.as_ref()).unwrap_or_default());
        let declaration_error = |index: usize, message: String| AclError::UserDeclaration {
            token: token(index),
            message,
        };
        if line.len() < 2 || !line[0].eq_ignore_ascii_case(b"user") {
            return Err(declaration_error(0, RuleErrorKind::Syntax.to_string()));
        }
        let name = line[1].as_ref();
        if seen.contains(&name) {
            return Err(declaration_error(
                1,
                RuleErrorKind::DuplicateUser.to_string(),
            ));
        }
        seen.push(name);
        let merged = merge_selector_args_at(&line[2..])
            .map_err(|open| declaration_error(open, RuleErrorKind::Syntax.to_string()))?;
        // Redis validates on a scratch user and names the token at the
        // failing rule's position among the directive's arguments.
        let mut scratch = User::new(name, pubsub_default);
        for (position, arg) in merged.iter().enumerate() {
            let Some(rule) = parse_rule(arg) else {
                continue;
            };
            match scratch.apply(&rule, pubsub_default) {
                Ok(()) | Err(RuleErrorKind::UnknownCommand) => {}
                Err(kind) => return Err(declaration_error(position, kind.to_string())),
            }
        }
        declarations.push((name, merged));
    }

    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    users.insert(Bytes::from_static(b"default"), User::boot_default());
    for (name, merged) in declarations {
        let mut user = match users.remove(name) {
            Some(mut existing) => {
                let _ = existing.apply(&crate::Rule::Reset, pubsub_default);
                existing
            }
            None => User::new(name, pubsub_default),
        };
        for arg in &merged {
            let Some(rule) = parse_rule(arg) else {
                continue;
            };
            user.apply(&rule, pubsub_default)
                .map_err(|kind| AclError::LoadingRule {
                    rule: lossy_c_string(arg),
                    user: lossy_c_string(name),
                    kind,
                })?;
        }
        users.insert(Bytes::copy_from_slice(name), user);
    }
    Ok(Registry::from_users(users, pubsub_default))
}

fn trim<'a>(mut text: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = text {
        if !set.contains(first) {
            break;
        }
        text = rest;
    }
    while let [rest @ .., last] = text {
        if !set.contains(last) {
            break;
        }
        text = rest;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming() {
        assert_eq!(trim(b" \tuser a\r\n", b" \t\r\n"), b"user a");
        assert_eq!(trim(b"   ", b" "), b"");
    }

    #[test]
    fn structural_errors_need_no_command_table() {
        let text = b"\n\nhello\n# comment\nuser a\tb on\nusers x\nuser\n";
        let err = load_acl_file(text, "users.acl", PubsubDefault::ResetChannels).unwrap_err();
        assert_eq!(
            err.to_string(),
            "users.acl:3 should start with user keyword followed by the username. \
             users.acl:4 should start with user keyword followed by the username. \
             'users.acl:5: username 'a\tb' contains invalid characters. \
             users.acl:6 should start with user keyword followed by the username. \
             users.acl:7 should start with user keyword followed by the username. \
             WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
    }
}
