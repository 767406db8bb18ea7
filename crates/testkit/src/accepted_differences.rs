//! Every difference between moat and the reference server that the
//! differential harness accepts, in one place, each with its reason.
//!
//! A difference is a normaliser keyed by command: it rewrites a reply into a
//! form that no longer carries the varying part, and it is applied to the
//! replies of *both* servers before they are compared. Keeping the list
//! here, rather than sprinkled over test scripts, makes the price of each
//! exception visible: whatever a normaliser erases is not checked by the
//! differential tests, so that part must be covered by golden files
//! (which compare moat's exact bytes) instead.
//!
//! Three families exist:
//! * process-dependent values (ids, ports, addresses, timings, run ids);
//! * unspecified orders (hash-table iteration: KEYS, SMEMBERS, HGETALL...);
//! * wording that changed between the reference Redis 7.0.15 installed on
//!   CI machines and the Redis 7.2 behaviour moat implements.

use crate::reply_edit::{
    map_fields, map_items, map_text, remove_word, sort_items, sort_pairs, sort_scan_page,
    without_fields, without_items,
};
use bytes::Bytes;
use moat_resp::Frame;

/// One accepted difference.
#[derive(Debug, Clone, Copy)]
pub struct AcceptedDifference {
    /// The command it applies to, as Redis names it: `get`, `client|list`
    /// (command and subcommand), or `*` for every reply.
    pub command: &'static str,
    /// Why the difference is acceptable.
    pub reason: &'static str,
    /// Rewrites a reply so that the accepted difference disappears.
    pub normalise: fn(Frame) -> Frame,
}

impl AcceptedDifference {
    /// True when this difference applies to the command `args`.
    pub fn applies_to(&self, args: &[Vec<u8>]) -> bool {
        if self.command == "*" {
            return true;
        }
        let mut parts = self.command.split('|');
        let matches_arg = |wanted: Option<&str>, arg: Option<&Vec<u8>>| match (wanted, arg) {
            (None, _) => true,
            (Some(w), Some(a)) => w.as_bytes().eq_ignore_ascii_case(a),
            (Some(_), None) => false,
        };
        matches_arg(parts.next(), args.first()) && matches_arg(parts.next(), args.get(1))
    }
}

