//! The line grammar shared by golden and differential scripts, and the
//! session that executes their steps against one server.
//!
//! Both kinds of script describe a conversation with a server over one or
//! more connections, so they share one vocabulary:
//!
//! * `# ...` is a comment, a blank line separates blocks;
//! * `[name]` makes `name` the current connection (opened on first use; the
//!   first one is `conn1`);
//! * `[resp3]` / `[resp2]` switches the current connection's protocol with a
//!   silent `HELLO 3` / `HELLO 2` (its reply holds a version and an id, which
//!   no expectation should have to spell out);
//! * `[read]` reads one more frame on the current connection (pub/sub
//!   messages, the extra replies of a multi-channel SUBSCRIBE);
//! * a command is tokenised like redis-cli input (Redis's `sdssplitargs`,
//!   shared with the config reader: [`moat_config::tokenize::split_args`]);
//!   golden scripts prefix it with `> `, differential scripts do not;
//! * `@name ` before a command or directive runs that one line on connection
//!   `name` without changing the current one;
//! * `[send] CMD ...` sends a command without reading its reply (a blocking
//!   command whose reply comes only after another connection writes; read
//!   it later with `[read]`);
//! * `[blocked N]` waits until the server reports `blocked_clients:N` in
//!   `INFO clients` (asked on a connection of its own), so that the next
//!   step cannot overtake a command sent with `[send]`;
//! * an argument `{id:name}` is replaced by connection `name`'s client id
//!   on the server the step runs against (asked with `CLIENT ID` on that
//!   connection the first time, opening it if needed), so that commands
//!   such as `CLIENT TRACKING on REDIRECT` can name another connection.

use crate::client::Client;
use crate::error::{Result, TestkitError};
use crate::push_order::PushesAfterReply;
use crate::render::render;
use moat_config::tokenize::split_args;
use moat_resp::{Frame, Protocol};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The connection every script starts on.
pub(crate) const FIRST_CONNECTION: &str = "conn1";

/// What one step asks the session to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Command(Vec<Vec<u8>>),
    /// Send a command, read nothing.
    Send(Vec<Vec<u8>>),
    /// Wait for this many blocked clients.
    WaitBlocked(usize),
    Read,
    SwitchProtocol(Protocol),
}

/// One executable line of a script.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// 1-based line number, for `file:line` reports.
    pub line: usize,
    /// The line as written (without the golden `> ` marker), for reports.
    pub text: String,
    pub connection: String,
    pub action: Action,
}

impl Step {
    /// The command's arguments; empty for reads and protocol switches.
    pub fn args(&self) -> &[Vec<u8>] {
        match &self.action {
            Action::Command(args) | Action::Send(args) => args,
            Action::Read | Action::WaitBlocked(_) | Action::SwitchProtocol(_) => &[],
        }
    }
}

/// How a line was understood.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    /// Blank, comment, or a connection switch already applied to the parser.
    Structural,
    Step(Step),
    /// Anything else: in golden files, a line of an expected reply.
    Other,
}

/// Parses script lines in order, remembering the current connection.
#[derive(Debug)]
pub(crate) struct LineParser {
    current: String,
    /// `Some("> ")` for golden files, where only marked lines are commands.
    command_marker: Option<&'static str>,
}

impl LineParser {
    pub fn new(command_marker: Option<&'static str>) -> LineParser {
        LineParser {
            current: FIRST_CONNECTION.to_owned(),
            command_marker,
        }
    }

