//! All users, by name in byte order.
//!
//! Users are shared as `Arc<User>` snapshots: a change builds a new user
//! from a copy of the old one and swaps it in only if every rule applied,
//! so a failed `ACL SETUSER` changes nothing and connections holding the
//! old snapshot are never observed half-updated.

use crate::error::AclError;
use crate::matcher::PatternSet;
use crate::rules::has_space_or_nul;
use crate::user::{PubsubDefault, User};
use bytes::Bytes;
use hashbrown::HashSet;
use std::collections::BTreeMap;
use std::sync::Arc;

const DEFAULT_USER: &[u8] = b"default";

/// The user table.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Always contains `default`.
    users: BTreeMap<Bytes, Arc<User>>,
    pubsub_default: PubsubDefault,
}

/// What `set_user` changed: the previous version (if the user existed)
/// and the new one, so the caller can re-point connections and decide
/// whether pub/sub clients must go (see [`subscriber_kill_check`]).
#[derive(Debug, Clone)]
pub struct SetUserOutcome {
    pub old: Option<Arc<User>>,
    pub new: Arc<User>,
}

impl Registry {
    /// The boot table: only `user default on nopass sanitize-payload ~* &* +@all`.
    pub fn new(pubsub_default: PubsubDefault) -> Registry {
        let mut users = BTreeMap::new();
        users.insert(
            Bytes::from_static(DEFAULT_USER),
            Arc::new(User::boot_default()),
        );
        Registry {
            users,
            pubsub_default,
        }
    }

    /// A table from loaded users; `default` is created with its boot rules
    /// when missing.
    pub(crate) fn from_users(
        users: BTreeMap<Bytes, User>,
        pubsub_default: PubsubDefault,
    ) -> Registry {
        let mut users: BTreeMap<Bytes, Arc<User>> = users
            .into_iter()
            .map(|(name, user)| (name, Arc::new(user)))
            .collect();
        users
            .entry(Bytes::from_static(DEFAULT_USER))
            .or_insert_with(|| Arc::new(User::boot_default()));
        Registry {
            users,
            pubsub_default,
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&Arc<User>> {
        self.users.get(name)
    }

    /// Every user, in byte order of the names (`ACL USERS`, `ACL LIST`).
    pub fn users(&self) -> impl Iterator<Item = &Arc<User>> {
        self.users.values()
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn default_user(&self) -> &Arc<User> {
        self.users
            .get(DEFAULT_USER)
            .expect("the registry always holds the default user")
    }

    pub fn pubsub_default(&self) -> PubsubDefault {
        self.pubsub_default
    }

    /// `acl-pubsub-default`: affects users and selectors created later.
    pub fn set_pubsub_default(&mut self, pubsub_default: PubsubDefault) {
        self.pubsub_default = pubsub_default;
    }

    /// `ACL SETUSER name rules...`: all rules apply or nothing changes.
    pub fn set_user(&mut self, name: &[u8], args: &[Bytes]) -> Result<SetUserOutcome, AclError> {
        if has_space_or_nul(name) {
            return Err(AclError::BadUsername);
        }
        let old = self.users.get(name).cloned();
        let mut user = match &old {
            Some(existing) => User::clone(existing),
            None => User::new(name, self.pubsub_default),
        };
        user.apply_args(args, self.pubsub_default)?;
        let new = Arc::new(user);
        self.users.insert(Bytes::copy_from_slice(name), new.clone());
        Ok(SetUserOutcome { old, new })
    }

    /// `ACL DELUSER`: removes the named users that exist and returns them.
    /// Naming `default` is refused and nothing is deleted.
    pub fn delete_users(&mut self, names: &[Bytes]) -> Result<Vec<Arc<User>>, AclError> {
        if names.iter().any(|n| n.as_ref() == DEFAULT_USER) {
            return Err(AclError::DefaultUserUndeletable);
        }
        Ok(names
            .iter()
            .filter_map(|name| self.users.remove(name.as_ref()))
            .collect())
    }

    /// `requirepass`: the default user gets `resetpass` then `>pw`, or
    /// `resetpass nopass` when the password is empty or unset.
    pub fn set_requirepass(&mut self, password: Option<&[u8]>) -> SetUserOutcome {
        let mut args = vec![Bytes::from_static(b"resetpass")];
        match password {
            Some(pw) if !pw.is_empty() => {
                let mut op = b">".to_vec();
                op.extend_from_slice(pw);
                args.push(Bytes::from(op));
            }
            _ => args.push(Bytes::from_static(b"nopass")),
        }
        self.set_user(DEFAULT_USER, &args)
            .expect("resetpass, nopass and >pw always apply")
    }

    /// Adds or replaces a user built elsewhere in this crate (config
    /// `user` directives).
    pub(crate) fn insert_user(&mut self, user: User) {
        self.users.insert(user.name.clone(), Arc::new(user));
    }

    /// Replaces the whole table (ACL LOAD), keeping the pub/sub default.
    pub fn replace_users(&mut self, loaded: Registry) {
        self.users = loaded.users;
    }
}

/// What decides, after a user changed, whether its pub/sub clients lose a
/// subscription they can no longer have (Redis's `getUpcomingChannelList`).
#[derive(Debug, Clone)]
pub struct ChannelKillCheck {
    upcoming: PatternSet,
    upcoming_literals: HashSet<Bytes>,
}

/// `None` when no client can have lost anything: some new selector has
/// every channel, or no old selector had every channel and each old
/// pattern is literally among the new ones.
pub fn subscriber_kill_check(old: &User, new: &User) -> Option<ChannelKillCheck> {
    if new.selectors().iter().any(|s| s.has_all_channels()) {
        return None;
    }
    let upcoming_literals: HashSet<Bytes> = new
        .selectors()
        .iter()
        .flat_map(|s| s.channel_patterns().iter().cloned())
        .collect();
    let kept_everything = old.selectors().iter().all(|s| {
        !s.has_all_channels()
            && s.channel_patterns()
                .iter()
                .all(|p| upcoming_literals.contains(p))
    });
    if kept_everything {
        return None;
    }
    let upcoming = PatternSet::new(upcoming_literals.iter().map(|p| p.as_ref()));
    Some(ChannelKillCheck {
        upcoming,
        upcoming_literals,
    })
}

impl ChannelKillCheck {
    /// Whether a client in pub/sub mode with these subscriptions must be
    /// disconnected: a pattern subscription not literally allowed, or a
    /// (shard) channel no allowed pattern matches.
    pub fn must_kill(
        &self,
        channels: &[Bytes],
        patterns: &[Bytes],
        shard_channels: &[Bytes],
    ) -> bool {
        patterns.iter().any(|p| !self.upcoming_literals.contains(p))
            || channels
                .iter()
                .chain(shard_channels)
                .any(|c| !self.upcoming.matches(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_default_is_refused() {
        let mut registry = Registry::new(PubsubDefault::ResetChannels);
        let err = registry
            .delete_users(&[
                Bytes::from_static(b"nobody"),
                Bytes::from_static(b"default"),
            ])
            .unwrap_err();
        assert_eq!(err.to_string(), "The 'default' user cannot be removed");
        assert_eq!(
            registry
                .delete_users(&[Bytes::from_static(b"nobody")])
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn usernames_cannot_contain_spaces_or_nul() {
        let mut registry = Registry::new(PubsubDefault::ResetChannels);
        for bad in [&b"a b"[..], b"a\0", b"\t", b"a\nb"] {
            assert_eq!(
                registry.set_user(bad, &[]).unwrap_err(),
                AclError::BadUsername
            );
        }
    }
}
