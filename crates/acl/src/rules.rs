//! Rule text → [`Rule`] values.
//!
//! Parsing resolves everything that does not depend on a user's current
//! state: command and category names against the command table, password
//! hashes, key permission letters, database ids. What does depend on state
//! (a pattern after `allkeys`, removing a password that is not there) is
//! left to [`crate::User`]'s application of the rule, exactly where Redis
//! reports it. A token that cannot be parsed becomes
//! [`SelectorRule::Invalid`] so that, inside a selector, an earlier rule's
//! application error still wins over a later token's parse error, as it
//! does in Redis, which parses and applies one token at a time.

use crate::error::{AclError, CText, RuleErrorKind};
use crate::password::PasswordHash;
use bytes::Bytes;
use moat_commands::{Category, Command, CommandId, CommandTable};
use moat_resp::{is_space, split_args};
use std::collections::BTreeSet;

/// Read/write permissions of a key pattern (`%R~`, `%W~`, `~` = both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPerms {
    pub read: bool,
    pub write: bool,
}

impl KeyPerms {
    pub const READ_WRITE: KeyPerms = KeyPerms {
        read: true,
        write: true,
    };
    pub const NONE: KeyPerms = KeyPerms {
        read: false,
        write: false,
    };

    /// Whether these perms include every perm of `needed`.
    pub fn covers(self, needed: KeyPerms) -> bool {
        (self.read || !needed.read) && (self.write || !needed.write)
    }

    pub fn union(self, other: KeyPerms) -> KeyPerms {
        KeyPerms {
            read: self.read || other.read,
            write: self.write || other.write,
        }
    }
}

/// One rule that applies to a selector (the root one or a `(...)` one).
#[derive(Debug, Clone, PartialEq)]
pub enum SelectorRule {
    /// `allcommands` / `+@all`.
    AllCommands,
    /// `nocommands` / `-@all`.
    NoCommands,
    /// `+cmd` or `+cmd|sub`: the command (with all its subcommands when it
    /// is a container) becomes allowed.
    AllowCommand(CommandId),
    /// `-cmd` or `-cmd|sub`.
    DenyCommand(CommandId),
    /// `+cmd|arg` for a command without subcommands (deprecated in Redis):
    /// the command is allowed when its first argument equals `first_arg`
    /// (ASCII case-insensitively).
    AllowFirstArg {
        command: CommandId,
        first_arg: Bytes,
    },
    /// `+@cat`.
    AllowCategory(Category),
    /// `-@cat`.
    DenyCategory(Category),
    /// `allkeys` / `~*`.
    AllKeys,
    /// `resetkeys`.
    ResetKeys,
    /// `~pat`, `%R~pat`, `%W~pat`, `%RW~pat`.
    KeyPattern { pattern: Bytes, perms: KeyPerms },
    /// A malformed `~`/`%` rule. Redis first refuses any pattern after
    /// `allkeys` and only then looks at the syntax, so applying this fails
    /// with [`RuleErrorKind::KeyPatternAfterAllKeys`] or a syntax error.
    InvalidKeyPattern,
    /// `allchannels` / `&*`.
    AllChannels,
    /// `resetchannels`.
    ResetChannels,
    /// `&pat`.
    ChannelPattern(Bytes),
    /// A malformed `&` rule (see [`SelectorRule::InvalidKeyPattern`]).
    InvalidChannelPattern,
    /// Valkey 9.1 `alldbs`.
    AllDatabases,
    /// Valkey 9.1 `resetdbs`.
    ResetDatabases,
    /// Valkey 9.1 `db=0,1`: exactly these databases.
    Databases(BTreeSet<u32>),
    /// A token that could not be parsed; applying it fails with this error.
    Invalid(RuleErrorKind),
}

/// One parsed rule of `ACL SETUSER`, a `user` config line or an ACL file.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    On,
    Off,
    NoPass,
    ResetPass,
    /// `>password` or `#hash`.
    AddPassword(PasswordHash),
    /// `<password` or `!hash`.
    RemovePassword(PasswordHash),
    SanitizePayload,
    SkipSanitizePayload,
    /// `reset`: back to a freshly created user.
    Reset,
    ClearSelectors,
    /// `(rules...)`: a new selector, built by applying these in order.
    NewSelector(Vec<SelectorRule>),
    /// Anything else applies to the root selector.
    Root(SelectorRule),
}

