//! Raw bytes on the wire: a table of protocol cases and a client that
//! writes them unchecked and records what comes back.
//!
//! The other harnesses send well-formed commands through [`crate::Client`];
//! this one exists for what a well-formed client never sends (malformed
//! RESP, absurd lengths, odd inline lines, requests split at every byte),
//! where the answer to compare is the exact byte stream and whether the
//! server hung up.
//!
//! # Case files
//!
//! ```text
//! # A comment. Each case starts with `case <name>`; its lines follow.
//! case multibulk-bad-count
//! send *abc\r\n
//!
//! case split-ping
//! split 1                 # write the request one byte at a time
//! send *1\r\n$4\r\nPING\r\n
//!
//! # Every `send` line is one write; `pause` is the time between two
//! # writes in milliseconds (default 20).
//! case two-writes
//! pause 100
//! send *3\r\n
//! send PING\r\n
//!
//! # `server` names the server pair the case runs on; this sends `x`
//! # 70000 times.
//! case long-inline
//! server requirepass
//! send \*70000{x}
//! ```
//!
//! A `send` line's text is sent as written after `send ` up to the end of
//! the line, trailing blanks removed, with these escapes: `\r`, `\n`, `\t`,
//! `\0`, `\s` (a space, for a significant trailing one), `\\`, `\xHH`
//! (one byte), and `\*N{...}` (what is between the braces, with its own
//! escapes, N times; `\}` is a literal brace inside). Other directives:
//! `split N` (cut the case's bytes into writes of N bytes), `pause MS`,
//! (these two may end in a ` # comment`; a `send` line may not),
//! `server NAME` (default `default`) and `mask hello` (the reply to
//! `HELLO` carries a version and a client id that legitimately differ;
//! they are replaced by placeholders before comparing).

use crate::error::{Result, TestkitError};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Default pause between two writes of a case.
pub const DEFAULT_PAUSE: Duration = Duration::from_millis(20);
/// How long the server may stay silent, once everything is written,
/// before the connection is taken to be open and idle.
pub const QUIET_TIMEOUT: Duration = Duration::from_millis(300);
/// The longest a single exchange may take.
pub const EXCHANGE_LIMIT: Duration = Duration::from_secs(15);

/// One case of a protocol table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolCase {
    pub name: String,
    /// Line of the `case` directive, for messages.
    pub line: usize,
    /// The server pair to run on (`server` directive).
    pub server: String,
    /// One entry per write.
    pub chunks: Vec<Vec<u8>>,
    pub pause: Duration,
    /// Whether to mask `HELLO`'s version and id.
    pub mask_hello: bool,
}

impl ProtocolCase {
    /// All the bytes of the case, as one stream.
    pub fn bytes(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// What a server answered to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Every byte received, in order.
    pub received: Vec<u8>,
    /// The server closed the connection (end of stream or reset).
    pub closed: bool,
}

/// Reads a case file.
pub fn load_cases(path: &Path) -> Result<Vec<ProtocolCase>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| TestkitError::io(format!("read {}", path.display()), e))?;
    parse_cases(&text).map_err(|(line, message)| TestkitError::Script {
        path: path.to_path_buf(),
        line,
        message,
    })
}