    pub fn parse(&mut self, path: &Path, line: usize, text: &str) -> Result<Line> {
        let error = |message: String| TestkitError::Script {
            path: path.to_owned(),
            line,
            message,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(Line::Structural);
        }
        let (connection, body) = match trimmed.strip_prefix('@') {
            Some(rest) => {
                let (name, body) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| error(format!("nothing to run after @{rest}")))?;
                (check_name(name).map_err(error)?, body.trim_start())
            }
            None => (self.current.clone(), trimmed),
        };
        let step = |action| {
            Line::Step(Step {
                line,
                text: body.to_owned(),
                connection: connection.clone(),
                action,
            })
        };
        if let Some(command) = body.strip_prefix("[send]") {
            let args = split_args(command.trim().as_bytes()).map_err(|e| error(e.to_string()))?;
            if args.is_empty() {
                return Err(error("nothing to send after [send]".into()));
            }
            return Ok(step(Action::Send(args)));
        }
        if let Some(directive) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
            if let Some(count) = directive.strip_prefix("blocked ") {
                let count = count
                    .trim()
                    .parse()
                    .map_err(|_| error(format!("[blocked N] needs a count, not '{count}'")))?;
                return Ok(step(Action::WaitBlocked(count)));
            }
            return Ok(match directive {
                "resp2" => step(Action::SwitchProtocol(Protocol::Resp2)),
                "resp3" => step(Action::SwitchProtocol(Protocol::Resp3)),
                "read" => step(Action::Read),
                name if trimmed.starts_with('@') => {
                    return Err(error(format!("@{connection} cannot switch to [{name}]")))
                }
                name => {
                    self.current = check_name(name).map_err(error)?;
                    Line::Structural
                }
            });
        }
        let command_text = match self.command_marker {
            None => body,
            Some(marker) => match body.strip_prefix(marker.trim_end()) {
                Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                    rest.trim_start()
                }
                _ if connection != self.current => {
                    return Err(error(format!("@{connection} must be followed by {marker}")))
                }
                _ => return Ok(Line::Other),
            },
        };
        let args = split_args(command_text.as_bytes()).map_err(|e| error(e.to_string()))?;
        if args.is_empty() {
            return Err(error("empty command".into()));
        }
        Ok(Line::Step(Step {
            line,
            text: command_text.to_owned(),
            connection,
            action: Action::Command(args),
        }))
    }
}

fn check_name(name: &str) -> std::result::Result<String, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!("invalid connection name '{name}'"))
    }
}

/// The `*.txt` files of `dir`, sorted so reports are stable.
pub fn script_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        fs::read_dir(dir).map_err(|e| TestkitError::io(format!("list {}", dir.display()), e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    Ok(files)
}

/// What a step produced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Reply(Frame),
    /// The server closed the connection instead of replying.
    Closed,
}

impl Outcome {
    /// redis-cli style text; a closed connection shows as `(connection closed)`.
    pub fn render(&self) -> String {
        match self {
            Outcome::Reply(frame) => render(frame),
            Outcome::Closed => "(connection closed)\n".to_owned(),
        }
    }
}

/// The named connections of one script run against one server.
#[derive(Debug)]
pub(crate) struct Session {
    addr: SocketAddr,
    connections: HashMap<String, Client>,
    /// Client ids of connections, once a step asked for them.
    ids: HashMap<String, i64>,
    /// The connections in RESP3.
    resp3: HashSet<String>,
    /// For a Redis 7.0 reference: its running client's pushes, moved
    /// after the reply.
    push_order: Option<PushesAfterReply>,
}

impl Session {
    pub fn new(addr: SocketAddr) -> Session {
        Session {
            addr,
            connections: HashMap::new(),
            ids: HashMap::new(),
            resp3: HashSet::new(),
            push_order: None,
        }
    }

    /// A session with a Redis 7.0 server whose replies are compared with
    /// 7.2's order of a client's own pushes ([`crate::push_order`]).
    pub fn with_pushes_moved_after_replies(addr: SocketAddr) -> Session {
        Session {
            push_order: Some(PushesAfterReply::default()),
            ..Session::new(addr)
        }
    }