/// Parses `ACL SETUSER`-style arguments (selector parentheses merged as
/// Redis merges them) into rules, resolving command and category names.
/// Empty arguments are no-ops and produce no rule. The first argument that
/// cannot be parsed is reported; errors that depend on the user's state
/// are reported when the rules are applied.
pub fn parse_rules(args: &[Bytes]) -> Result<Vec<Rule>, AclError> {
    let merged = merge_selector_args(args)?;
    let mut rules = Vec::with_capacity(merged.len());
    for arg in &merged {
        let Some(rule) = parse_rule(arg) else {
            continue;
        };
        if let Some(kind) = first_parse_error(&rule) {
            return Err(modifier_error(arg, kind));
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// The `Error in ACL SETUSER modifier '<arg>': <msg>` error.
pub(crate) fn modifier_error(arg: &[u8], kind: RuleErrorKind) -> AclError {
    AclError::Modifier {
        arg: CText::new(arg),
        kind,
    }
}

/// Redis formats arguments with `%s`, which stops at the first NUL.
pub(crate) fn lossy_c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn first_parse_error(rule: &Rule) -> Option<RuleErrorKind> {
    let invalid = |r: &SelectorRule| match r {
        SelectorRule::Invalid(kind) => Some(*kind),
        SelectorRule::InvalidKeyPattern | SelectorRule::InvalidChannelPattern => {
            Some(RuleErrorKind::Syntax)
        }
        _ => None,
    };
    match rule {
        Rule::Root(r) => invalid(r),
        Rule::NewSelector(rules) => rules.iter().find_map(invalid),
        _ => None,
    }
}

/// Joins the arguments of a selector split over several arguments
/// (`(~a`, `+get)` → `(~a +get)`), as Redis's `ACLMergeSelectorArguments`.
/// An argument that starts with `(` and does not end with `)` opens a
/// selector; following arguments are appended after a space until one ends
/// with `)`. If none does, the error names the opening argument.
pub fn merge_selector_args(args: &[Bytes]) -> Result<Vec<Vec<u8>>, AclError> {
    merge_selector_args_at(args)
        .map_err(|open| AclError::UnmatchedParenthesis(CText::new(&args[open])))
}

/// Like [`merge_selector_args`], but the error is the index of the
/// argument that opened the unterminated selector.
pub(crate) fn merge_selector_args_at<A: AsRef<[u8]>>(args: &[A]) -> Result<Vec<Vec<u8>>, usize> {
    let mut merged = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (index, arg) in args.iter().enumerate() {
        let arg = arg.as_ref();
        match &mut open {
            None if arg.first() == Some(&b'(') && arg.last() != Some(&b')') => {
                open = Some((index, arg.to_vec()))
            }
            None => merged.push(arg.to_vec()),
            Some((_, selector)) => {
                selector.push(b' ');
                selector.extend_from_slice(arg);
                if arg.last() == Some(&b')') {
                    if let Some((_, done)) = open.take() {
                        merged.push(done);
                    }
                }
            }
        }
    }
    match open {
        Some((index, _)) => Err(index),
        None => Ok(merged),
    }
}

/// Parses one (merged) argument. `None` for the empty argument, a no-op.
pub fn parse_rule(op: &[u8]) -> Option<Rule> {
    if op.is_empty() {
        return None;
    }
    let keyword = |k: &str| op.eq_ignore_ascii_case(k.as_bytes());
    let rule = if keyword("on") {
        Rule::On
    } else if keyword("off") {
        Rule::Off
    } else if keyword("skip-sanitize-payload") {
        Rule::SkipSanitizePayload
    } else if keyword("sanitize-payload") {
        Rule::SanitizePayload
    } else if keyword("nopass") {
        Rule::NoPass
    } else if keyword("resetpass") {
        Rule::ResetPass
    } else if op[0] == b'>' || op[0] == b'#' {
        match password_hash(op) {
            Some(hash) => Rule::AddPassword(hash),
            None => Rule::Root(SelectorRule::Invalid(RuleErrorKind::BadHash)),
        }
    } else if op[0] == b'<' || op[0] == b'!' {
        match password_hash(op) {
            Some(hash) => Rule::RemovePassword(hash),
            None => Rule::Root(SelectorRule::Invalid(RuleErrorKind::BadHash)),
        }
    } else if op[0] == b'(' && op[op.len() - 1] == b')' {
        Rule::NewSelector(parse_selector_body(&op[1..op.len() - 1]))
    } else if keyword("clearselectors") {
        Rule::ClearSelectors
    } else if keyword("reset") {
        Rule::Reset
    } else {
        Rule::Root(parse_selector_rule(op))
    };
    Some(rule)
}

/// `>pw`/`<pw` hash the cleartext; `#hex`/`!hex` must be a valid hash.
fn password_hash(op: &[u8]) -> Option<PasswordHash> {
    match op[0] {
        b'>' | b'<' => Some(PasswordHash::of_password(&op[1..])),
        _ => PasswordHash::from_hex(&op[1..]),
    }
}

/// The inside of `( ... )`, tokenised with Redis's quoting rules. Redis
/// treats malformed quoting as an empty selector, and so do we.
fn parse_selector_body(body: &[u8]) -> Vec<SelectorRule> {
    split_args(body)
        .unwrap_or_default()
        .iter()
        .map(|token| parse_selector_rule(token))
        .collect()
}

/// Parses one selector-level token (`ACLSetSelector`'s grammar).
pub fn parse_selector_rule(op: &[u8]) -> SelectorRule {
    let keyword = |k: &str| op.eq_ignore_ascii_case(k.as_bytes());
    if keyword("allkeys") || op == b"~*" {
        SelectorRule::AllKeys
    } else if keyword("resetkeys") {
        SelectorRule::ResetKeys
    } else if keyword("allchannels") || op == b"&*" {
        SelectorRule::AllChannels
    } else if keyword("resetchannels") {
        SelectorRule::ResetChannels
    } else if keyword("allcommands") || keyword("+@all") {
        SelectorRule::AllCommands
    } else if keyword("nocommands") || keyword("-@all") {
        SelectorRule::NoCommands
    } else if keyword("alldbs") {
        SelectorRule::AllDatabases
    } else if keyword("resetdbs") {
        SelectorRule::ResetDatabases
    } else if op.len() >= 3 && op[..3].eq_ignore_ascii_case(b"db=") {
        parse_databases(&op[3..])
    } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
        parse_key_pattern(op)
    } else if op.first() == Some(&b'&') {
        if has_space_or_nul(&op[1..]) {
            SelectorRule::InvalidChannelPattern
        } else {
            SelectorRule::ChannelPattern(Bytes::copy_from_slice(&op[1..]))
        }
    } else if op.first() == Some(&b'+') && op.get(1) != Some(&b'@') {
        parse_allow_command(&op[1..])
    } else if op.first() == Some(&b'-') && op.get(1) != Some(&b'@') {
        match lookup_command_rule(&op[1..]) {
            Some(cmd) => SelectorRule::DenyCommand(cmd.id),
            None => SelectorRule::Invalid(RuleErrorKind::UnknownCommand),
        }
    } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
        match Category::from_name(&op[2..]) {
            Some(category) if op[0] == b'+' => SelectorRule::AllowCategory(category),
            Some(category) => SelectorRule::DenyCategory(category),
            None => SelectorRule::Invalid(RuleErrorKind::UnknownCommand),
        }
    } else {
        SelectorRule::Invalid(RuleErrorKind::Syntax)
    }
}

/// `~pat` (read and write) or `%<letters>~pat`. Letters are R and W, each
/// at most once, any case; Valkey also accepts a missing `~` (`%R` is the
/// empty pattern with read permission), but not a missing letter (`%~x`).
fn parse_key_pattern(op: &[u8]) -> SelectorRule {
    let (perms, pattern) = if op[0] == b'~' {
        (KeyPerms::READ_WRITE, &op[1..])
    } else {
        let mut perms = KeyPerms::NONE;
        let mut offset = 1;
        while offset < op.len() {
            match op[offset] {
                b'r' | b'R' if !perms.read => perms.read = true,
                b'w' | b'W' if !perms.write => perms.write = true,
                b'~' => {
                    offset += 1;
                    break;
                }
                _ => return SelectorRule::InvalidKeyPattern,
            }
            offset += 1;
        }
        if perms == KeyPerms::NONE {
            return SelectorRule::InvalidKeyPattern;
        }
        (perms, &op[offset..])
    };
    if has_space_or_nul(pattern) {
        return SelectorRule::InvalidKeyPattern;
    }
    SelectorRule::KeyPattern {
        pattern: Bytes::copy_from_slice(pattern),
        perms,
    }
}

/// `+cmd`, `+cmd|sub`, or the deprecated `+cmd|firstarg`. The split is at
/// the last `|`, so `+config|get|x` names the subcommand `config|get`.
fn parse_allow_command(name: &[u8]) -> SelectorRule {
    let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
        return match lookup_command_rule(name) {
            Some(cmd) => SelectorRule::AllowCommand(cmd.id),
            None => SelectorRule::Invalid(RuleErrorKind::UnknownCommand),
        };
    };
    let (base, first_arg) = (&name[..bar], &name[bar + 1..]);
    let Some(cmd) = lookup_command_rule(base) else {
        return SelectorRule::Invalid(RuleErrorKind::UnknownCommand);
    };
    if cmd.parent.is_some() {
        return SelectorRule::Invalid(RuleErrorKind::FirstArgOfSubcommand);
    }
    if first_arg.is_empty() {
        return SelectorRule::Invalid(RuleErrorKind::Syntax);
    }
    if cmd.is_container() {
        return match lookup_command_rule(name) {
            Some(sub) => SelectorRule::AllowCommand(sub.id),
            None => SelectorRule::Invalid(RuleErrorKind::UnknownCommand),
        };
    }
    SelectorRule::AllowFirstArg {
        command: cmd.id,
        first_arg: Bytes::copy_from_slice(first_arg),
    }
}

