//! Random ACL rules and random requests, biased towards the places where
//! implementations go wrong: glob corner cases, selectors, first-arg rules,
//! subcommands, and commands whose keys need custom extraction.
//!
//! Everything here is plain text (argument vectors), so the same input goes
//! to moat and to the reference servers.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

pub type Argv = Vec<Vec<u8>>;

/// The random source, plus the patterns given to the current user: keys and
/// channels are often made to fit one of them, or most requests would be
/// refused for the same boring reason.
pub struct Gen {
    rng: StdRng,
    recent_patterns: Vec<String>,
}

impl Gen {
    pub fn new(rng: StdRng) -> Gen {
        Gen {
            rng,
            recent_patterns: Vec::new(),
        }
    }

    /// Starts a new user: its patterns are not the previous user's.
    pub fn forget_patterns(&mut self) {
        self.recent_patterns.clear();
    }
}

impl RngCore for Gen {
    fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.rng.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.rng.try_fill_bytes(dest)
    }
}

/// A text the glob `pattern` probably matches (wildcards filled in at
/// random, classes by one of their members): only a bias, never assumed.
fn instance_of(rng: &mut Gen, pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'*' => {
                for _ in 0..rng.gen_range(0..3) {
                    out.push_str(pick(rng, &["a", "b", "c", ":", "x"]));
                }
            }
            b'?' => out.push_str(pick(rng, &["a", "b", "c", ":"])),
            b'[' => {
                let end = bytes[i + 1..].iter().position(|&c| c == b']');
                match end {
                    Some(len) if len > 0 => {
                        let class = &pattern[i + 1..i + 1 + len];
                        let first = class.trim_start_matches('^').chars().next();
                        let negated = class.starts_with('^');
                        out.push(if negated { 'z' } else { first.unwrap_or('a') });
                        i += len + 1;
                    }
                    _ => out.push('['),
                }
            }
            b'\\' if i + 1 < bytes.len() => {
                out.push(bytes[i + 1] as char);
                i += 1;
            }
            c => out.push(c as char),
        }
        i += 1;
    }
    out
}

/// Pieces keys and patterns are made of. Few letters, so that random
/// patterns and random keys actually meet; glob syntax included, so that
/// keys like `a*` and `[` are matched as text.
const KEY_PIECES: &[&str] = &[
    "a", "b", "c", ":", "ab", "x:", "*", "?", "[", "]", "-", "\\",
];

/// Glob fragments for patterns: wildcards, classes (negated, reversed,
/// unterminated), escapes.
const GLOB_PIECES: &[&str] = &[
    "a", "b", "c", ":", "ab", "x:", "*", "*", "?", "[a-c]", "[^a]", "[c-a]", "[ab]", "[a-]", "[]",
    "[\\]]", "\\*", "\\?", "\\a", "[", "]", "-", "**",
];

const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Commands whose rules are generated (all present in Redis 7.0 and 7.2).
const RULE_COMMANDS: &[&str] = &[
    "get",
    "set",
    "mget",
    "copy",
    "rename",
    "lmove",
    "blmove",
    "sort",
    "sort_ro",
    "eval",
    "eval_ro",
    "fcall",
    "publish",
    "spublish",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "xread",
    "xreadgroup",
    "bitfield",
    "bitfield_ro",
    "migrate",
    "georadius",
    "georadiusbymember",
    "client",
    "config",
    "select",
    "exists",
    "del",
    "object",
    "memory",
    "lpop",
    "getdel",
    "incr",
    "zunionstore",
    "lmpop",
    "zintercard",
    "sintercard",
    "hset",
    "hget",
    "keys",
    "flushall",
    "flushdb",
    "ping",
    "auth",
    "acl",
    "debug",
    "GeT",
    "SET",
];

/// `cmd|sub` rules for containers, valid and not.
const SUBCOMMAND_RULES: &[&str] = &[
    "client|list",
    "client|kill",
    "client|id",
    "client|info",
    "config|get",
    "config|set",
    "CONFIG|GET",
    "object|encoding",
    "object|freq",
    "memory|usage",
    "memory|doctor",
    "acl|whoami",
    "acl|dryrun",
    "debug|segfault",
    "client|nosuchsub",
    "config|get|x",
];

