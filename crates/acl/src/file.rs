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
use crate::rules::{has_space_or_nul, lossy_c_string, merge_selector_args_at, parse_rule, Rule};
use crate::user::{PubsubDefault, User};
use bytes::Bytes;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Loads an ACL file. On success the table holds exactly the file's users
/// (plus `default` with its boot rules if the file lacks it); on failure
/// the error holds every problem found, in Redis's words, with `filename`
/// as configured, ending with Redis's `WARNING: ACL errors detected...`.
pub fn load_acl_file(
    text: &[u8],
    filename: &str,
    pubsub_default: PubsubDefault,
) -> Result<Registry, AclError> {
    check_acl_file(text, filename, pubsub_default).map_err(|errors| {
        let mut text = errors.concat();
        text.push_str(NO_CHANGE_WARNING);
        AclError::AclFile(text)
    })
}

/// The sentence that ends every failed ACL LOAD (and Redis's start-up
/// error for a bad aclfile).
pub const NO_CHANGE_WARNING: &str =
    "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";

/// [`load_acl_file`] with the errors kept apart, one per problem, each
/// exactly as Redis writes it into the ACL LOAD error (most end with a
/// space, the unmatched-parenthesis one does not), for the offline
/// `--check-acl` that prints one problem per line.
pub fn check_acl_file(
    text: &[u8],
    filename: &str,
    pubsub_default: PubsubDefault,
) -> Result<Registry, Vec<String>> {
    let text = as_read_by_fgets(text);
    let mut errors = Vec::new();
    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    for (index, raw_line) in text.split(|&c| c == b'\n').enumerate() {
        let line_number = index + 1;
        let line = trim(raw_line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&[u8]> = line.split(|&c| c == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push(format!(
                "{filename}:{line_number} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1];
        if has_space_or_nul(name) {
            errors.push(format!(
                "'{filename}:{line_number}: username '{}' contains invalid characters. ",
                lossy_c_string(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push(format!(
                "WARNING: Duplicate user '{}' found on line {line_number}. ",
                lossy_c_string(name)
            ));
            continue;
        }
        // Redis creates the user before applying its rules, so a later
        // line with the same name is a duplicate even if this one failed.
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
        return Err(errors);
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
    errors: &mut Vec<String>,
) {
    let Ok(merged) = merge_selector_args_at(args) else {
        errors.push(format!(
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
            Err(kind @ RuleErrorKind::UnknownCommand) => errors.push(format!(
                "{filename}:{line_number}: Error in applying operation '{}': {kind}. ",
                lossy_c_string(arg)
            )),
            Err(kind) if !reported_other_error => {
                errors.push(format!("{filename}:{line_number}: {kind}. "));
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

/// Checks one `user` directive while the config file is read (Redis's
/// `ACLAppendUserForLoading`): `declaration` is the whole directive,
/// keyword included (`["user", "alice", "on", ...]`). Unknown commands are
/// accepted here (modules may add them later). On error, returns the index
/// of the argument Redis names in `Error in user declaration '<arg>'` and
/// the message: Redis indexes the directive with the failing rule's
/// position among the merged rules, so it often names the username or the
/// keyword itself, and moat reproduces that.
pub fn validate_user_declaration(declaration: &[Bytes]) -> Result<(), (usize, String)> {
    if declaration.len() < 2 || !declaration[0].eq_ignore_ascii_case(b"user") {
        return Err((0, RuleErrorKind::Syntax.to_string()));
    }
    // Redis leaves errno as it was for an open selector, so its message is
    // whatever an earlier call left; the syntax error is the honest one.
    let merged = merge_selector_args_at(&declaration[2..])
        .map_err(|open| (open, RuleErrorKind::Syntax.to_string()))?;
    // The scratch user takes `resetchannels`, which refuses the fewest
    // rules; the real `acl-pubsub-default` is applied when users are
    // created, after the whole config was read.
    let mut scratch = User::new(&declaration[1], PubsubDefault::ResetChannels);
    for (position, arg) in merged.iter().enumerate() {
        let Some(rule) = parse_rule(arg) else {
            continue;
        };
        match scratch.apply(&rule, PubsubDefault::ResetChannels) {
            Ok(()) | Err(RuleErrorKind::UnknownCommand) => {}
            Err(kind) => return Err((position, kind.to_string())),
        }
    }
    Ok(())
}

/// Creates the users of the `user` config directives (Redis's
/// `ACLLoadConfiguredUsers`) on top of `registry`, in declaration order.
/// Each declaration is `[name, rules...]` (the keyword dropped), as the
/// config keeps them. `user default` resets the default user first, so
/// its line replaces whatever `requirepass` set. An error (a name with
/// spaces, a rule that only fails now, such as an unknown command) leaves
/// `registry` untouched: the server refuses to start.
pub fn apply_config_users(registry: &mut Registry, users: &[Vec<Bytes>]) -> Result<(), AclError> {
    let pubsub_default = registry.pubsub_default();
    let mut built = registry.clone();
    for declaration in users {
        let Some((name, rules)) = declaration.split_first() else {
            continue;
        };
        if has_space_or_nul(name) {
            return Err(AclError::SpacesInConfigUsername);
        }
        let merged = merge_selector_args_at(rules).map_err(|open| AclError::UserDeclaration {
            token: lossy_c_string(declaration.get(open).map_or(&b""[..], |t| t.as_ref())),
            message: RuleErrorKind::Syntax.to_string(),
        })?;
        let mut user = match built.get(name) {
            Some(existing) => {
                let mut user = User::clone(existing);
                let _ = user.apply(&Rule::Reset, pubsub_default);
                user
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
        built.insert_user(user);
    }
    *registry = built;
    Ok(())
}

/// Redis reads the ACL file with `fgets` into a 1024-byte buffer and
/// appends each read with `strlen`, so every read is cut at its first NUL
/// byte (and a newline after that NUL is lost with it). Reproduced so that
/// a file with NUL bytes loads (or fails) exactly as in Redis.
fn as_read_by_fgets(text: &[u8]) -> Cow<'_, [u8]> {
    const FGETS_BUFFER: usize = 1024;
    if !text.contains(&0) {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let limit = rest.len().min(FGETS_BUFFER - 1);
        let end = rest[..limit]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(limit, |newline| newline + 1);
        let read = &rest[..end];
        let kept = read.iter().position(|&c| c == 0).unwrap_or(read.len());
        out.extend_from_slice(&read[..kept]);
        rest = &rest[end..];
    }
    Cow::Owned(out)
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
    fn reads_stop_at_nul_like_fgets() {
        assert_eq!(&*as_read_by_fgets(b"user a\nuser b\n"), b"user a\nuser b\n");
        // The NUL cuts its read, the newline of that read included.
        assert_eq!(
            &*as_read_by_fgets(b"user a\0x\nuser b\n"),
            b"user auser b\n"
        );
        let mut long = vec![b'x'; 1030];
        long[2] = 0;
        long.push(b'\n');
        // The first read is 1023 bytes; the second starts after them.
        assert_eq!(as_read_by_fgets(&long).len(), 2 + 7 + 1);
    }

    /// Found by the `load_acl_file` fuzz target (minimised): the line
    /// gives the user with the empty name a selector with the key
    /// pattern `))` (the `\r` is a blank to `sdssplitargs`). Its saved
    /// text `(~)) ... +set|?)` cannot say that pattern: read back, the
    /// selector ends at `(~))` and the rest applies to the root, and the
    /// next save is refused. Redis 7.0.15 does the same (checked live:
    /// `ACL SETUSER u "(~)) +get)"`, ACL SAVE, ACL LOAD fails on
    /// `'+get)'`), so this is kept, not fixed.
    #[test]
    fn a_selector_pattern_ending_in_a_parenthesis_does_not_survive_saves() {
        let load = |text: &[u8]| load_acl_file(text, "f.acl", PubsubDefault::ResetChannels);
        let default = "user default on nopass sanitize-payload ~* &* +@all\n";
        let saved = render_acl_file(&load(b"user  (~))\r+set|?)").unwrap());
        assert_eq!(
            String::from_utf8_lossy(&saved),
            format!(
                "user  off sanitize-payload resetchannels -@all (~)) resetchannels -@all +set|?)\n{default}"
            )
        );
        let resaved = render_acl_file(&load(&saved).unwrap());
        assert_eq!(
            String::from_utf8_lossy(&resaved),
            format!(
                "user  off sanitize-payload resetchannels -@all +set|?) (~) resetchannels -@all)\n{default}"
            )
        );
        assert_eq!(
            load(&resaved).unwrap_err().to_string(),
            "f.acl:1: Error in applying operation '-@all)': Unknown command or category name in ACL. \
             WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
    }

    /// Found by the `load_acl_file` fuzz target (minimised): quotes in a
    /// selector are `sdssplitargs` quoting, so `+set|x" %RW~*"` allows
    /// SET with the first argument `x %RW~*`, blank included. The saved
    /// text never quotes (the first argument lowercased, as in 7.2): read
    /// back, that is `+set|x` and a key pattern. Redis 7.0.15 saves the
    /// same selector text (checked live, as it saves a root `+set|a b`
    /// that its ACL LOAD then refuses).
    #[test]
    fn a_quoted_blank_in_a_first_argument_does_not_survive_a_save() {
        let load = |text: &[u8]| load_acl_file(text, "f.acl", PubsubDefault::ResetChannels);
        let registry = load(b"user  (~ +set|x\" %RW~*\")").unwrap();
        let user = registry.get(b"").unwrap();
        let selector = user.selectors()[1].clone();
        assert_eq!(selector.key_patterns().len(), 1);
        let saved = render_acl_file(&registry);
        assert_eq!(
            String::from_utf8_lossy(&saved).lines().next(),
            Some("user  off sanitize-payload resetchannels -@all (~ resetchannels -@all +set|x %rw~*)")
        );
        let again = load(&saved).unwrap();
        assert_eq!(
            again.get(b"").unwrap().selectors()[1].key_patterns().len(),
            2
        );
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
