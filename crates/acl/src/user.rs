//! A user: flags, password hashes and selectors (the first is the root).

use crate::check::{check_request, Denial};
use crate::error::{AclError, RuleErrorKind};
use crate::password::PasswordHash;
use crate::rules::{merge_selector_args, modifier_error, parse_rule, Rule, SelectorRule};
use crate::selector::Selector;
use bytes::Bytes;
use moat_commands::Command;

/// `acl-pubsub-default`: the channel rights of newly created users and selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PubsubDefault {
    AllChannels,
    #[default]
    ResetChannels,
}

/// A user. Immutable once built: changes make a new `User` that replaces
/// this one in the [`crate::Registry`], so a connection can keep an
/// `Arc<User>` snapshot and check against it without locks.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub(crate) name: Bytes,
    pub(crate) enabled: bool,
    pub(crate) nopass: bool,
    pub(crate) skip_sanitize_payload: bool,
    pub(crate) passwords: Vec<PasswordHash>,
    /// Never empty: `selectors[0]` is the root selector.
    pub(crate) selectors: Vec<Selector>,
}

/// The fields of `ACL GETUSER`, in Redis's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub flags: Vec<&'static str>,
    pub passwords: Vec<String>,
    pub commands: String,
    pub keys: Vec<u8>,
    pub channels: Vec<u8>,
    /// Valkey 9.1: `alldbs` or `db=0,1`.
    pub databases: String,
    pub selectors: Vec<SelectorView>,
}

/// The fields of one non-root selector in `ACL GETUSER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorView {
    pub commands: String,
    pub keys: Vec<u8>,
    pub channels: Vec<u8>,
    /// Valkey 9.1: `alldbs` or `db=0,1`.
    pub databases: String,
}

impl User {
    /// A freshly created user, as `ACL SETUSER <new name>` makes it:
    /// `off`, `sanitize-payload`, no password, `-@all`, no keys, and every
    /// channel only under `acl-pubsub-default allchannels`.
    pub fn new(name: &[u8], pubsub_default: PubsubDefault) -> User {
        User {
            name: Bytes::copy_from_slice(name),
            enabled: false,
            nopass: false,
            skip_sanitize_payload: false,
            passwords: Vec::new(),
            selectors: vec![Selector::new(pubsub_default)],
        }
    }

    /// The boot-time `default` user: `on nopass sanitize-payload ~* &* +@all`
    /// (every channel whatever `acl-pubsub-default` says).
    pub fn boot_default() -> User {
        let mut user = User::new(b"default", PubsubDefault::ResetChannels);
        for rule in [
            SelectorRule::AllCommands,
            SelectorRule::AllKeys,
            SelectorRule::AllChannels,
        ] {
            user.root_mut()
                .apply(&rule)
                .expect("the default user's rules always apply");
        }
        user.enabled = true;
        user.nopass = true;
        user
    }

