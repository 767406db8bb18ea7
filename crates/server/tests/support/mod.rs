//! Helpers shared by the ACL persistence tests: servers started from a
//! config file or aclfile in a temporary directory, replies as text, and
//! start-ups that must fail.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerBuilder, ServerProcess};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

pub fn moat() -> ServerBuilder {
    moat_server(BINARY)
}

/// The append-only directory of a server started in its own directory.
pub fn aof_dir(server: &ServerProcess) -> PathBuf {
    server.dir().join("appendonlydir")
}

pub fn binary() -> PathBuf {
    PathBuf::from(BINARY.expect("moat-server built for the tests"))
}

/// Sends one command and returns the reply.
pub fn call(client: &mut Client, args: &[&str]) -> Frame {
    client.call(args).unwrap()
}

/// The reply as text: `OK`, an error's message, a bulk string.
pub fn text(frame: &Frame) -> String {
    match frame {
        Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) => String::from_utf8_lossy(b).into(),
        other => panic!("not a string reply: {other:?}"),
    }
}

pub fn ok(client: &mut Client, args: &[&str]) {
    let reply = call(client, args);
    assert_eq!(reply, Frame::Simple("OK".into()), "{args:?}");
}

pub fn error(client: &mut Client, args: &[&str]) -> String {
    match call(client, args) {
        Frame::Error(message) => String::from_utf8_lossy(&message).into(),
        other => panic!("{args:?}: expected an error, got {other:?}"),
    }
}

/// `ACL LIST` as lines.
pub fn acl_list(client: &mut Client) -> Vec<String> {
    match call(client, &["ACL", "LIST"]) {
        Frame::Array(items) => items.iter().map(text).collect(),
        other => panic!("ACL LIST: {other:?}"),
    }
}

/// A client authenticated as `user`.
pub fn client_as(server: &ServerProcess, user: &str, password: &str) -> Client {
    let mut client = server.client().unwrap();
    ok(&mut client, &["AUTH", user, password]);
    client
}

pub fn sha256_hex(password: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Files in `dir` whose name contains `.tmp-` (ACL SAVE / CONFIG REWRITE
/// leftovers).
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect()
}

/// What a run of the binary that must stop by itself produced.
pub struct Exit {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Exit {
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `binary args...` in `dir` and waits (bounded) for it to exit.
pub fn run_to_exit(binary: &Path, args: &[&str], dir: &Path) -> Exit {
    let out = dir.join("run.out");
    let err = dir.join("run.err");
    let mut child = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} {args:?} did not exit: {}",
                binary.display(),
                std::fs::read_to_string(&out).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Exit {
        code: status.code(),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    }
}

/// Starts moat in `dir` with `args` (a port nobody uses) expecting it to
/// refuse to start: returns its exit and everything it printed.
pub fn start_must_fail(dir: &Path, args: &[&str]) -> Exit {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--port", &port, "--bind", "127.0.0.1", "--save", ""]);
    let exit = run_to_exit(&binary(), &all, dir);
    assert_eq!(exit.code, Some(1), "{}", exit.output());
    assert!(
        !exit.output().contains("Ready to accept connections"),
        "started half-configured: {}",
        exit.output()
    );
    exit
}