/// Resolves `cmd` or `cmd|sub` as Redis's `lookupCommandBySds`: at most one
/// `|`, and only containers have subcommands.
pub fn lookup_command_rule(name: &[u8]) -> Option<&'static Command> {
    let table = CommandTable::global();
    let mut parts = name.split(|&c| c == b'|');
    let first = parts.next()?;
    match (parts.next(), parts.next()) {
        (None, _) => table.lookup(first),
        (Some(sub), None) => {
            let container = table.lookup(first)?;
            if !container.is_container() {
                return None;
            }
            table.lookup_subcommand(container, sub)
        }
        (Some(_), Some(_)) => None,
    }
}

/// `db=<id>[,<id>...]`: decimal ids in `0..=i32::MAX`.
fn parse_databases(list: &[u8]) -> SelectorRule {
    let mut ids = BTreeSet::new();
    for part in list.split(|&c| c == b',') {
        let Some(id) = parse_integer(part) else {
            return SelectorRule::Invalid(RuleErrorKind::Syntax);
        };
        if !(0..=i64::from(i32::MAX)).contains(&id) {
            return SelectorRule::Invalid(RuleErrorKind::DatabaseOutOfRange);
        }
        ids.insert(id as u32);
    }
    SelectorRule::Databases(ids)
}