/// Parses the case format described in the module documentation; errors
/// are (line, message).
pub fn parse_cases(text: &str) -> std::result::Result<Vec<ProtocolCase>, (usize, String)> {
    let mut cases: Vec<ProtocolCase> = Vec::new();
    let mut split: Option<usize> = None;
    let finish = |cases: &mut Vec<ProtocolCase>, split: &mut Option<usize>| {
        if let (Some(case), Some(n)) = (cases.last_mut(), split.take()) {
            let bytes = case.bytes();
            case.chunks = bytes.chunks(n).map(<[u8]>::to_vec).collect();
        }
    };
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (directive, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        if directive == "case" {
            finish(&mut cases, &mut split);
            let name = rest.trim();
            if name.is_empty() {
                return Err((number, "a case needs a name".into()));
            }
            if cases.iter().any(|c| c.name == name) {
                return Err((number, format!("duplicate case name {name:?}")));
            }
            cases.push(ProtocolCase {
                name: name.to_string(),
                line: number,
                server: "default".into(),
                chunks: Vec::new(),
                pause: DEFAULT_PAUSE,
                mask_hello: false,
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            return Err((number, format!("{directive:?} before the first case")));
        };
        // Directives other than `send` may carry a trailing comment.
        let argument = rest.split(" #").next().unwrap_or("").trim();
        match directive {
            "send" => case.chunks.push(unescape(rest).map_err(|m| (number, m))?),
            "split" => match argument.parse::<usize>() {
                Ok(n) if n > 0 => split = Some(n),
                _ => return Err((number, format!("bad split size {argument:?}"))),
            },
            "pause" => match argument.parse::<u64>() {
                Ok(ms) => case.pause = Duration::from_millis(ms),
                Err(_) => return Err((number, format!("bad pause {argument:?}"))),
            },
            "server" => case.server = argument.to_string(),
            "mask" if argument == "hello" => case.mask_hello = true,
            other => return Err((number, format!("unknown directive {other:?}"))),
        }
    }
    finish(&mut cases, &mut split);
    if let Some(empty) = cases.iter().find(|c| c.chunks.is_empty()) {
        return Err((empty.line, format!("case {:?} sends nothing", empty.name)));
    }
    Ok(cases)
}

/// Decodes a `send` line's escapes.
pub fn unescape(text: &str) -> std::result::Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let (out, end) = unescape_until(bytes, 0, false)?;
    debug_assert_eq!(end, bytes.len());
    Ok(out)
}

/// Decodes from `pos` to the end of `bytes`, or (inside a repeat) to the
/// closing brace; returns the bytes and the index after what was read.
fn unescape_until(
    bytes: &[u8],
    mut pos: usize,
    in_braces: bool,
) -> std::result::Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    while pos < bytes.len() {
        let c = bytes[pos];
        if c == b'}' && in_braces {
            return Ok((out, pos + 1));
        }
        if c != b'\\' {
            out.push(c);
            pos += 1;
            continue;
        }
        let Some(&e) = bytes.get(pos + 1) else {
            return Err("a lone backslash ends the line (write \\\\)".into());
        };
        pos += 2;
        match e {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b's' => out.push(b' '),
            b'\\' => out.push(b'\\'),
            b'}' => out.push(b'}'),
            b'x' => {
                let hex = bytes
                    .get(pos..pos + 2)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("\\x needs two hex digits")?;
                out.push(hex);
                pos += 2;
            }
            b'*' => {
                let digits = bytes[pos..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let count: usize = std::str::from_utf8(&bytes[pos..pos + digits])
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or("\\* needs a count")?;
                pos += digits;
                if bytes.get(pos) != Some(&b'{') {
                    return Err("\\*N must be followed by {".into());
                }
                let (inner, after) = unescape_until(bytes, pos + 1, true)?;
                if after > bytes.len() || bytes.get(after - 1) != Some(&b'}') {
                    return Err("unterminated \\*N{".into());
                }
                out.extend(inner.repeat(count));
                pos = after;
            }
            other => return Err(format!("unknown escape \\{}", char::from(other))),
        }
    }
    if in_braces {
        return Err("unterminated \\*N{".into());
    }
    Ok((out, pos))
}

/// Shows bytes in the case syntax, long runs of one byte folded.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();
        if run >= 16 {
            out.push_str(&format!("\\*{run}{{{}}}", escape_byte(bytes[i])));
            i += run;
            continue;
        }
        out.push_str(&escape_byte(bytes[i]));
        i += 1;
    }
    out
}

fn escape_byte(b: u8) -> String {
    match b {
        b'\r' => "\\r".into(),
        b'\n' => "\\n".into(),
        b'\t' => "\\t".into(),
        0 => "\\0".into(),
        b'\\' => "\\\\".into(),
        0x20..=0x7e => char::from(b).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

/// Opens a fresh connection to `addr`, writes the case's chunks (from
/// another thread, so that a server answering a long pipeline is read
/// while the pipeline is written), and reads until the server closes the
/// connection or stays quiet for [`QUIET_TIMEOUT`] after the last write.
pub fn exchange(addr: SocketAddr, case: &ProtocolCase) -> Result<Exchange> {
    let stream = TcpStream::connect(addr).map_err(|e| TestkitError::io("connect", e))?;
    stream
        .set_nodelay(true)
        .map_err(|e| TestkitError::io("set TCP_NODELAY", e))?;
    let mut writer = stream
        .try_clone()
        .map_err(|e| TestkitError::io("clone the socket", e))?;
    let written = Arc::new(AtomicBool::new(false));
    let done = written.clone();
    let chunks = case.chunks.clone();
    let pause = case.pause;
    let sender = thread::spawn(move || {
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                thread::sleep(pause);
            }
            // A server that hung up makes the rest unwritable; what it
            // answered before is still read below.
            if writer
                .write_all(chunk)
                .and_then(|()| writer.flush())
                .is_err()
            {
                break;
            }
        }
        done.store(true, Ordering::SeqCst);
    });
    let result = read_answer(stream, &written);
    let _ = sender.join();
    let mut exchange = result?;
    if case.mask_hello {
        exchange.received = mask_hello(&exchange.received);
    }
    Ok(exchange)
}

