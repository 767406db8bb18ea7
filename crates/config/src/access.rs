//! Reading and changing the live configuration: typed accessors for the
//! server, CONFIG GET and CONFIG SET.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::directives::{DIRECTIVES, PROTECTED_ACTION};
use crate::error::ConfigSetError;
use crate::special::{ClientClass, NotifyFlags, OutputBufferLimit, ReplicaOf, SavePoint};
use crate::table::{Directive, Flags, Kind};
use crate::value::{enum_name, Value};
use crate::Config;

/// Redis's `CONFIG_REPL_BACKLOG_MIN_SIZE`.
const REPL_BACKLOG_MIN_SIZE: i64 = 16 * 1024;

/// A directive found by one of its names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lookup {
    /// Index into [`DIRECTIVES`].
    pub index: usize,
    /// The name it was found under (canonical or alias).
    pub name: &'static str,
}

/// Finds a directive by name or alias, case-insensitively.
pub(crate) fn lookup(name: &[u8]) -> Option<Lookup> {
    static BY_NAME: OnceLock<HashMap<&'static str, Lookup>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut map = HashMap::new();
        for (index, d) in DIRECTIVES.iter().enumerate() {
            map.insert(
                d.name,
                Lookup {
                    index,
                    name: d.name,
                },
            );
            if let Some(alias) = d.alias {
                map.insert(alias, Lookup { index, name: alias });
            }
        }
        map
    });
    let lower = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    by_name.get(lower.as_str()).copied()
}