/// Command declarations that follow Redis 7.2 where the reference 7.0.15
/// differs (`crates/commands/data/redis-7.2-overlay.json`): `COMMAND INFO`
/// and `COMMAND DOCS` of these are not compared with the reference.
pub const COMMAND_TABLE_DELTAS: &[(&str, &str)] = &[
    (
        "blmove",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "blpop",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "brpop",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "brpoplpush",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "bzpopmax",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    (
        "bzpopmin",
        "7.2 removed NOSCRIPT from blocking commands (#11568)",
    ),
    ("wait", "7.2 removed NOSCRIPT (#11568)"),
    (
        "zrank",
        "7.2 added WITHSCORE (arity -3, history, arguments)",
    ),
    (
        "zrevrank",
        "7.2 added WITHSCORE (arity -3, history, arguments)",
    ),
    ("waitaof", "new in 7.2"),
    ("client", "7.2 added CLIENT SETINFO and CLIENT NO-TOUCH"),
    ("client|setinfo", "new in 7.2"),
    ("client|no-touch", "new in 7.2"),
    ("cluster", "7.2 added CLUSTER MYSHARDID"),
    ("cluster|myshardid", "new in 7.2"),
];

/// `CONFIG GET` differences with the reference 7.0.15, by directive.
/// Behaviour where moat follows Redis 7.2 and the reference 7.0.15 differs,
/// kept out of the differential scripts and covered by end-to-end tests
/// against moat alone (`crates/server/tests/e2e_blocking.rs`).
pub const BEHAVIOUR_ONLY_IN_7_2: &[(&str, &str)] = &[
    (
        "blpop",
        "7.2 re-processes a woken blocked command (#11012): its ACL rules are checked \
         again, so a client that lost the command or the key while blocked gets NOPERM \
         (logged, counted as rejected_calls) where 7.0 serves it",
    ),
    (
        "info|clients",
        "7.2 added total_blocking_keys and total_blocking_keys_on_nokey",
    ),
];

/// Directives added in Redis 7.2 (absent from 7.0).
pub const CONFIG_ONLY_IN_7_2: &[(&str, &str)] = &[
    (
        "cluster-announce-human-nodename",
        "new in 7.2 (cluster node names)",
    ),
    ("locale-collate", "new in 7.2 (SORT/ZSET collation locale)"),
    (
        "set-max-listpack-entries",
        "new in 7.2 (listpack-encoded sets)",
    ),
    (
        "set-max-listpack-value",
        "new in 7.2 (listpack-encoded sets)",
    ),
    (
        "max-new-connections-per-cycle",
        "new in 7.2 (accept rate limiting)",
    ),
    (
        "max-new-tls-connections-per-cycle",
        "new in 7.2 (accept rate limiting)",
    ),
];

/// Directives whose default differs between 7.0 and 7.2 (none known), or
/// that depend on how the process was started.
pub const CONFIG_DIFFERENT_DEFAULTS: &[(&str, &str)] = &[
    ("port", "the reference runs on a random port"),
    ("dir", "the reference runs in a temporary directory"),
    (
        "bind",
        "moat defaults to the stock redis.conf loopback binding (127.0.0.1 -::1), not the compiled-in * -::*, so an open default user is never exposed",
    ),
];

/// The list. Add to it only with a reason a reviewer would accept.
pub const ACCEPTED_DIFFERENCES: &[AcceptedDifference] = &[
    AcceptedDifference {
        command: "*",
        reason: "Redis 7.0 words NOPERM errors differently from 7.2 \
                 ('this user has no permissions to run...', '...access one of the keys \
                 used as arguments') and omits the user name; both forms are reduced to \
                 7.2's wording without the user name, which golden files check instead",
        normalise: normalise_noperm_wording,
    },
    AcceptedDifference {
        command: "client|id",
        reason: "connection ids depend on how many connections the process has seen",
        normalise: |_| Frame::Integer(0),
    },
    AcceptedDifference {
        command: "client|list",
        reason: "ids, addresses, ages, buffer sizes and memory depend on the process; \
                 7.2 added fields (ssub, lib-name, lib-ver) that 7.0 lacks",
        normalise: |reply| map_text(reply, stable_client_fields),
    },
    AcceptedDifference {
        command: "client|info",
        reason: "same as client|list",
        normalise: |reply| map_text(reply, stable_client_fields),
    },
    AcceptedDifference {
        command: "info",
        reason: "every INFO section is process-, version- or time-dependent",
        normalise: |_| Frame::Bulk(Bytes::from_static(b"<INFO>")),
    },
    AcceptedDifference {
        command: "hello",
        reason: "the server version and the connection id differ by construction",
        normalise: |reply| map_fields(reply, &["version", "id"], |_| Frame::Bulk(Bytes::new())),
    },
    AcceptedDifference {
        command: "acl|list",
        reason: "Redis 7.0 prints `sanitize-payload` only when asked for; 7.2 prints it \
                 for every user",
        normalise: |reply| map_text(reply, |line| remove_word(line, "sanitize-payload")),
    },
    AcceptedDifference {
        command: "acl|getuser",
        reason: "same as acl|list: 7.2 lists the `sanitize-payload` flag for every user",
        normalise: |reply| {
            map_fields(reply, &["flags"], |flags| {
                without_items(flags, |f| {
                    f == &Frame::Bulk(Bytes::from_static(b"sanitize-payload"))
                })
            })
        },
    },
    AcceptedDifference {
        command: "acl|dryrun",
        reason: "Redis 7.0 starts a denial with 'This user has', 7.2 with 'User <name> has'; \
                 both are reduced to 'User <user> has', golden files check the name",
        normalise: |reply| match reply {
            Frame::Bulk(_) => map_text(reply, anonymise_dryrun_denial),
            other => other,
        },
    },
    AcceptedDifference {
        command: "acl|log",
        reason: "ages, timestamps and client details are time- and process-dependent; \
                 entry-id and the timestamps were added in 7.2",
        normalise: normalise_acl_log,
    },
    AcceptedDifference {
        command: "acl|genpass",
        reason: "the password is random; only its length is comparable",
        normalise: |reply| map_text(reply, |text| "x".repeat(text.len())),
    },
    AcceptedDifference {
        command: "acl|cat",
        reason: "the commands of a category come from hash-table iteration, in no \
                 specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "command|list",
        reason: "command names come from hash-table iteration, in no specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "config|get",
        reason: "parameters come in hash-table order; port and dir are per process",
        normalise: |reply| {
            sort_pairs(map_fields(
                reply,
                &["port", "dir", "pidfile", "logfile"],
                |_| Frame::Bulk(Bytes::new()),
            ))
        },
    },
    AcceptedDifference {
        command: "pubsub|channels",
        reason: "active channels come from hash-table iteration, in no specified order",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "pubsub|shardchannels",
        reason: "same as pubsub|channels",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "keys",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "scan",
        reason: "the keys of a SCAN page come in hash-table order, which is unspecified; \
                 the cursor is compared as it is",
        normalise: sort_scan_page,
    },
    AcceptedDifference {
        command: "smembers",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sinter",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sunion",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sdiff",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "spop",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "srandmember",
        reason: "set members come in hash-table (or, in 7.2, listpack insertion) order, \
                 which is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "sscan",
        reason: "Redis 7.0 keeps small non-integer sets in hash tables, 7.2 in listpacks \
                 returned in insertion order: the page's order is unspecified",
        normalise: sort_scan_page,
    },
    AcceptedDifference {
        command: "hkeys",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "hvals",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_items,
    },
    AcceptedDifference {
        command: "hgetall",
        reason: "hash-table iteration order is unspecified",
        normalise: sort_pairs,
    },
    AcceptedDifference {
        command: "pttl",
        reason: "milliseconds pass between the two servers' replies; compared in \
                 rounded seconds, as TTL reports them",
        normalise: |reply| match reply {
            Frame::Integer(ms) if ms > 0 => Frame::Integer((ms + 500) / 1000),
            other => other,
        },
    },
    AcceptedDifference {
        command: "time",
        reason: "the clock moves",
        normalise: |_| Frame::Array(Vec::new()),
    },
    AcceptedDifference {
        command: "lastsave",
        reason: "the servers started at different instants",
        normalise: |_| Frame::Integer(0),
    },
    AcceptedDifference {
        command: "memory|usage",
        reason: "memory accounting depends on the allocator and encodings",
        normalise: |reply| match reply {
            Frame::Integer(_) => Frame::Integer(0),
            other => other,
        },
    },
];

/// Applies every accepted difference relevant to `args` to `reply`.
pub fn normalise(args: &[Vec<u8>], reply: Frame) -> Frame {
    ACCEPTED_DIFFERENCES
        .iter()
        .filter(|difference| difference.applies_to(args))
        .fold(reply, |reply, difference| (difference.normalise)(reply))
}

fn normalise_noperm_wording(reply: Frame) -> Frame {
    let Frame::Error(text) = &reply else {
        return reply;
    };
    let text = String::from_utf8_lossy(text);
    let rewritten = if let Some(rest) = text
        .strip_prefix("NOPERM this user has no permissions to run the ")
        .or_else(|| {
            text.strip_prefix("NOPERM User ")
                .and_then(|after_user| after_user.split_once(" has no permissions to run the "))
                .map(|(_user, rest)| rest)
        }) {
        format!("NOPERM User <user> has no permissions to run the {rest}")
    } else {
        match text.as_ref() {
            "NOPERM this user has no permissions to access one of the keys used as arguments" => {
                "NOPERM No permissions to access a key".to_owned()
            }
            "NOPERM this user has no permissions to access one of the channels used as arguments" => {
                "NOPERM No permissions to access a channel".to_owned()
            }
            _ => return reply,
        }
    };
    Frame::Error(Bytes::from(rewritten))
}

fn anonymise_dryrun_denial(text: &str) -> String {
    let rest = text.strip_prefix("This user has ").or_else(|| {
        text.strip_prefix("User ")
            .and_then(|after_user| after_user.split_once(" has "))
            .map(|(_user, rest)| rest)
    });
    match rest {
        Some(rest) => format!("User <user> has {rest}"),
        None => text.to_owned(),
    }
}

/// The CLIENT LIST fields that are the same for the same session on any server.
const STABLE_CLIENT_FIELDS: &[&str] =
    &["name", "db", "sub", "psub", "multi", "user", "cmd", "resp"];

fn stable_client_fields(text: &str) -> String {
    text.lines()
        .map(|line| {
            line.split(' ')
                .filter(|field| {
                    field
                        .split_once('=')
                        .is_some_and(|(key, _)| STABLE_CLIENT_FIELDS.contains(&key))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn normalise_acl_log(reply: Frame) -> Frame {
    map_items(reply, |entry| {
        let entry = without_fields(
            entry,
            &["entry-id", "timestamp-created", "timestamp-last-updated"],
        );
        let entry = map_fields(entry, &["age-seconds"], |_| Frame::Bulk(Bytes::new()));
        map_fields(entry, &["client-info"], |info| {
            map_text(info, stable_client_fields)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn every_difference_has_a_reason_and_a_well_formed_key() {
        for difference in ACCEPTED_DIFFERENCES {
            assert!(!difference.reason.is_empty(), "{}", difference.command);
            assert_eq!(difference.command, difference.command.to_lowercase());
            assert!(difference.command.split('|').count() <= 2);
        }
    }

    #[test]
    fn keys_match_command_and_subcommand_case_insensitively() {
        let client_list = ACCEPTED_DIFFERENCES
            .iter()
            .find(|d| d.command == "client|list")
            .unwrap();
        assert!(client_list.applies_to(&args("CLIENT List")));
        assert!(!client_list.applies_to(&args("CLIENT INFO")));
        assert!(!client_list.applies_to(&args("CLIENT")));
    }

    #[test]
    fn noperm_wordings_of_7_0_and_7_2_normalise_alike() {
        let old = Frame::error("NOPERM this user has no permissions to run the 'set' command");
        let new = Frame::error("NOPERM User bob has no permissions to run the 'set' command");
        assert_eq!(
            normalise(&args("SET k v"), old),
            normalise(&args("SET k v"), new.clone())
        );
        let old_key = Frame::error(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        );
        assert_eq!(
            normalise(&args("GET k"), old_key),
            Frame::error("NOPERM No permissions to access a key")
        );
        let other = Frame::error("ERR unknown command");
        assert_eq!(normalise(&args("FOO"), other.clone()), other);
    }

    #[test]
    fn dryrun_denials_of_7_0_and_7_2_normalise_alike() {
        let dryrun = args("ACL DRYRUN alice GET secret");
        let old = bulk("This user has no permissions to access the 'secret' key");
        let new = bulk("User alice has no permissions to access the 'secret' key");
        assert_eq!(normalise(&dryrun, old), normalise(&dryrun, new));
        assert_eq!(normalise(&dryrun, Frame::ok()), Frame::ok());
    }

    #[test]
    fn client_list_keeps_only_stable_fields() {
        let line = bulk("id=3 addr=127.0.0.1:5 laddr=x fd=8 name=n age=0 db=0 user=default cmd=client|list resp=2\n");
        assert_eq!(
            normalise(&args("client list"), line),
            bulk("name=n db=0 user=default cmd=client|list resp=2")
        );
    }

    #[test]
    fn hello_hides_version_and_id_in_both_protocols() {
        let resp2 = Frame::Array(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("7.0.15"),
            bulk("id"),
            Frame::Integer(4),
        ]);
        let resp3 = Frame::Map(vec![
            (bulk("version"), bulk("7.2.0")),
            (bulk("id"), Frame::Integer(9)),
        ]);
        assert_eq!(
            normalise(&args("HELLO 2"), resp2),
            Frame::Array(vec![
                bulk("server"),
                bulk("redis"),
                bulk("version"),
                bulk(""),
                bulk("id"),
                bulk("")
            ])
        );
        assert_eq!(
            normalise(&args("HELLO 3"), resp3),
            Frame::Map(vec![(bulk("version"), bulk("")), (bulk("id"), bulk(""))])
        );
    }

    #[test]
    fn acl_list_and_getuser_ignore_sanitize_payload() {
        let v72 = Frame::Array(vec![bulk(
            "user default on nopass sanitize-payload ~* &* +@all",
        )]);
        let v70 = Frame::Array(vec![bulk("user default on nopass ~* &* +@all")]);
        assert_eq!(normalise(&args("ACL LIST"), v72), v70);
        let getuser = Frame::Map(vec![(
            bulk("flags"),
            Frame::Set(vec![bulk("on"), bulk("sanitize-payload")]),
        )]);
        assert_eq!(
            normalise(&args("ACL GETUSER u"), getuser),
            Frame::Map(vec![(bulk("flags"), Frame::Set(vec![bulk("on")]))])
        );
    }

    #[test]
    fn unordered_replies_are_sorted() {
        let keys = Frame::Array(vec![bulk("b"), bulk("a")]);
        assert_eq!(
            normalise(&args("KEYS *"), keys),
            Frame::Array(vec![bulk("a"), bulk("b")])
        );
        let hash = Frame::Array(vec![bulk("g"), bulk("2"), bulk("f"), bulk("1")]);
        assert_eq!(
            normalise(&args("HGETALL h"), hash),
            Frame::Array(vec![bulk("f"), bulk("1"), bulk("g"), bulk("2")])
        );
    }

    #[test]
    fn acl_log_drops_version_and_time_dependent_fields() {
        let entry = Frame::Array(vec![
            bulk("count"),
            Frame::Integer(1),
            bulk("age-seconds"),
            bulk("0.5"),
            bulk("entry-id"),
            Frame::Integer(0),
        ]);
        assert_eq!(
            normalise(&args("ACL LOG"), Frame::Array(vec![entry])),
            Frame::Array(vec![Frame::Array(vec![
                bulk("count"),
                Frame::Integer(1),
                bulk("age-seconds"),
                bulk("")
            ])])
        );
    }
}
