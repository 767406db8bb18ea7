//! `ACL LIST` / `ACL SAVE` / `CONFIG REWRITE` lines and `ACL GETUSER` fields.
//!
//! The line is the user written back as rules that rebuild it:
//! `user <name> <flags> <#hashes> <keys> <channels> [<dbs>] <commands>
//! [(<selector>)...]`. Command rules are the retained, normalised text
//! (Redis 7.2), prefixed by `+@all` or `-@all` according to the
//! future-commands bit. Patterns are bytes and may not be UTF-8, so the
//! exact form is bytes; the `String` forms are for display.

use crate::selector::{DatabasePermission, Selector};
use crate::user::{SelectorView, User, UserView};

impl User {
    /// The `ACL LIST` line: `user <name> <flags> <#hashes> <root> (<sel>)...`
    /// (lossy UTF-8; see [`User::describe_bytes`] for the exact bytes).
    pub fn describe(&self) -> String {
        String::from_utf8_lossy(&self.describe_bytes()).into_owned()
    }

    /// The exact `ACL LIST` line.
    pub fn describe_bytes(&self) -> Vec<u8> {
        let mut line = b"user ".to_vec();
        line.extend_from_slice(&self.name);
        for flag in self.flag_names() {
            line.push(b' ');
            line.extend_from_slice(flag.as_bytes());
        }
        for hash in &self.passwords {
            line.extend_from_slice(b" #");
            line.extend_from_slice(hash.as_str().as_bytes());
        }
        line.push(b' ');
        line.extend_from_slice(&describe_selector(self.root()));
        for selector in &self.selectors[1..] {
            line.extend_from_slice(b" (");
            line.extend_from_slice(&describe_selector(selector));
            line.push(b')');
        }
        line
    }

    /// Flags in Redis's fixed order: `on|off`, `nopass`,
    /// `skip-sanitize-payload|sanitize-payload`.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        flags.push(if self.skip_sanitize_payload {
            "skip-sanitize-payload"
        } else {
            "sanitize-payload"
        });
        flags
    }

    /// The `ACL GETUSER` fields.
    pub fn view(&self) -> UserView {
        let root = self.root();
        UserView {
            flags: self.flag_names(),
            passwords: self
                .passwords
                .iter()
                .map(|h| h.as_str().to_string())
                .collect(),
            commands: describe_commands(root),
            keys: keys_field(root),
            channels: channels_field(root),
            databases: databases_field(root),
            selectors: self.selectors[1..]
                .iter()
                .map(|s| SelectorView {
                    commands: describe_commands(s),
                    keys: keys_field(s),
                    channels: channels_field(s),
                    databases: databases_field(s),
                })
                .collect(),
        }
    }
}

/// `<keys> <channels> [<dbs>] <commands>`, keys omitted when there are none.
pub fn describe_selector(selector: &Selector) -> Vec<u8> {
    let mut out = Vec::new();
    let keys = keys_field(selector);
    if !keys.is_empty() {
        out.extend_from_slice(&keys);
        out.push(b' ');
    }
    if selector.has_all_channels() {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for channel in selector.channel_patterns() {
            out.push(b'&');
            out.extend_from_slice(channel);
            out.push(b' ');
        }
    }
    if let DatabasePermission::Only(_) = selector.databases() {
        out.extend_from_slice(databases_field(selector).as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(describe_commands(selector).as_bytes());
    out
}

/// `+@all`/`-@all` followed by the retained command rules.
pub fn describe_commands(selector: &Selector) -> String {
    let mut out = String::from(if selector.may_run_future_commands() {
        "+@all"
    } else {
        "-@all"
    });
    for rule in &selector.command_rules {
        out.push(' ');
        out.push(if rule.allow { '+' } else { '-' });
        out.push_str(&String::from_utf8_lossy(&rule.name));
    }
    out
}

/// `~*`, or the patterns as `~p`, `%R~p`, `%W~p` joined by spaces.
fn keys_field(selector: &Selector) -> Vec<u8> {
    if selector.has_all_keys() {
        return b"~*".to_vec();
    }
    let mut out = Vec::new();
    for (i, key) in selector.key_patterns().iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(match (key.perms.read, key.perms.write) {
            (true, false) => b"%R~".as_slice(),
            (false, true) => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&key.pattern);
    }
    out
}

/// `&*`, or `&p` joined by spaces (no `resetchannels` in GETUSER).
fn channels_field(selector: &Selector) -> Vec<u8> {
    if selector.has_all_channels() {
        return b"&*".to_vec();
    }
    let mut out = Vec::new();
    for (i, channel) in selector.channel_patterns().iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'&');
        out.extend_from_slice(channel);
    }
    out
}

/// `alldbs`, `resetdbs` or `db=0,1`.
fn databases_field(selector: &Selector) -> String {
    match selector.databases() {
        DatabasePermission::All => "alldbs".to_string(),
        DatabasePermission::Only(ids) if ids.is_empty() => "resetdbs".to_string(),
        DatabasePermission::Only(ids) => {
            let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
            format!("db={}", ids.join(","))
        }
    }
}