/// A strict decimal integer as Redis's `string2ll` accepts it: optional
/// `-`, no `+`, no leading zeros, no spaces, fits in an i64.
pub fn parse_integer(text: &[u8]) -> Option<i64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let well_formed = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits == b"0" || digits[0] != b'0')
        && text != b"-0";
    if !well_formed {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Patterns and usernames may not contain whitespace or NUL.
pub(crate) fn has_space_or_nul(text: &[u8]) -> bool {
    text.iter().any(|&c| c == 0 || is_space(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Bytes> {
        list.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn merging_joins_split_selectors() {
        let merged = merge_selector_args(&args(&["on", "(~a", "+get)", "()", "(+set)"])).unwrap();
        assert_eq!(
            merged,
            vec![
                b"on".to_vec(),
                b"(~a +get)".to_vec(),
                b"()".to_vec(),
                b"(+set)".to_vec()
            ]
        );
    }

    #[test]
    fn unterminated_selector_names_its_opening_argument() {
        let err = merge_selector_args(&args(&["on", "(+get", "~a"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unmatched parenthesis in acl selector starting at '(+get'."
        );
        assert_eq!(merge_selector_args_at(&args(&["(", "x"])), Err(0));
    }

    #[test]
    fn user_level_keywords_are_case_insensitive() {
        assert_eq!(parse_rule(b"ON"), Some(Rule::On));
        assert_eq!(parse_rule(b"Off"), Some(Rule::Off));
        assert_eq!(parse_rule(b"NOPASS"), Some(Rule::NoPass));
        assert_eq!(parse_rule(b"resetPass"), Some(Rule::ResetPass));
        assert_eq!(parse_rule(b"Sanitize-Payload"), Some(Rule::SanitizePayload));
        assert_eq!(
            parse_rule(b"skip-sanitize-payload"),
            Some(Rule::SkipSanitizePayload)
        );
        assert_eq!(parse_rule(b"RESET"), Some(Rule::Reset));
        assert_eq!(parse_rule(b"clearSelectors"), Some(Rule::ClearSelectors));
        assert_eq!(parse_rule(b""), None);
    }

    #[test]
    fn passwords_and_hashes() {
        assert_eq!(
            parse_rule(b">secret"),
            Some(Rule::AddPassword(PasswordHash::of_password(b"secret")))
        );
        assert_eq!(
            parse_rule(b">"),
            Some(Rule::AddPassword(PasswordHash::of_password(b"")))
        );
        assert_eq!(
            parse_rule(b"<secret"),
            Some(Rule::RemovePassword(PasswordHash::of_password(b"secret")))
        );
        let hex = PasswordHash::of_password(b"x").as_str().to_string();
        assert_eq!(
            parse_rule(format!("#{hex}").as_bytes()),
            Some(Rule::AddPassword(PasswordHash::of_password(b"x")))
        );
        assert_eq!(
            parse_rule(format!("!{hex}").as_bytes()),
            Some(Rule::RemovePassword(PasswordHash::of_password(b"x")))
        );
        assert_eq!(
            parse_rule(b"#abc"),
            Some(Rule::Root(SelectorRule::Invalid(RuleErrorKind::BadHash)))
        );
        assert_eq!(
            parse_rule(format!("#{}", hex.to_uppercase()).as_bytes()),
            Some(Rule::Root(SelectorRule::Invalid(RuleErrorKind::BadHash)))
        );
        assert_eq!(
            parse_rule(b"!zz"),
            Some(Rule::Root(SelectorRule::Invalid(RuleErrorKind::BadHash)))
        );
    }

    #[test]
    fn key_patterns() {
        let rw = |p: &str| SelectorRule::KeyPattern {
            pattern: Bytes::copy_from_slice(p.as_bytes()),
            perms: KeyPerms::READ_WRITE,
        };
        let read = KeyPerms {
            read: true,
            write: false,
        };
        let write = KeyPerms {
            read: false,
            write: true,
        };
        assert_eq!(parse_selector_rule(b"~foo*"), rw("foo*"));
        assert_eq!(parse_selector_rule(b"~"), rw(""));
        assert_eq!(parse_selector_rule(b"~*"), SelectorRule::AllKeys);
        assert_eq!(parse_selector_rule(b"ALLKEYS"), SelectorRule::AllKeys);
        assert_eq!(parse_selector_rule(b"%RW~*"), rw("*"));
        assert_eq!(parse_selector_rule(b"%wr~x"), rw("x"));
        assert_eq!(
            parse_selector_rule(b"%R~x"),
            SelectorRule::KeyPattern {
                pattern: Bytes::from_static(b"x"),
                perms: read
            }
        );
        assert_eq!(
            parse_selector_rule(b"%W~x"),
            SelectorRule::KeyPattern {
                pattern: Bytes::from_static(b"x"),
                perms: write
            }
        );
        assert_eq!(
            parse_selector_rule(b"%R"),
            SelectorRule::KeyPattern {
                pattern: Bytes::new(),
                perms: read
            }
        );
        for bad in ["%~x", "%X~a", "%RR~a", "%", "~a b", "%R~a\tb", "%WW~"] {
            assert_eq!(
                parse_selector_rule(bad.as_bytes()),
                SelectorRule::InvalidKeyPattern,
                "{bad}"
            );
        }
        assert_eq!(
            parse_selector_rule(b"~a\0b"),
            SelectorRule::InvalidKeyPattern
        );
    }

    #[test]
    fn channel_patterns() {
        assert_eq!(parse_selector_rule(b"&*"), SelectorRule::AllChannels);
        assert_eq!(
            parse_selector_rule(b"AllChannels"),
            SelectorRule::AllChannels
        );
        assert_eq!(
            parse_selector_rule(b"resetchannels"),
            SelectorRule::ResetChannels
        );
        assert_eq!(
            parse_selector_rule(b"&news.*"),
            SelectorRule::ChannelPattern(Bytes::from_static(b"news.*"))
        );
        assert_eq!(
            parse_selector_rule(b"&"),
            SelectorRule::ChannelPattern(Bytes::new())
        );
        assert_eq!(
            parse_selector_rule(b"&a b"),
            SelectorRule::InvalidChannelPattern
        );
    }

    #[test]
    fn databases() {
        assert_eq!(
            parse_selector_rule(b"db=1,0,1"),
            SelectorRule::Databases([0, 1].into_iter().collect())
        );
        assert_eq!(
            parse_selector_rule(b"DB=7"),
            SelectorRule::Databases([7].into_iter().collect())
        );
        assert_eq!(
            parse_selector_rule(b"db=2147483647"),
            SelectorRule::Databases([i32::MAX as u32].into_iter().collect())
        );
        assert_eq!(
            parse_selector_rule(b"db=2147483648"),
            SelectorRule::Invalid(RuleErrorKind::DatabaseOutOfRange)
        );
        assert_eq!(
            parse_selector_rule(b"db=-1"),
            SelectorRule::Invalid(RuleErrorKind::DatabaseOutOfRange)
        );
        for bad in ["db=", "db=a", "db=1,", "db=01", "db=+1", "db= 1"] {
            assert_eq!(
                parse_selector_rule(bad.as_bytes()),
                SelectorRule::Invalid(RuleErrorKind::Syntax),
                "{bad}"
            );
        }
        assert_eq!(parse_selector_rule(b"alldbs"), SelectorRule::AllDatabases);
        assert_eq!(
            parse_selector_rule(b"ResetDbs"),
            SelectorRule::ResetDatabases
        );
    }

    #[test]
    fn command_keywords_and_syntax_errors() {
        assert_eq!(parse_selector_rule(b"+@ALL"), SelectorRule::AllCommands);
        assert_eq!(
            parse_selector_rule(b"allcommands"),
            SelectorRule::AllCommands
        );
        assert_eq!(parse_selector_rule(b"-@all"), SelectorRule::NoCommands);
        assert_eq!(parse_selector_rule(b"nocommands"), SelectorRule::NoCommands);
        assert_eq!(
            parse_selector_rule(b"bogus"),
            SelectorRule::Invalid(RuleErrorKind::Syntax)
        );
        assert_eq!(
            parse_selector_rule(b""),
            SelectorRule::Invalid(RuleErrorKind::Syntax)
        );
        assert_eq!(
            parse_selector_rule(b"+@nocat"),
            SelectorRule::Invalid(RuleErrorKind::UnknownCommand)
        );
        assert_eq!(
            parse_selector_rule(b"-@"),
            SelectorRule::Invalid(RuleErrorKind::UnknownCommand)
        );
        assert_eq!(
            parse_selector_rule(b"+@Hash"),
            SelectorRule::AllowCategory(Category::Hash)
        );
        assert_eq!(
            parse_selector_rule(b"-@read"),
            SelectorRule::DenyCategory(Category::Read)
        );
    }

    #[test]
    fn user_level_tokens_inside_selectors_are_syntax_errors() {
        for inner in ["(on)", "(>p)", "(reset)", "(nopass)", "(clearselectors)"] {
            assert_eq!(
                parse_rule(inner.as_bytes()),
                Some(Rule::NewSelector(vec![SelectorRule::Invalid(
                    RuleErrorKind::Syntax
                )])),
                "{inner}"
            );
        }
        assert_eq!(parse_rule(b"()"), Some(Rule::NewSelector(vec![])));
        assert_eq!(parse_rule(b"(\"x)"), Some(Rule::NewSelector(vec![])));
        assert_eq!(
            parse_rule(b")"),
            Some(Rule::Root(SelectorRule::Invalid(RuleErrorKind::Syntax)))
        );
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_integer(b"0"), Some(0));
        assert_eq!(parse_integer(b"-5"), Some(-5));
        assert_eq!(parse_integer(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer(b"9223372036854775808"), None);
        for bad in ["", "-", "-0", "007", "+1", "1a", " 1"] {
            assert_eq!(parse_integer(bad.as_bytes()), None, "{bad}");
        }
    }
}