impl Config {
    /// The directive table entry for `name` (canonical or alias).
    pub fn directive(name: &str) -> Option<&'static Directive> {
        lookup(name.as_bytes()).map(|l| &DIRECTIVES[l.index])
    }

    /// Whether the value of `name` must be redacted from logs.
    pub fn is_sensitive(name: &[u8]) -> bool {
        lookup(name).is_some_and(|l| DIRECTIVES[l.index].flags.contains(Flags::SENSITIVE))
    }

    fn value(&self, name: &str) -> Option<&Value> {
        lookup(name.as_bytes()).map(|l| &self.values[l.index])
    }

    /// A yes/no directive.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        match self.value(name)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A numeric directive (memory values in bytes; unsigned directives
    /// beyond `i64::MAX`, only possible for `maxmemory`-like ones, come
    /// back as their bit pattern, see [`Config::get_u64`]). A percentage
    /// (`maxmemory-clients 10%`) is negative, as in Redis.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        match self.value(name)? {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// An unsigned numeric directive such as `maxmemory`.
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.get_int(name).map(|n| n as u64)
    }

    /// A string directive; `None` when unset or not a string directive.
    pub fn get_str(&self, name: &str) -> Option<&[u8]> {
        match self.value(name)? {
            Value::Str(s) => s.as_deref(),
            _ => None,
        }
    }

    /// An enumerated directive, as its canonical name (`allkeys-lru`).
    pub fn get_enum(&self, name: &str) -> Option<String> {
        let l = lookup(name.as_bytes())?;
        match (&self.values[l.index], DIRECTIVES[l.index].kind) {
            (Value::Enum(v), Kind::Enum(spec)) => Some(enum_name(&spec, *v)),
            _ => None,
        }
    }

    /// The value CONFIG GET would show for `name`.
    pub fn get_text(&self, name: &str) -> Option<String> {
        let l = lookup(name.as_bytes())?;
        Some(self.values[l.index].config_get_text(&DIRECTIVES[l.index]))
    }

    /// `port`.
    pub fn port(&self) -> u16 {
        self.get_int("port")
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(6379)
    }

    /// `requirepass` (`None` when no password is required).
    pub fn requirepass(&self) -> Option<&[u8]> {
        self.get_str("requirepass")
    }

    /// `aclfile` (`None` when not configured).
    pub fn aclfile(&self) -> Option<&[u8]> {
        self.get_str("aclfile").filter(|f| !f.is_empty())
    }

    /// Whether new users get `allchannels` (`acl-pubsub-default`).
    pub fn acl_pubsub_allchannels(&self) -> bool {
        self.get_enum("acl-pubsub-default").as_deref() == Some("allchannels")
    }

    /// `save` points, empty when snapshots are disabled.
    pub fn save_points(&self) -> &[SavePoint] {
        match self.values.get(index_of("save")) {
            Some(Value::Save(points)) => points,
            _ => &[],
        }
    }

    /// `bind` addresses (Redis's syntax: `*`, `-::*`, `-` prefix meaning
    /// optional).
    pub fn bind_addrs(&self) -> &[String] {
        match self.values.get(index_of("bind")) {
            Some(Value::Bind(addrs)) => addrs,
            _ => &[],
        }
    }

    /// The working directory (`dir`), absolute. The server is expected to
    /// `chdir` there.
    pub fn dir(&self) -> &Path {
        match self.values.get(index_of("dir")) {
            Some(Value::Dir(dir)) => dir,
            _ => Path::new("/"),
        }
    }

    /// `notify-keyspace-events`.
    pub fn notify_keyspace_events(&self) -> NotifyFlags {
        match self.values.get(index_of("notify-keyspace-events")) {
            Some(Value::Notify(flags)) => *flags,
            _ => NotifyFlags::empty(),
        }
    }

    /// `client-output-buffer-limit` of one class.
    pub fn output_buffer_limit(&self, class: ClientClass) -> OutputBufferLimit {
        match self.values.get(index_of("client-output-buffer-limit")) {
            Some(Value::OutputBufferLimits(limits)) => limits[class as usize],
            _ => crate::special::DEFAULT_OUTPUT_BUFFER_LIMITS[class as usize],
        }
    }

    /// `replicaof`, when this server is a replica.
    pub fn replica_of(&self) -> Option<&ReplicaOf> {
        match self.values.get(index_of("replicaof")) {
            Some(Value::ReplicaOf(target)) => target.as_ref(),
            _ => None,
        }
    }

    /// `oom-score-adj-values`.
    pub fn oom_score_adj_values(&self) -> [i32; 3] {
        match self.values.get(index_of("oom-score-adj-values")) {
            Some(Value::OomScoreAdjValues(values)) => *values,
            _ => crate::special::DEFAULT_OOM_SCORE_ADJ_VALUES,
        }
    }

    /// `latency-tracking-info-percentiles`.
    pub fn latency_percentiles(&self) -> &[f64] {
        match self
            .values
            .get(index_of("latency-tracking-info-percentiles"))
        {
            Some(Value::Percentiles(values)) => values,
            _ => &[],
        }
    }

    /// `user` directives in file order, each with all its arguments after
    /// `user` (name first, then rules), for the ACL layer.
    pub fn users(&self) -> &[Vec<Bytes>] {
        &self.users
    }

    /// `rename-command <old> <new>` directives (not applied by moat yet).
    pub fn renamed_commands(&self) -> &[(Bytes, Bytes)] {
        &self.renamed_commands
    }

    /// `loadmodule <path> <args...>` directives (not applied by moat yet).
    pub fn module_loads(&self) -> &[Vec<Bytes>] {
        &self.module_loads
    }

    /// `<module>.<name> <value>` directives (not applied by moat yet).
    pub fn module_configs(&self) -> &[(Bytes, Bytes)] {
        &self.module_configs
    }

    /// One line per accepted-but-ineffective directive found while
    /// loading, for the server to log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The config file the server was started with (CONFIG REWRITE's
    /// target), absolute.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// CONFIG GET: every directive matching one of `patterns` (exact names
    /// case-insensitively, globs case-insensitively; hidden directives
    /// only by exact name), each once. Exact names are answered under the
    /// client's spelling, glob matches under the directive's (canonical
    /// and alias names both match).
    pub fn get(&self, patterns: &[Bytes]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        // Redis deduplicates by reply name (case-insensitively): an alias
        // and its canonical name are two entries.
        let mut names_seen: Vec<String> = Vec::new();
        let mut push = |out: &mut Vec<(String, String)>, reply_name: String, index: usize| {
            let lower = reply_name.to_ascii_lowercase();
            if names_seen.contains(&lower) {
                return;
            }
            names_seen.push(lower);
            out.push((
                reply_name,
                self.values[index].config_get_text(&DIRECTIVES[index]),
            ));
        };
        for pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                if let Some(l) = lookup(pattern) {
                    push(
                        &mut out,
                        String::from_utf8_lossy(pattern).into_owned(),
                        l.index,
                    );
                }
                continue;
            }
            for (index, d) in DIRECTIVES.iter().enumerate() {
                if d.flags.contains(Flags::HIDDEN) {
                    continue;
                }
                for name in std::iter::once(d.name).chain(d.alias) {
                    if moat_glob::matches(pattern, name.as_bytes(), true) {
                        push(&mut out, name.to_owned(), index);
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET from a client not known to be local (protected
    /// directives then need `enable-protected-configs yes`). See
    /// [`Config::set_from_client`].
    pub fn set(&mut self, pairs: &[(Bytes, Bytes)]) -> Result<Vec<&'static str>, ConfigSetError> {
        self.set_from_client(pairs, false)
    }

    /// CONFIG SET: validates every pair, then applies all of them or none.
    /// Returns the canonical names whose value actually changed, for the
    /// server's side effects (`requirepass` → default user, `maxmemory` →
    /// eviction, `port`/`bind` → listeners...). `client_is_local` matters
    /// for `enable-protected-configs local`.
    pub fn set_from_client(
        &mut self,
        pairs: &[(Bytes, Bytes)],
        client_is_local: bool,
    ) -> Result<Vec<&'static str>, ConfigSetError> {
        let found = self.check_set_names(pairs, client_is_local)?;
        let mut staged: Vec<(usize, Value)> = Vec::with_capacity(pairs.len());
        for ((_, raw_value), l) in pairs.iter().zip(&found) {
            let directive = &DIRECTIVES[l.index];
            let args = split_set_value(directive, raw_value);
            let new_value =
                Value::parse(directive, &args, &self.values[l.index]).map_err(|reason| {
                    ConfigSetError::Failed {
                        name: l.name.as_bytes().to_vec(),
                        reason,
                    }
                })?;
            staged.push((l.index, new_value));
        }
        let mut changed = Vec::new();
        for (index, mut new_value) in staged {
            let name = DIRECTIVES[index].name;
            // Redis's apply function (`resizeReplicationBacklog`) raises a
            // backlog set below 16 kB to that minimum; a config file's
            // value is kept as written.
            if name == "repl-backlog-size" {
                if let Value::Int(size) = &mut new_value {
                    *size = (*size).max(REPL_BACKLOG_MIN_SIZE);
                }
            }
            if self.values[index] != new_value {
                self.values[index] = new_value;
                if !changed.contains(&name) {
                    changed.push(name);
                }
            }
        }
        Ok(changed)
    }

    /// The name checks of CONFIG SET, in Redis's precedence: the first
    /// unknown name wins unless an earlier name was already refused.
    fn check_set_names(
        &self,
        pairs: &[(Bytes, Bytes)],
        client_is_local: bool,
    ) -> Result<Vec<Lookup>, ConfigSetError> {
        let mut found: Vec<Lookup> = Vec::with_capacity(pairs.len());
        let mut refused: Option<ConfigSetError> = None;
        for (name, _) in pairs {
            let spelled = || name.to_vec();
            let Some(l) = lookup(name) else {
                return Err(refused.unwrap_or_else(|| ConfigSetError::UnknownOption(spelled())));
            };
            if refused.is_some() {
                continue;
            }
            let flags = DIRECTIVES[l.index].flags;
            let reason = if flags.contains(Flags::IMMUTABLE) {
                Some("can't set immutable config")
            } else if flags.contains(Flags::PROTECTED)
                && !self.protected_configs_allowed(client_is_local)
            {
                Some("can't set protected config")
            } else if found.iter().any(|f| f.index == l.index && f.name == l.name) {
                // Redis compares its config entries, and an alias is an
                // entry of its own: a name and its alias both apply, in
                // order, the last one winning.
                Some("duplicate parameter")
            } else {
                None
            };
            match reason {
                Some(reason) => {
                    refused = Some(ConfigSetError::Failed {
                        name: spelled(),
                        reason: reason.into(),
                    })
                }
                None => found.push(l),
            }
        }
        match refused {
            Some(err) => Err(err),
            None => Ok(found),
        }
    }

    fn protected_configs_allowed(&self, client_is_local: bool) -> bool {
        let mode = self.get_enum("enable-protected-configs");
        let mode = mode.as_deref().unwrap_or(PROTECTED_ACTION[0].0);
        mode == "yes" || (mode == "local" && client_is_local)
    }
}

/// CONFIG SET's value of a multi-argument directive is split on single
/// spaces (`sdssplitlen`), so an empty value means no arguments at all.
fn split_set_value(directive: &Directive, value: &[u8]) -> Vec<Vec<u8>> {
    if !directive.flags.contains(Flags::MULTI_ARG) {
        return vec![value.to_vec()];
    }
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
}

/// Index of a directive this crate knows to exist.
pub(crate) fn index_of(name: &str) -> usize {
    // An out-of-range index makes the accessors fall back to defaults.
    lookup(name.as_bytes()).map_or(usize::MAX, |l| l.index)
}