    /// Notes the protocol a HELLO or RESET command left the connection in.
    fn note_protocol(&mut self, connection: &str, args: &[Vec<u8>], reply: &Frame) {
        let command = args.first().map(|a| a.to_ascii_lowercase());
        match (command.as_deref(), reply) {
            (Some(b"hello"), Frame::Map(_)) => {
                self.resp3.insert(connection.to_owned());
            }
            (Some(b"hello"), Frame::Array(_)) | (Some(b"reset"), _) => {
                self.resp3.remove(connection);
            }
            _ => {}
        }
    }

    /// The connection `name`, opened on first use.
    fn connection(&mut self, name: &str) -> Result<&mut Client> {
        Ok(match self.connections.entry(name.to_owned()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(Client::connect(self.addr)?)
            }
        })
    }

    /// `args` with every `{id:name}` replaced by that connection's id.
    fn with_ids(&mut self, args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            let name = arg
                .strip_prefix(b"{id:")
                .and_then(|rest| rest.strip_suffix(b"}"))
                .map(|name| String::from_utf8_lossy(name).into_owned());
            let Some(name) = name else {
                out.push(arg.clone());
                continue;
            };
            let id = match self.ids.get(&name) {
                Some(&id) => id,
                None => match self.connection(&name)?.call(&["CLIENT", "ID"])? {
                    Frame::Integer(id) => {
                        self.ids.insert(name, id);
                        id
                    }
                    other => {
                        return Err(TestkitError::Tool(format!(
                            "CLIENT ID on {name} answered {other:?}"
                        )))
                    }
                },
            };
            out.push(id.to_string().into_bytes());
        }
        Ok(out)
    }

    /// Runs one step. Protocol switches produce no outcome. A connection the
    /// server closed is forgotten, so a later step on the same name opens a
    /// fresh one, like redis-cli reconnecting.
    pub fn execute(&mut self, step: &Step) -> Result<Option<Outcome>> {
        let args = self.with_ids(step.args())?;
        let resp3 = self.resp3.contains(&step.connection);
        let addr = self.addr;
        let connection = step.connection.as_str();
        let client = match self.connections.entry(step.connection.clone()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(Client::connect(addr)?)
            }
        };
        let result = match (&step.action, self.push_order.as_mut()) {
            (Action::Command(_), Some(order)) => order.call(connection, client, &args, resp3),
            (Action::Command(_), None) => client.call(&args),
            (Action::Send(_), _) => return client.send(&args).map(|()| None),
            (Action::WaitBlocked(count), _) => return wait_blocked(addr, *count).map(|()| None),
            (Action::Read, Some(order)) => order.read(connection, client),
            (Action::Read, None) => client.read_frame(),
            (Action::SwitchProtocol(protocol), _) => {
                return match client.hello(*protocol)? {
                    Frame::Error(text) => Err(TestkitError::Tool(format!(
                        "line {}: HELLO failed: {}",
                        step.line,
                        String::from_utf8_lossy(&text)
                    ))),
                    _ => {
                        match protocol {
                            Protocol::Resp3 => self.resp3.insert(step.connection.clone()),
                            Protocol::Resp2 => self.resp3.remove(&step.connection),
                        };
                        Ok(None)
                    }
                };
            }
        };
        match result {
            Ok(frame) => {
                self.note_protocol(connection, &args, &frame);
                Ok(Some(Outcome::Reply(frame)))
            }
            Err(TestkitError::ConnectionClosed) => {
                self.connections.remove(connection);
                self.ids.remove(connection);
                self.resp3.remove(connection);
                if let Some(order) = self.push_order.as_mut() {
                    order.forget(connection);
                }
                Ok(Some(Outcome::Closed))
            }
            Err(other) => Err(other),
        }
    }
}