/// Deprecated first-arg rules on non-containers, plus invalid ones.
const FIRST_ARG_RULES: &[&str] = &[
    "select|0",
    "select|1",
    "SELECT|0",
    "get|a",
    "get|A",
    "set|ab",
    "publish|a",
    "mget|x:",
    "select|",
    "nosuchcmd|x",
];

fn pick<'a>(rng: &mut Gen, items: &'a [&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

/// A random key: a few pieces, sometimes empty.
pub fn key(rng: &mut Gen) -> String {
    if !rng.recent_patterns.is_empty() && rng.gen_bool(0.5) {
        let index = rng.gen_range(0..rng.recent_patterns.len());
        let pattern = rng.recent_patterns[index].clone();
        // Sometimes the pattern itself, which PSUBSCRIBE compares literally.
        if rng.gen_bool(0.2) {
            return pattern;
        }
        return instance_of(rng, &pattern);
    }
    let pieces = rng.gen_range(0..5);
    (0..pieces).map(|_| pick(rng, KEY_PIECES)).collect()
}

/// A random glob pattern (never containing whitespace or parentheses).
pub fn glob(rng: &mut Gen) -> String {
    let pieces = rng.gen_range(0..5);
    let pattern: String = (0..pieces).map(|_| pick(rng, GLOB_PIECES)).collect();
    rng.recent_patterns.push(pattern.clone());
    pattern
}

/// One selector-level rule.
fn selector_rule(rng: &mut Gen) -> String {
    let sign = if rng.gen_bool(0.6) { "+" } else { "-" };
    match rng.gen_range(0..100) {
        0..=14 => format!("{sign}{}", pick(rng, RULE_COMMANDS)),
        15..=27 => format!("{sign}@{}", pick(rng, CATEGORIES)),
        28..=34 => format!("{sign}{}", pick(rng, SUBCOMMAND_RULES)),
        35..=39 => format!("{sign}{}", pick(rng, FIRST_ARG_RULES)),
        40..=44 => pick(
            rng,
            &[
                "allcommands",
                "nocommands",
                "+@all",
                "-@all",
                "+@ALL",
                "+@all",
                "allcommands",
            ],
        )
        .to_string(),
        45..=60 => format!("~{}", glob(rng)),
        61..=65 => format!("%R~{}", glob(rng)),
        66..=70 => format!("%W~{}", glob(rng)),
        71..=73 => format!("{}~{}", pick(rng, &["%RW", "%WR", "%rw", "%r"]), glob(rng)),
        74..=78 => pick(rng, &["allkeys", "resetkeys", "~*", "resetkeys"]).to_string(),
        79..=88 => format!("&{}", glob(rng)),
        89..=94 => pick(
            rng,
            &["allchannels", "resetchannels", "&*", "resetchannels"],
        )
        .to_string(),
        95..=96 => pick(
            rng,
            &["%~a", "%X~a", "%RR~a", "~a b", "bogus", "+@nosuchcat"],
        )
        .to_string(),
        _ => String::new(),
    }
}

/// The text of a selector, `(rule rule ...)`.
fn selector(rng: &mut Gen) -> String {
    // Selectors start with no commands; without a broad grant most of them
    // would refuse every request at the command step.
    let mut rules: Vec<String> = Vec::new();
    if rng.gen_bool(0.4) {
        rules.push("+@all".into());
    }
    let more: Vec<String> = (0..rng.gen_range(0..6))
        .map(|_| selector_rule(rng))
        .filter(|r| !r.is_empty() && !r.contains(' '))
        .collect();
    rules.extend(more);
    format!("({})", rules.join(" "))
}

/// One argument of `ACL SETUSER`.
fn user_rule(rng: &mut Gen) -> Vec<String> {
    match rng.gen_range(0..100) {
        0..=69 => vec![selector_rule(rng)],
        70..=79 => {
            // A selector given as several arguments, as redis-cli splits it.
            let text = selector(rng);
            if rng.gen_bool(0.5) {
                text.split(' ').map(str::to_string).collect()
            } else {
                vec![text]
            }
        }
        _ => vec![pick(
            rng,
            &[
                "on",
                "off",
                "nopass",
                ">pw",
                ">other",
                "<pw",
                "resetpass",
                "reset",
                "clearselectors",
                "skip-sanitize-payload",
                "sanitize-payload",
                "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "#ABC",
            ],
        )
        .to_string()],
    }
}

/// The arguments of one `ACL SETUSER <name> ...`.
pub fn setuser(rng: &mut Gen, name: &str) -> Argv {
    let mut argv: Vec<String> = vec!["ACL".into(), "SETUSER".into(), name.into()];
    if rng.gen_bool(0.3) {
        argv.push(pick(rng, &["+@all", "allcommands", "+@read", "+@write"]).into());
    }
    for _ in 0..rng.gen_range(1..9) {
        argv.extend(user_rule(rng));
    }
    argv.into_iter().map(String::into_bytes).collect()
}

fn num(rng: &mut Gen, max: i64) -> String {
    rng.gen_range(0..=max).to_string()
}

/// A random request for `ACL DRYRUN`.
pub fn request(rng: &mut Gen) -> Argv {
    let k = |rng: &mut Gen| key(rng);
    let mut argv: Vec<String> = match rng.gen_range(0..42) {
        0 => vec!["GET".into(), k(rng)],
        1 => {
            let mut a = vec!["SET".into(), k(rng), "v".into()];
            let options = ["GET", "EX", "10", "NX", "get", "KEEPTTL", "PX"];
            for _ in 0..rng.gen_range(0..3) {
                a.push(pick(rng, &options).into());
            }
            a
        }
        2 => {
            let mut a = vec!["MGET".into()];
            a.extend((0..rng.gen_range(1..4)).map(|_| k(rng)));
            a
        }
        3 => {
            let mut a = vec!["COPY".into(), k(rng), k(rng)];
            if rng.gen_bool(0.3) {
                a.extend(["DB".into(), num(rng, 2)]);
            }
            if rng.gen_bool(0.3) {
                a.push("REPLACE".into());
            }
            a
        }
        4 => vec!["RENAME".into(), k(rng), k(rng)],
        5 => vec![
            "LMOVE".into(),
            k(rng),
            k(rng),
            "LEFT".into(),
            "RIGHT".into(),
        ],
        6 => {
            let cmd = if rng.gen_bool(0.8) { "SORT" } else { "SORT_RO" };
            let mut a = vec![cmd.into(), k(rng)];
            for _ in 0..rng.gen_range(0..4) {
                match rng.gen_range(0..5) {
                    0 => a.extend(["BY".into(), k(rng)]),
                    1 => a.extend(["LIMIT".into(), "0".into(), "1".into()]),
                    2 => a.extend(["GET".into(), k(rng)]),
                    3 => a.extend(["STORE".into(), k(rng)]),
                    _ => a.push(pick(rng, &["ASC", "DESC", "ALPHA", "store"]).into()),
                }
            }
            a
        }
        7 | 8 => {
            let cmd = pick(rng, &["EVAL", "EVAL_RO", "EVALSHA", "FCALL", "FCALL_RO"]);
            let numkeys = pick(rng, &["0", "1", "2", "3", "-1", "x", "1"]);
            let mut a = vec![cmd.into(), "return 1".into(), numkeys.into()];
            a.extend((0..rng.gen_range(0..4)).map(|_| k(rng)));
            a
        }
        9 | 10 => {
            let cmd = pick(rng, &["PUBLISH", "SPUBLISH"]);
            vec![cmd.into(), k(rng), "msg".into()]
        }
        11 | 12 => {
            let cmd = pick(
                rng,
                &[
                    "SUBSCRIBE",
                    "PSUBSCRIBE",
                    "SSUBSCRIBE",
                    "UNSUBSCRIBE",
                    "PUNSUBSCRIBE",
                ],
            );
            let mut a = vec![cmd.into()];
            a.extend((0..rng.gen_range(1..4)).map(|_| k(rng)));
            a
        }
        13 => {
            let mut a = vec!["XREAD".into()];
            if rng.gen_bool(0.3) {
                a.extend(["COUNT".into(), "1".into()]);
            }
            if rng.gen_bool(0.3) {
                a.extend(["BLOCK".into(), "0".into()]);
            }
            a.push("STREAMS".into());
            let n = rng.gen_range(1..4);
            a.extend((0..n).map(|_| k(rng)));
            a.extend((0..n).map(|_| "0".to_string()));
            a
        }
        14 => {
            let n = rng.gen_range(1..3);
            let mut a: Vec<String> = ["XREADGROUP", "GROUP", "g", "c", "STREAMS"]
                .map(String::from)
                .to_vec();
            a.extend((0..n).map(|_| k(rng)));
            a.extend((0..n).map(|_| ">".to_string()));
            a
        }
        15 | 16 => {
            let cmd = if rng.gen_bool(0.8) {
                "BITFIELD"
            } else {
                "BITFIELD_RO"
            };
            let mut a = vec![cmd.into(), k(rng)];
            for _ in 0..rng.gen_range(0..3) {
                match rng.gen_range(0..5) {
                    0 => a.extend(["GET".into(), "u8".into(), "0".into()]),
                    1 => a.extend(["SET".into(), "u8".into(), "0".into(), "1".into()]),
                    2 => a.extend(["INCRBY".into(), "u8".into(), "0".into(), "1".into()]),
                    3 => a.extend(["OVERFLOW".into(), "WRAP".into()]),
                    _ => a.push("get".into()),
                }
            }
            a
        }
        17 => {
            let single = if rng.gen_bool(0.6) {
                k(rng)
            } else {
                String::new()
            };
            let mut a = vec![
                "MIGRATE".into(),
                "127.0.0.1".into(),
                "1".into(),
                single,
                "0".into(),
                "500".into(),
            ];
            for _ in 0..rng.gen_range(0..3) {
                match rng.gen_range(0..4) {
                    0 => a.push("COPY".into()),
                    1 => a.extend(["AUTH".into(), "pw".into()]),
                    2 => a.extend(["AUTH2".into(), "u".into(), "pw".into()]),
                    _ => a.push("REPLACE".into()),
                }
            }
            if rng.gen_bool(0.5) {
                a.push("KEYS".into());
                a.extend((0..rng.gen_range(1..3)).map(|_| k(rng)));
            }
            a
        }
        18 | 19 => {
            let by_member = rng.gen_bool(0.4);
            let mut a: Vec<String> = if by_member {
                vec!["GEORADIUSBYMEMBER".into(), k(rng), "m".into()]
            } else {
                vec!["GEORADIUS".into(), k(rng), "0".into(), "0".into()]
            };
            a.extend(["1".into(), "m".into()]);
            for _ in 0..rng.gen_range(0..3) {
                match rng.gen_range(0..4) {
                    0 => a.extend(["STORE".into(), k(rng)]),
                    1 => a.extend(["STOREDIST".into(), k(rng)]),
                    2 => a.push("WITHDIST".into()),
                    _ => a.extend(["COUNT".into(), "1".into()]),
                }
            }
            a
        }
        20 => {
            let sub = pick(
                rng,
                &["KILL", "LIST", "ID", "INFO", "kill", "NOSUCH", "GETNAME"],
            );
            let mut a = vec!["CLIENT".into(), sub.into()];
            if sub.eq_ignore_ascii_case("kill") {
                a.extend(["ID".into(), "1".into()]);
            }
            a
        }
        21 => {
            let sub = pick(rng, &["GET", "SET", "get", "RESETSTAT"]);
            let mut a = vec!["CONFIG".into(), sub.into(), "maxmemory".into()];
            if sub.eq_ignore_ascii_case("set") {
                a.push("0".into());
            }
            if sub == "RESETSTAT" {
                a.truncate(2);
            }
            a
        }
        22 => vec!["SELECT".into(), pick(rng, &["0", "1", "a", "00"]).into()],
        23 => {
            let cmd = pick(rng, &["EXISTS", "DEL", "TOUCH", "UNLINK"]);
            let mut a = vec![cmd.into()];
            a.extend((0..rng.gen_range(1..4)).map(|_| k(rng)));
            a
        }
        24 => {
            let cmd = pick(
                rng,
                &["TYPE", "STRLEN", "LPOP", "GETDEL", "INCR", "TTL", "LLEN"],
            );
            vec![cmd.into(), k(rng)]
        }
        25 => vec![
            "OBJECT".into(),
            pick(rng, &["ENCODING", "FREQ", "HELP"]).into(),
            k(rng),
        ],
        26 => vec!["MEMORY".into(), "USAGE".into(), k(rng)],
        27 => {
            let cmd = pick(rng, &["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
            let n = rng.gen_range(1..3);
            let mut a = vec![cmd.into(), k(rng), n.to_string()];
            a.extend((0..n).map(|_| k(rng)));
            a
        }
        28 => {
            let cmd = pick(
                rng,
                &["LMPOP", "ZMPOP", "SINTERCARD", "ZINTERCARD", "ZUNION"],
            );
            let n = pick(rng, &["1", "2", "0", "x", "5"]);
            let mut a = vec![cmd.into(), n.into(), k(rng), k(rng)];
            if cmd == "LMPOP" {
                a.push("LEFT".into());
            } else if cmd == "ZMPOP" {
                a.push("MIN".into());
            }
            a
        }
        29 => vec![
            "BLMPOP".into(),
            "0".into(),
            "1".into(),
            k(rng),
            "LEFT".into(),
        ],
        30 => vec!["HSET".into(), k(rng), "f".into(), "v".into()],
        31 => vec!["HGET".into(), k(rng), "f".into()],
        32 => vec![pick(rng, &["PING", "FLUSHALL", "FLUSHDB", "DBSIZE", "TIME"]).into()],
        33 => vec!["KEYS".into(), glob(rng)],
        34 => {
            let cmd = pick(rng, &["AUTH", "HELLO", "QUIT"]);
            vec![cmd.into(), "x".into()]
        }
        35 => vec!["NOSUCHCOMMAND".into(), k(rng)],
        36 => vec!["GET".into()],
        37 => vec![
            "ACL".into(),
            pick(rng, &["WHOAMI", "LIST", "NOSUCH"]).into(),
        ],
        38 => vec![
            "BLMOVE".into(),
            k(rng),
            k(rng),
            "LEFT".into(),
            "LEFT".into(),
            "0".into(),
        ],
        39 | 40 => {
            // Templates: `K` is replaced by a random key.
            let template = pick(
                rng,
                &[
                    "SINTERSTORE K K K",
                    "PFCOUNT K K",
                    "PFMERGE K K",
                    "XADD K * f v",
                    "SMOVE K K m",
                    "RPOPLPUSH K K",
                    "GETEX K PERSIST",
                    "EXPIRE K 10",
                    "LCS K K",
                    "WATCH K K",
                    "XINFO STREAM K",
                    "XGROUP CREATE K g $",
                    "XGROUP CREATECONSUMER K g c",
                    "COMMAND GETKEYS SET K v",
                    "FUNCTION LIST",
                    "SCAN 0 MATCH K",
                    "HSTRLEN K f",
                    "SISMEMBER K m",
                    "EVALSHA_RO abc 1 K",
                    "ZRANGESTORE K K 0 1",
                    "GEOSEARCHSTORE K K FROMMEMBER m BYRADIUS 1 m",
                    "RESTORE K 0 x",
                    "DUMP K",
                    "MSET K v K v",
                    "MSETNX K v",
                    "PUBSUB CHANNELS K",
                    "SUNSUBSCRIBE K",
                    "SORT K BY nosort STORE K",
                    "SORT K GET # STORE K",
                ],
            );
            template
                .split(' ')
                .map(|w| if w == "K" { k(rng) } else { w.to_string() })
                .collect()
        }
        _ => vec![
            "DEBUG".into(),
            pick(rng, &["SEGFAULT", "OBJECT"]).into(),
            k(rng),
        ],
    };
    if rng.gen_bool(0.05) {
        // Case does not matter for command names.
        argv[0] = argv[0].to_lowercase();
    }
    argv.into_iter().map(String::into_bytes).collect()
}
