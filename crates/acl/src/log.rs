//! The ACL log.
//!
//! Redis keeps recent denials newest first and folds repeats together: an
//! event equal to one of the 10 newest entries in reason, context, object
//! and username, within 60 seconds of that entry's last update, bumps the
//! entry's count (taking the new client info and time) and moves it to the
//! head instead of adding a line. The length limit is enforced only when
//! an entry is added, so lowering `acllog-max-len` keeps old entries until
//! the next event; with a limit of 0 that event empties the log and is not
//! recorded.
//!
//! An entry's client info is whatever the caller captured (`C`): the
//! server stores a structured snapshot of the client's fields and writes
//! the `CLIENT LIST`-style line only when `ACL LOG` is read, because a
//! repeated denial replaces the snapshot every time and formatting the
//! line per denial would be most of what refusing a command costs.

use crate::check::DenyReason;
use bytes::Bytes;
use std::collections::VecDeque;

/// How many of the newest entries a new event may be folded into.
const GROUPING_SCAN: usize = 10;
/// How far apart (ms) two events may be and still be folded together.
const GROUPING_MAX_DELTA_MS: i64 = 60_000;
/// `acllog-max-len`'s default.
pub const DEFAULT_MAX_LEN: usize = 128;

/// Where a denial happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogContext {
    Toplevel,
    Multi,
    Lua,
    Module,
}

impl LogContext {
    /// The `context` field of `ACL LOG`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogContext::Toplevel => "toplevel",
            LogContext::Multi => "multi",
            LogContext::Lua => "lua",
            LogContext::Module => "module",
        }
    }
}

/// The `reason` field of `ACL LOG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogReason {
    Command,
    Key,
    Channel,
    Auth,
    /// Valkey 9.1 database permissions.
    Database,
}

impl LogReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LogReason::Command => "command",
            LogReason::Key => "key",
            LogReason::Channel => "channel",
            LogReason::Auth => "auth",
            LogReason::Database => "database",
        }
    }
}

impl From<DenyReason> for LogReason {
    fn from(reason: DenyReason) -> LogReason {
        match reason {
            DenyReason::Command => LogReason::Command,
            DenyReason::Key => LogReason::Key,
            DenyReason::Channel => LogReason::Channel,
            DenyReason::Database => LogReason::Database,
        }
    }
}

/// A new event to record, as the tests write one (the server records
/// with [`AclLog::record_denial`] and [`AclLog::record_auth_failure`]).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent<C = String> {
    pub reason: LogReason,
    pub context: LogContext,
    /// Command full name, key, channel, or for auth argv[0] as typed.
    pub object: Bytes,
    pub username: Bytes,
    /// The client's `CLIENT LIST` line, or what it is written from.
    pub client_info: C,
}

/// A log entry: the 10 fields of `ACL LOG`, `age-seconds` computed from
/// [`LogEntry::age_seconds`].
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry<C = String> {
    pub count: u64,
    pub reason: LogReason,
    pub context: LogContext,
    pub object: Bytes,
    pub username: Bytes,
    pub client_info: C,
    pub entry_id: u64,
    pub timestamp_created: i64,
    pub timestamp_last_updated: i64,
}

impl<C> LogEntry<C> {
    /// Seconds since the last update, with millisecond precision.
    pub fn age_seconds(&self, now_ms: i64) -> f64 {
        (now_ms - self.timestamp_last_updated) as f64 / 1000.0
    }

    /// Whether an event with these fields folds into this entry.
    fn groups_with(
        &self,
        reason: LogReason,
        context: LogContext,
        object: &[u8],
        username: &[u8],
        now_ms: i64,
    ) -> bool {
        self.reason == reason
            && self.context == context
            && (now_ms - self.timestamp_last_updated).abs() <= GROUPING_MAX_DELTA_MS
            && self.object.as_ref() == object
            && self.username.as_ref() == username
    }
}

/// The log, newest first.
#[derive(Debug)]
pub struct AclLog<C = String> {
    entries: VecDeque<LogEntry<C>>,
    max_len: usize,
    /// Entries ever created: the next entry's id.
    created: u64,
}

impl<C> Default for AclLog<C> {
    fn default() -> AclLog<C> {
        AclLog::new(DEFAULT_MAX_LEN)
    }
}

impl<C> AclLog<C> {
    pub fn new(max_len: usize) -> AclLog<C> {
        AclLog {
            entries: VecDeque::new(),
            max_len,
            created: 0,
        }
    }

    /// Records an event at `now_ms` (Unix time in milliseconds).
    #[cfg(test)]
    pub fn record(&mut self, event: LogEvent<C>, now_ms: i64) {
        self.record_fields(
            event.reason,
            event.context,
            &event.object,
            &event.username,
            event.client_info,
            now_ms,
        );
    }

    /// Records a permission denial.
    pub fn record_denial(
        &mut self,
        reason: DenyReason,
        context: LogContext,
        object: &[u8],
        username: &[u8],
        client_info: C,
        now_ms: i64,
    ) {
        self.record_fields(
            reason.into(),
            context,
            object,
            username,
            client_info,
            now_ms,
        );
    }

    /// Records a failed AUTH/HELLO: the object is the command as typed,
    /// the username the one attempted; `context` is where it ran (an
    /// AUTH queued in MULTI is logged as `multi`, and folds with other
    /// `multi` entries only).
    pub fn record_auth_failure(
        &mut self,
        typed_command: &[u8],
        username: &[u8],
        context: LogContext,
        client_info: C,
        now_ms: i64,
    ) {
        self.record_fields(
            LogReason::Auth,
            context,
            typed_command,
            username,
            client_info,
            now_ms,
        );
    }

