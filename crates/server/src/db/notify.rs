//! Keyspace notifications (`notify-keyspace-events`): handlers raise an
//! event per changed key (`set`, `del`, `expire`, `expired`...), the
//! keyspace keeps those the configured classes select, and the session
//! publishes them once the command is done, on `__keyspace@<db>__:<key>`
//! (message: the event) and `__keyevent@<db>__:<event>` (message: the
//! key), through the ordinary Pub/Sub registry. With notifications off
//! (the default) raising an event costs one flag test.

use super::Keyspace;
use bytes::Bytes;
use moat_config::NotifyFlags;

/// One raised event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub db: usize,
    pub event: &'static str,
    pub key: Bytes,
    /// Publish on `__keyspace@...`.
    pub keyspace: bool,
    /// Publish on `__keyevent@...`.
    pub keyevent: bool,
}

impl KeyEvent {
    /// The `(channel, message)` pairs to publish, keyspace first as Redis does.
    pub fn messages(&self) -> Vec<(Bytes, Bytes)> {
        let mut out = Vec::with_capacity(2);
        if self.keyspace {
            let mut channel = format!("__keyspace@{}__:", self.db).into_bytes();
            channel.extend_from_slice(&self.key);
            out.push((
                Bytes::from(channel),
                Bytes::from_static(self.event.as_bytes()),
            ));
        }
        if self.keyevent {
            let channel = format!("__keyevent@{}__:{}", self.db, self.event);
            out.push((Bytes::from(channel), self.key.clone()));
        }
        out
    }
}

impl Keyspace {
    /// Raises `event` of `class` on `key` if the configuration asks for it.
    pub fn notify(&mut self, class: NotifyFlags, event: &'static str, db: usize, key: &[u8]) {
        let flags = self.notify_flags;
        if !flags.intersects(class) {
            return;
        }
        let keyspace = flags.contains(NotifyFlags::KEYSPACE);
        let keyevent = flags.contains(NotifyFlags::KEYEVENT);
        if !keyspace && !keyevent {
            return;
        }
        self.events.push(KeyEvent {
            db,
            event,
            key: Bytes::copy_from_slice(key),
            keyspace,
            keyevent,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selected_classes_are_raised() {
        let mut ks = Keyspace::new(1);
        ks.notify(NotifyFlags::STRING, "set", 0, b"k");
        assert!(ks.events.is_empty());
        ks.notify_flags = NotifyFlags::STRING;
        ks.notify(NotifyFlags::STRING, "set", 0, b"k");
        assert!(ks.events.is_empty(), "neither K nor E");
        ks.notify_flags = NotifyFlags::STRING | NotifyFlags::KEYEVENT;
        ks.notify(NotifyFlags::GENERIC, "del", 0, b"k");
        ks.notify(NotifyFlags::STRING, "set", 0, b"k");
        assert_eq!(ks.events.len(), 1);
        assert_eq!(
            ks.events[0].messages(),
            vec![(Bytes::from("__keyevent@0__:set"), Bytes::from("k"))]
        );
    }
}
