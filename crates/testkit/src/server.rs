//! Server processes for tests: moat-server or a reference redis-server.
//!
//! Each test gets its own process on 127.0.0.1 and a free port, in its own
//! temporary directory, so tests run in parallel without sharing state.
//! The process's stdout and stderr go to `server.log` in that directory and
//! are quoted in every start failure, because "server did not start" without
//! the server's own words is useless. Dropping a [`ServerProcess`] (also
//! while unwinding from a failed assertion) stops it: SIGTERM first so it
//! can shut down cleanly, SIGKILL if it does not within a bound.

use crate::client::Client;
use crate::error::{Result, TestkitError};
use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a server may take to answer its first PING.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a server may take to exit after SIGTERM before it is killed.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts with a fresh port when another process grabbed ours first.
const PORT_ATTEMPTS: usize = 5;
const POLL_INTERVAL: Duration = Duration::from_millis(20);
const LOG_FILE: &str = "server.log";

/// How to start a server: binary, optional config file, extra directives.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    binary: PathBuf,
    config_file: Option<PathBuf>,
    args: Vec<OsString>,
    persistence_off: bool,
    bind_loopback: bool,
}

impl ServerBuilder {
    /// A server from `binary` with persistence off (`--save '' --appendonly no`).
    pub fn new(binary: impl Into<PathBuf>) -> ServerBuilder {
        ServerBuilder {
            binary: binary.into(),
            config_file: None,
            args: Vec::new(),
            persistence_off: true,
            bind_loopback: true,
        }
    }

    /// Passes `path` as the first argument, where redis-server expects its config file.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> ServerBuilder {
        self.config_file = Some(path.into());
        self
    }

    /// Appends command-line directives, e.g. `["--aclfile", "/tmp/users.acl"]`.
    pub fn args<I, S>(mut self, args: I) -> ServerBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Leaves `save`/`appendonly` at the server's defaults, for persistence tests.
    pub fn keep_persistence(mut self) -> ServerBuilder {
        self.persistence_off = false;
        self
    }

    /// Leaves `bind` to the config file instead of `--bind 127.0.0.1`, for
    /// tests of the file's own `bind` lines (which should then bind
    /// 127.0.0.1, where the harness connects).
    pub fn bind_from_config(mut self) -> ServerBuilder {
        self.bind_loopback = false;
        self
    }

    /// Starts the server in a fresh temporary directory and waits for PING.
    pub fn start(self) -> Result<ServerProcess> {
        let dir = tempfile::Builder::new()
            .prefix("moat-test-")
            .tempdir()
            .map_err(|e| TestkitError::io("create server directory", e))?;
        let mut server = ServerProcess {
            builder: self,
            dir,
            port: 0,
            child: None,
        };
        server.spawn_on_free_port()?;
        Ok(server)
    }
}

