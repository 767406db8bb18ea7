//! The process around the server: daemonizing and the pid file.
//!
//! Both happen exactly where Redis does them: after the configuration is
//! read (so a bad file still reports on the terminal) and before any
//! thread exists, because `fork` copies only the calling thread and the
//! runtime's workers would be lost in the child.

use std::path::PathBuf;

/// `daemonize yes` without a `pidfile`: Redis's default path.
const DEFAULT_PID_FILE: &str = "/var/run/redis.pid";

/// Detaches from the terminal as Redis's `daemonize()` does: the parent
/// exits, the child starts a new session with standard input, output and
/// error on `/dev/null` (so only a `logfile` keeps the log).
pub fn daemonize() -> std::io::Result<()> {
    // SAFETY: called before any other thread is started; the child only
    // continues the single-threaded start-up.
    match unsafe { libc::fork() } {
        -1 => return Err(std::io::Error::last_os_error()),
        0 => {}
        _ => std::process::exit(0),
    }
    // SAFETY: plain system calls on descriptors this process owns.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, libc::STDIN_FILENO);
            libc::dup2(null, libc::STDOUT_FILENO);
            libc::dup2(null, libc::STDERR_FILENO);
            if null > libc::STDERR_FILENO {
                libc::close(null);
            }
        }
    }
    Ok(())
}

/// The pid file, removed again when the server stops.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes the pid file if one is configured (or implied by
    /// `daemonize`). Failure is only logged, as in Redis.
    pub fn create(configured: &str, daemonized: bool) -> Option<PidFile> {
        let path = match (configured.is_empty(), daemonized) {
            (false, _) => PathBuf::from(configured),
            (true, true) => PathBuf::from(DEFAULT_PID_FILE),
            (true, false) => return None,
        };
        match std::fs::write(&path, format!("{}\n", std::process::id())) {
            Ok(()) => Some(PidFile { path }),
            Err(error) => {
                tracing::warn!(
                    "Failed to write PID file: {}",
                    crate::startup::io_error_text(&error)
                );
                None
            }
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