fn read_answer(mut stream: TcpStream, written: &AtomicBool) -> Result<Exchange> {
    stream
        .set_read_timeout(Some(Duration::from_millis(25)))
        .map_err(|e| TestkitError::io("set a read timeout", e))?;
    let start = Instant::now();
    let mut last_activity = Instant::now();
    let mut writes_done = false;
    let mut received = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if !writes_done && written.load(Ordering::SeqCst) {
            writes_done = true;
            last_activity = Instant::now();
        }
        match stream.read(&mut buf) {
            Ok(0) => return Ok(closed(received)),
            Ok(n) => {
                received.extend_from_slice(&buf[..n]);
                last_activity = Instant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if writes_done && last_activity.elapsed() >= QUIET_TIMEOUT {
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(Exchange {
                        received,
                        closed: false,
                    });
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(closed(received));
            }
            Err(e) => return Err(TestkitError::io("read the answer", e)),
        }
        if start.elapsed() > EXCHANGE_LIMIT {
            return Err(TestkitError::Timeout(EXCHANGE_LIMIT));
        }
    }
}

fn closed(received: Vec<u8>) -> Exchange {
    Exchange {
        received,
        closed: true,
    }
}

/// Replaces the values after `version` and `id` in a HELLO reply (RESP2
/// or RESP3) with `<version>` and `<id>`.
pub fn mask_hello(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (key, placeholder) in [
        (&b"$7\r\nversion\r\n"[..], &b"<version>"[..]),
        (b"$2\r\nid\r\n", b"<id>"),
    ] {
        let mut from = 0;
        while let Some(at) = find(&out[from..], key).map(|i| i + from) {
            let value_start = at + key.len();
            // The value: a bulk header line and its body, or one line.
            let Some(line_end) = find(&out[value_start..], b"\r\n").map(|i| i + value_start) else {
                break;
            };
            let mut value_end = line_end + 2;
            if out[value_start] == b'$' {
                match find(&out[value_end..], b"\r\n") {
                    Some(i) => value_end += i + 2,
                    None => break,
                }
            }
            out.splice(value_start..value_end, placeholder.iter().copied());
            from = value_start + placeholder.len();
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_repeats() {
        assert_eq!(unescape(r"a\r\n\x41\0\s\\").unwrap(), b"a\r\nA\0 \\");
        assert_eq!(unescape(r"\*3{ab}c").unwrap(), b"abababc");
        assert_eq!(unescape(r"\*2{\*2{x}\}}").unwrap(), b"xx}xx}");
        assert!(unescape(r"\*2{x").is_err());
        assert!(unescape(r"\q").is_err());
        assert!(unescape(r"\x4").is_err());
        assert_eq!(escape(b"ab\r\n\x01"), r"ab\r\n\x01");
        assert_eq!(escape(&[b'x'; 20]), r"\*20{x}");
    }

    #[test]
    fn case_file() {
        let cases = parse_cases(
            "# c\ncase a\nsend PING\\r\\n\ncase b\nsplit 2 # two\nserver pw\nsend abc\nsend de\n",
        )
        .unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].chunks, vec![b"PING\r\n".to_vec()]);
        assert_eq!(cases[1].server, "pw");
        assert_eq!(
            cases[1].chunks,
            vec![b"ab".to_vec(), b"cd".to_vec(), b"e".to_vec()]
        );
        assert!(parse_cases("case a\n").is_err());
        assert!(parse_cases("send x\n").is_err());
    }

    #[test]
    fn hello_masking() {
        let reply = b"%2\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$2\r\nid\r\n:12\r\n";
        assert_eq!(
            mask_hello(reply),
            b"%2\r\n$7\r\nversion\r\n<version>$2\r\nid\r\n<id>".to_vec()
        );
    }
}