/// Polls `INFO clients` until `blocked_clients` is `count` (10 s at most).
fn wait_blocked(addr: SocketAddr, count: usize) -> Result<()> {
    let mut probe = Client::connect(addr)?;
    let wanted = format!("blocked_clients:{count}\r\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Frame::Bulk(info) = probe.call(&["INFO", "clients"])? {
            if String::from_utf8_lossy(&info).contains(&wanted) {
                return Ok(());
            }
        }
        if std::time::Instant::now() > deadline {
            return Err(TestkitError::Tool(format!(
                "the server never reported {count} blocked clients"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(marker: Option<&'static str>, text: &str) -> Vec<Line> {
        let mut parser = LineParser::new(marker);
        text.lines()
            .enumerate()
            .map(|(i, line)| parser.parse(Path::new("t.txt"), i + 1, line).unwrap())
            .collect()
    }

    fn command(line: usize, connection: &str, text: &str, args: &[&str]) -> Line {
        Line::Step(Step {
            line,
            text: text.to_owned(),
            connection: connection.to_owned(),
            action: Action::Command(args.iter().map(|a| a.as_bytes().to_vec()).collect()),
        })
    }

    #[test]
    fn golden_lines_need_the_marker_to_be_commands() {
        let lines = parse_all(Some("> "), "# c\n> SET k \"a b\"\nOK\n\n");
        assert_eq!(
            lines,
            [
                Line::Structural,
                command(2, "conn1", "SET k \"a b\"", &["SET", "k", "a b"]),
                Line::Other,
                Line::Structural,
            ]
        );
    }

    #[test]
    fn send_and_blocked_directives() {
        let lines = parse_all(None, "@c2 [send] BLPOP q 0\n[blocked 1]\n@c2 [read]");
        let Line::Step(send) = &lines[0] else {
            panic!("{lines:?}")
        };
        assert_eq!(send.connection, "c2");
        assert_eq!(
            send.action,
            Action::Send(vec![b"BLPOP".to_vec(), b"q".to_vec(), b"0".to_vec()])
        );
        let Line::Step(wait) = &lines[1] else {
            panic!("{lines:?}")
        };
        assert_eq!(
            (wait.connection.as_str(), &wait.action),
            ("conn1", &Action::WaitBlocked(1))
        );
        let mut parser = LineParser::new(None);
        assert!(parser
            .parse(Path::new("x.txt"), 1, "[blocked many]")
            .is_err());
        assert!(parser.parse(Path::new("x.txt"), 1, "[send]").is_err());
    }

    #[test]
    fn connection_switches_last_until_the_next_one() {
        let lines = parse_all(None, "[conn2]\nGET a\n@conn3 GET b\nGET c\n[conn1]\nGET d");
        assert_eq!(lines[1], command(2, "conn2", "GET a", &["GET", "a"]));
        assert_eq!(lines[2], command(3, "conn3", "GET b", &["GET", "b"]));
        assert_eq!(lines[3], command(4, "conn2", "GET c", &["GET", "c"]));
        assert_eq!(lines[5], command(6, "conn1", "GET d", &["GET", "d"]));
    }

    #[test]
    fn directives_become_steps_on_the_right_connection() {
        let lines = parse_all(Some("> "), "[resp3]\n@sub [read]");
        let Line::Step(resp3) = &lines[0] else {
            panic!("{lines:?}")
        };
        assert_eq!(resp3.action, Action::SwitchProtocol(Protocol::Resp3));
        assert_eq!(resp3.connection, "conn1");
        let Line::Step(read) = &lines[1] else {
            panic!("{lines:?}")
        };
        assert_eq!(
            (read.action.clone(), read.connection.as_str()),
            (Action::Read, "sub")
        );
    }

    #[test]
    fn malformed_lines_report_file_and_line() {
        let mut parser = LineParser::new(None);
        let err = parser
            .parse(Path::new("x.txt"), 7, "GET \"open")
            .unwrap_err();
        assert!(err.to_string().starts_with("x.txt:7: "), "{err}");
        assert!(parser.parse(Path::new("x.txt"), 8, "[bad name]").is_err());
        assert!(parser.parse(Path::new("x.txt"), 9, "@c2").is_err());
    }
}
