//! MIGRATE: moves keys to another Redis-protocol server (Redis or moat)
//! as RESTORE commands carrying DUMP payloads, then deletes them here.
//!
//! This is the one data command that does network I/O, and it does it
//! synchronously under the keyspace lock, as Redis's `migrateCommand`
//! blocks its event loop: a key must not change between being serialized
//! and being deleted, and the timeout bounds the stall. Deletion happens
//! only for keys the target acknowledged, and the AOF learns it as `DEL`
//! of those keys (nothing at all with COPY), so a half-failed migration
//! leaves every key on at least one side.
//!
//! Differences from Redis that a client cannot see: no cached connection
//! per target (Redis keeps one for ten seconds and skips a repeated
//! SELECT), hence no retry on a stale cached socket either.

use super::args::{is, parse_i64};
use super::reply::{flatten, selected_db, syntax_error, Reply};
use super::{Ctx, Handler};
use crate::aof::encode;
use crate::db::{word, Access};
use crate::persist::dump::dump_value;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[("migrate", |ctx, argv| flatten(migrate(ctx, argv)))];

struct Request<'a> {
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a Bytes>, &'a Bytes)>,
    keys: &'a [Bytes],
    db: i64,
    timeout: Duration,
}

/// Redis's option loop, then the numbers (timeout before db, both as
/// `getLongFromObjectOrReply`).
fn parse(argv: &[Bytes]) -> Result<Request<'_>, Frame> {
    let mut request = Request {
        copy: false,
        replace: false,
        auth: None,
        keys: &argv[3..4],
        db: 0,
        timeout: Duration::from_millis(1000),
    };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let arg = &argv[j];
        if is(arg, "copy") {
            request.copy = true;
        } else if is(arg, "replace") {
            request.replace = true;
        } else if is(arg, "auth") {
            if more < 1 {
                return Err(syntax_error());
            }
            request.auth = Some((None, &argv[j + 1]));
            j += 1;
        } else if is(arg, "auth2") {
            if more < 2 {
                return Err(syntax_error());
            }
            request.auth = Some((Some(&argv[j + 1]), &argv[j + 2]));
            j += 2;
        } else if is(arg, "keys") {
            if !argv[3].is_empty() {
                return Err(Frame::error(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            request.keys = &argv[j + 1..];
            break;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let timeout = parse_i64(&argv[5])?;
    request.db = parse_i64(&argv[4])?;
    if timeout > 0 {
        request.timeout = Duration::from_millis(timeout as u64);
    }
    Ok(request)
}

enum IoError {
    Connecting,
    Writing,
    Reading,
}

impl IoError {
    fn reply(self) -> Frame {
        Frame::error(match self {
            IoError::Connecting => "IOERR error or timeout connecting to the client",
            IoError::Writing => "IOERR error or timeout writing to target instance",
            IoError::Reading => "IOERR error or timeout reading to target instance",
        })
    }
}

fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Result<TcpStream, IoError> {
    let host = std::str::from_utf8(host).map_err(|_| IoError::Connecting)?;
    let port: u16 = std::str::from_utf8(port)
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or(IoError::Connecting)?;
    let address = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or(IoError::Connecting)?;
    // Redis connects without blocking and waits for the socket to be
    // writable, which a refused connection also is: the refusal surfaces
    // as a failed write.
    let stream = TcpStream::connect_timeout(&address, timeout).map_err(|error| {
        if error.kind() == std::io::ErrorKind::ConnectionRefused {
            IoError::Writing
        } else {
            IoError::Connecting
        }
    })?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|_| IoError::Connecting)?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// One reply line without its CRLF (Redis's `syncReadLine`).
fn read_line(reader: &mut BufReader<&TcpStream>) -> Result<Vec<u8>, IoError> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => Err(IoError::Reading),
        Ok(_) => {
            while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                line.pop();
            }
            Ok(line)
        }
    }
}