/// A running server, stopped when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    builder: ServerBuilder,
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl ServerProcess {
    /// Starts `binary` with `extra_args` and persistence off.
    pub fn start<S: Into<OsString>>(
        binary: impl Into<PathBuf>,
        extra_args: impl IntoIterator<Item = S>,
    ) -> Result<ServerProcess> {
        ServerBuilder::new(binary).args(extra_args).start()
    }

    /// `redis://user:password@127.0.0.1:<port>`, as redis-cli's `-u` takes it.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!("redis://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The server's working directory (`--dir`), which survives restarts.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A new connection to the server.
    pub fn client(&self) -> Result<Client> {
        Client::connect(self.addr())
    }

    /// Everything the server printed so far (from all its runs).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join(LOG_FILE)).unwrap_or_default()
    }

    /// Stops the server and starts it again with the same arguments and
    /// directory, so files it wrote (ACL file, RDB) are read back. The port
    /// is kept unless someone else took it meanwhile.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        match self.spawn(self.port) {
            Ok(()) => Ok(()),
            Err(_) if !port_is_free(self.port) => self.spawn_on_free_port(),
            Err(e) => Err(e),
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after a bound) and reaps it.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: plain kill(2) on our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) => thread::sleep(POLL_INTERVAL),
                Err(e) => return Err(TestkitError::io("wait for server", e)),
            }
        }
        child
            .kill()
            .and_then(|()| child.wait().map(drop))
            .map_err(|e| TestkitError::io("kill server", e))
    }

    /// Kills the server with SIGKILL, as a crash or power loss would stop
    /// it (no shutdown code runs), and reaps it. [`ServerProcess::restart`]
    /// starts it again.
    pub fn kill(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        child
            .kill()
            .and_then(|()| child.wait().map(drop))
            .map_err(|e| TestkitError::io("kill server", e))
    }

    fn spawn_on_free_port(&mut self) -> Result<()> {
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            match self.spawn(port) {
                Ok(()) => return Ok(()),
                Err(e) if attempt >= PORT_ATTEMPTS || !self.lost_port_race(port) => return Err(e),
                Err(_) => attempt += 1,
            }
        }
    }

    /// Another process may bind the port between our probe and the
    /// server's own bind; only then is a new port worth a try.
    fn lost_port_race(&self, port: u16) -> bool {
        !port_is_free(port) || self.log().contains("in use")
    }

    fn spawn(&mut self, port: u16) -> Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join(LOG_FILE))
            .map_err(|e| TestkitError::io("open server log", e))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|e| TestkitError::io("open server log", e))?;
        let child = Command::new(&self.builder.binary)
            .args(self.command_line(port))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr)
            .spawn()
            .map_err(|e| self.start_error(format!("cannot execute: {e}")))?;
        self.port = port;
        self.child = Some(child);
        self.wait_until_ready()
    }

    fn command_line(&self, port: u16) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(config) = &self.builder.config_file {
            args.push(config.into());
        }
        args.extend(["--port".into(), port.to_string().into()]);
        if self.builder.bind_loopback {
            args.extend(["--bind".into(), "127.0.0.1".into()]);
        }
        args.extend(["--dir".into(), self.dir.path().into()]);
        if self.builder.persistence_off {
            args.extend(["--save", "", "--appendonly", "no"].map(OsString::from));
        }
        args.extend(self.builder.args.iter().cloned());
        args
    }

    /// Polls until PING gets any reply: `NOAUTH` also proves the server is
    /// serving, and a config may well require a password. `LOADING` does not.
    fn wait_until_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.exit_status()? {
                return Err(self.start_error(format!("exited with {status}")));
            }
            if self.answers_ping() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.stop();
                return Err(
                    self.start_error(format!("no reply to PING within {STARTUP_TIMEOUT:?}"))
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut client) = Client::connect(self.addr()) else {
            return false;
        };
        match client.call(&["PING"]) {
            Ok(moat_resp::Frame::Error(text)) => !text.starts_with(b"LOADING"),
            Ok(_) => true,
            Err(_) => false,
        }
    }

    fn exit_status(&mut self) -> Result<Option<std::process::ExitStatus>> {
        let Some(child) = self.child.as_mut() else {
            return Ok(None);
        };
        let status = child
            .try_wait()
            .map_err(|e| TestkitError::io("wait for server", e))?;
        if status.is_some() {
            self.child = None;
        }
        Ok(status)
    }

    fn start_error(&self, reason: String) -> TestkitError {
        TestkitError::ServerStart {
            binary: self.builder.binary.clone(),
            reason,
            log: self.log(),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Nothing useful can be done with a failure here; the process is at
        // worst left for the OS to clean up with the test binary.
        let _ = self.stop();
    }
}

/// A port nobody listens on right now (the OS picks it; we release it),
/// and that no other server of this test process was given: the OS may
/// hand a released port out again at once, and two servers started by
/// parallel threads would then be given the same one.
fn free_port() -> Result<u16> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|e| TestkitError::io("find a free port", e))?;
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}