    /// Folds the event into a recent entry or adds one. The object and
    /// username are copied only for a new entry: a denied command is
    /// typically repeated, and a repeat just refreshes the entry's count,
    /// time and client info, allocating nothing.
    fn record_fields(
        &mut self,
        reason: LogReason,
        context: LogContext,
        object: &[u8],
        username: &[u8],
        client_info: C,
        now_ms: i64,
    ) {
        if self.max_len == 0 {
            self.entries.clear();
            return;
        }
        let scan = self.entries.len().min(GROUPING_SCAN);
        if let Some(position) = self
            .entries
            .range(..scan)
            .position(|e| e.groups_with(reason, context, object, username, now_ms))
        {
            // To the head (a repeat of the newest entry is already there).
            if position > 0 {
                if let Some(entry) = self.entries.remove(position) {
                    self.entries.push_front(entry);
                }
            }
            if let Some(entry) = self.entries.front_mut() {
                entry.count += 1;
                entry.client_info = client_info;
                entry.timestamp_last_updated = now_ms;
            }
            return;
        }
        self.entries.push_front(LogEntry {
            count: 1,
            reason,
            context,
            object: Bytes::copy_from_slice(object),
            username: Bytes::copy_from_slice(username),
            client_info,
            entry_id: self.created,
            timestamp_created: now_ms,
            timestamp_last_updated: now_ms,
        });
        self.created += 1;
        self.entries.truncate(self.max_len);
    }

    /// Up to `count` entries, newest first (`ACL LOG [count]`; negative
    /// counts give none).
    pub fn entries(&self, count: i64) -> impl Iterator<Item = &LogEntry<C>> {
        let count = usize::try_from(count).unwrap_or(0);
        self.entries.iter().take(count)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `ACL LOG RESET`. Entry ids keep counting.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// `acllog-max-len`; takes effect at the next insertion.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len;
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(object: &str, user: &str) -> LogEvent {
        LogEvent {
            reason: LogReason::Command,
            context: LogContext::Toplevel,
            object: Bytes::copy_from_slice(object.as_bytes()),
            username: Bytes::copy_from_slice(user.as_bytes()),
            client_info: format!("id=1 cmd={object}"),
        }
    }

    fn objects(log: &AclLog) -> Vec<String> {
        log.entries(i64::MAX)
            .map(|e| String::from_utf8_lossy(&e.object).into_owned())
            .collect()
    }

    #[test]
    fn repeats_are_grouped_and_moved_to_the_head() {
        let mut log = AclLog::default();
        log.record(event("get", "u"), 1_000);
        log.record(event("set", "u"), 2_000);
        let mut again = event("get", "u");
        again.client_info = "id=2".into();
        log.record(again, 3_000);
        assert_eq!(objects(&log), ["get", "set"]);
        let head = log.entries(1).next().unwrap();
        assert_eq!(
            (
                head.count,
                head.entry_id,
                head.timestamp_created,
                head.timestamp_last_updated
            ),
            (2, 0, 1_000, 3_000)
        );
        assert_eq!(head.client_info, "id=2");
        assert_eq!(head.age_seconds(3_301), 0.301);
    }

    #[test]
    fn grouping_needs_the_same_user_context_reason_and_60_seconds() {
        let mut log = AclLog::default();
        log.record(event("get", "u"), 0);
        log.record(event("get", "v"), 0);
        let mut multi = event("get", "u");
        multi.context = LogContext::Multi;
        log.record(multi, 0);
        let mut key = event("get", "u");
        key.reason = LogReason::Key;
        log.record(key, 0);
        assert_eq!(log.len(), 4);
        log.record(event("get", "u"), 60_000);
        assert_eq!(log.len(), 4, "exactly 60 s apart still groups");
        log.record(event("get", "u"), 120_001);
        assert_eq!(log.len(), 5);
        assert_eq!(log.entries(1).next().unwrap().entry_id, 4);
    }

    #[test]
    fn only_the_ten_newest_entries_are_grouping_candidates() {
        let mut log = AclLog::default();
        log.record(event("old", "u"), 0);
        for i in 0..10 {
            log.record(event(&format!("k{i}"), "u"), 0);
        }
        log.record(event("old", "u"), 0);
        assert_eq!(log.len(), 12);
        assert_eq!(log.entries(1).next().unwrap().count, 1);
    }

    #[test]
    fn trimming_happens_only_on_insert() {
        let mut log = AclLog::new(3);
        for i in 0..5 {
            log.record(event(&format!("k{i}"), "u"), 0);
        }
        assert_eq!(objects(&log), ["k4", "k3", "k2"]);
        log.set_max_len(1);
        assert_eq!(log.len(), 3, "lowering the limit keeps entries");
        log.record(event("k5", "u"), 0);
        assert_eq!(objects(&log), ["k5"]);
        log.set_max_len(0);
        log.record(event("k6", "u"), 0);
        assert!(
            log.is_empty(),
            "limit 0 empties the log and records nothing"
        );
    }

    #[test]
    fn counts_reset_and_auth_failures() {
        let mut log = AclLog::default();
        for i in 0..3 {
            log.record(event(&format!("k{i}"), "u"), 0);
        }
        assert_eq!(log.entries(-1).count(), 0);
        assert_eq!(log.entries(2).count(), 2);
        log.reset();
        assert!(log.is_empty());
        log.record_auth_failure(b"AUTH", b"nobody", LogContext::Toplevel, "id=9".into(), 5);
        let entry = log.entries(10).next().unwrap();
        assert_eq!(
            (entry.reason.as_str(), entry.context.as_str()),
            ("auth", "toplevel")
        );
        assert_eq!(
            (&entry.object[..], &entry.username[..], entry.entry_id),
            (&b"AUTH"[..], &b"nobody"[..], 3)
        );
    }
}