    pub fn name(&self) -> &[u8] {
        &self.name
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn is_nopass(&self) -> bool {
        self.nopass
    }

    /// `skip-sanitize-payload`: RESTORE payloads are not deep-checked.
    pub fn skips_payload_sanitization(&self) -> bool {
        self.skip_sanitize_payload
    }

    pub fn password_hashes(&self) -> &[PasswordHash] {
        &self.passwords
    }

    /// The root selector first, then the `(...)` ones in order.
    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    fn root_mut(&mut self) -> &mut Selector {
        &mut self.selectors[0]
    }

    /// Whether `password` logs this user in: enabled, and `nopass` or a
    /// stored hash equal (constant time) to sha256(password).
    pub fn authenticate(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let attempt = PasswordHash::of_password(password);
        self.passwords
            .iter()
            .fold(false, |found, stored| stored.ct_eq(&attempt) | found)
    }

    /// The permission check (see [`crate::check`]) for a client in
    /// database 0. Use [`User::check_in_db`] when database permissions
    /// (Valkey 9.1) matter.
    #[inline]
    pub fn check(&self, cmd: &Command, argv: &[Bytes]) -> Result<(), Denial> {
        self.check_in_db(cmd, argv, 0)
    }

    /// The permission check for a client whose selected database is
    /// `current_db` (MOVE/COPY sources and keyspace commands use it).
    #[inline]
    pub fn check_in_db(
        &self,
        cmd: &Command,
        argv: &[Bytes],
        current_db: i64,
    ) -> Result<(), Denial> {
        check_request(&self.selectors, cmd, argv, current_db)
    }

    /// SORT's `BY`/`GET` patterns need, in a selector that allows the
    /// whole request, unrestricted read access to keys (`allkeys` or a
    /// literal `*` pattern with read permission).
    pub fn may_sort_by_pattern(&self, cmd: &Command, argv: &[Bytes]) -> bool {
        crate::check::may_access_any_key_for_reading(&self.selectors, cmd, argv)
    }

    /// Applies one parsed rule (Redis's `ACLSetUser`). On error the user
    /// may be partially changed; callers apply to a copy.
    pub fn apply(
        &mut self,
        rule: &Rule,
        pubsub_default: PubsubDefault,
    ) -> Result<(), RuleErrorKind> {
        match rule {
            Rule::On => self.enabled = true,
            Rule::Off => self.enabled = false,
            Rule::NoPass => {
                self.nopass = true;
                self.passwords.clear();
            }
            Rule::ResetPass => {
                self.nopass = false;
                self.passwords.clear();
            }
            Rule::AddPassword(hash) => {
                if !self.passwords.contains(hash) {
                    self.passwords.push(*hash);
                }
                self.nopass = false;
            }
            Rule::RemovePassword(hash) => {
                let position = self.passwords.iter().position(|p| p == hash);
                let index = position.ok_or(RuleErrorKind::NoSuchPassword)?;
                self.passwords.remove(index);
            }
            Rule::SanitizePayload => self.skip_sanitize_payload = false,
            Rule::SkipSanitizePayload => self.skip_sanitize_payload = true,
            Rule::Reset => self.reset(pubsub_default),
            Rule::ClearSelectors => self.selectors.truncate(1),
            Rule::NewSelector(rules) => {
                let mut selector = Selector::new(pubsub_default);
                for rule in rules {
                    selector.apply(rule)?;
                }
                self.selectors.push(selector);
            }
            Rule::Root(rule) => self.root_mut().apply(rule)?,
        }
        Ok(())
    }

    /// `reset`: `resetpass resetkeys resetchannels [allchannels] alldbs
    /// off sanitize-payload clearselectors -@all`.
    fn reset(&mut self, pubsub_default: PubsubDefault) {
        self.nopass = false;
        self.passwords.clear();
        self.enabled = false;
        self.skip_sanitize_payload = false;
        self.selectors.truncate(1);
        let mut root_rules = vec![SelectorRule::ResetKeys, SelectorRule::ResetChannels];
        if pubsub_default == PubsubDefault::AllChannels {
            root_rules.push(SelectorRule::AllChannels);
        }
        root_rules.extend([SelectorRule::AllDatabases, SelectorRule::NoCommands]);
        for rule in &root_rules {
            // None of these rules can fail.
            let _ = self.root_mut().apply(rule);
        }
    }

    /// Parses and applies `ACL SETUSER`-style arguments one by one, as
    /// Redis does, stopping at the first failure (the user is then left
    /// partially changed: apply to a copy).
    pub fn apply_args(
        &mut self,
        args: &[Bytes],
        pubsub_default: PubsubDefault,
    ) -> Result<(), AclError> {
        for arg in merge_selector_args(args)? {
            if let Some(rule) = parse_rule(&arg) {
                self.apply(&rule, pubsub_default)
                    .map_err(|kind| modifier_error(&arg, kind))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication() {
        let mut user = User::new(b"u", PubsubDefault::ResetChannels);
        assert!(!user.authenticate(b""));
        user.apply(
            &Rule::AddPassword(PasswordHash::of_password(b"pw")),
            PubsubDefault::ResetChannels,
        )
        .unwrap();
        assert!(
            !user.authenticate(b"pw"),
            "a disabled user never authenticates"
        );
        user.apply(&Rule::On, PubsubDefault::ResetChannels).unwrap();
        assert!(user.authenticate(b"pw"));
        assert!(!user.authenticate(b"wrong"));
        user.apply(&Rule::NoPass, PubsubDefault::ResetChannels)
            .unwrap();
        assert!(user.authenticate(b"anything"));
        assert!(user.password_hashes().is_empty());
        user.apply(&Rule::ResetPass, PubsubDefault::ResetChannels)
            .unwrap();
        assert!(!user.authenticate(b"anything"));
    }

    #[test]
    fn passwords_are_deduplicated_and_removal_needs_presence() {
        let mut user = User::new(b"u", PubsubDefault::ResetChannels);
        let hash = PasswordHash::of_password(b"a");
        user.apply(&Rule::AddPassword(hash), PubsubDefault::ResetChannels)
            .unwrap();
        user.apply(&Rule::AddPassword(hash), PubsubDefault::ResetChannels)
            .unwrap();
        assert_eq!(user.password_hashes(), &[hash]);
        user.apply(&Rule::RemovePassword(hash), PubsubDefault::ResetChannels)
            .unwrap();
        assert_eq!(
            user.apply(&Rule::RemovePassword(hash), PubsubDefault::ResetChannels),
            Err(RuleErrorKind::NoSuchPassword)
        );
    }
}