fn migrate(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let request = parse(argv)?;
    let compression = ctx.ks.rdb_compression;
    let mut db = selected_db(ctx);
    // The keys that exist, each with its payload and remaining TTL.
    let now = db.now_ms();
    let mut found = Vec::new();
    let mut any_exists = false;
    for key in request.keys {
        let Some(slot) = db.lookup_slot(key, Access::Read) else {
            continue;
        };
        let Some(entry) = db.entry(slot) else {
            continue;
        };
        any_exists = true;
        let ttl = match entry.expire_at() {
            None => 0,
            Some(at) if at - now < 0 => continue,
            Some(at) => (at - now).max(1),
        };
        let payload =
            dump_value(&entry.value, compression).map_err(|e| Frame::error(format!("ERR {e}")))?;
        found.push((key, ttl, payload));
    }
    if !any_exists {
        return Ok(Frame::Simple(Bytes::from_static(b"NOKEY")));
    }
    let mut out = Vec::new();
    if let Some((user, password)) = request.auth {
        match user {
            Some(user) => encode::command(&mut out, &[&b"AUTH"[..], user, password]),
            None => encode::command(&mut out, &[&b"AUTH"[..], password]),
        }
    }
    encode::command(
        &mut out,
        &[&b"SELECT"[..], request.db.to_string().as_bytes()],
    );
    for (key, ttl, payload) in &found {
        let ttl = ttl.to_string();
        let mut args: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), payload];
        if request.replace {
            args.push(b"REPLACE");
        }
        encode::command(&mut out, &args);
    }
    let stream = connect(&argv[1], &argv[2], request.timeout).map_err(IoError::reply)?;
    (&stream)
        .write_all(&out)
        .map_err(|_| IoError::Writing.reply())?;
    let mut reader = BufReader::new(&stream);
    let auth_reply = match request.auth {
        Some(_) => Some(read_line(&mut reader).map_err(IoError::reply)?),
        None => None,
    };
    let select_reply = read_line(&mut reader).map_err(IoError::reply)?;
    let mut target_error: Option<Vec<u8>> = None;
    let mut socket_error = false;
    let mut deleted = vec![word("DEL")];
    let mut removed = 0;
    for (key, _, _) in &found {
        let Ok(reply) = read_line(&mut reader) else {
            socket_error = true;
            break;
        };
        let failed = [
            auth_reply.as_deref(),
            Some(&select_reply[..]),
            Some(&reply[..]),
        ]
        .into_iter()
        .flatten()
        .find(|line| line.first() == Some(&b'-'));
        if let Some(line) = failed {
            target_error.get_or_insert_with(|| line[1..].to_vec());
        } else if !request.copy {
            db.remove(key);
            db.notify(NotifyFlags::GENERIC, "del", key);
            removed += 1;
            if db.propagating() {
                deleted.push((*key).clone());
            }
        }
    }
    // A change per key moved away, however the command ends.
    db.count_changes(removed);
    if deleted.len() > 1 {
        db.propagate_as(deleted);
    }
    if let Some(error) = target_error {
        return Err(Frame::error(format!(
            "ERR Target instance replied with error: {}",
            String::from_utf8_lossy(&error)
        )));
    }
    if socket_error {
        return Err(IoError::Reading.reply());
    }
    Ok(Frame::ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_args as args;

    fn error_of(argv: &[&str]) -> String {
        match parse(&args(argv)) {
            Err(Frame::Error(text)) => String::from_utf8_lossy(&text).into_owned(),
            _ => String::from("no error"),
        }
    }

    #[test]
    fn options_are_parsed_as_redis_parses_them() {
        let argv = args(&[
            "migrate", "h", "1", "", "3", "0", "copy", "replace", "auth2", "u", "p", "keys", "a",
            "b",
        ]);
        let request = parse(&argv).unwrap();
        assert!(request.copy && request.replace);
        assert_eq!(request.keys, &argv[12..]);
        assert_eq!(request.db, 3);
        assert_eq!(request.timeout, Duration::from_millis(1000));
        assert_eq!(
            error_of(&["migrate", "h", "1", "k", "0", "5", "keys", "a"]),
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
        );
        assert_eq!(
            error_of(&["migrate", "h", "1", "k", "0", "5", "auth"]),
            "ERR syntax error"
        );
        assert_eq!(
            error_of(&["migrate", "h", "1", "k", "0", "5", "bogus"]),
            "ERR syntax error"
        );
        assert_eq!(
            error_of(&["migrate", "h", "1", "k", "x", "5"]),
            "ERR value is not an integer or out of range"
        );
    }
}
