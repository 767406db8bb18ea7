//! The state of the script being run, readable without the keyspace or
//! the engine lock: a running script holds both for its whole run, and the
//! other clients must still get `BUSY` and be able to `SCRIPT KILL` it.
//!
//! Every field is an atomic (or a short-held mutex for FUNCTION STATS's
//! name) so dispatch's check for other clients is one atomic load.

use crate::shared::now_ms;
use moat_resp::Frame;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::SeqCst};

pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

#[derive(Default)]
pub struct RunState {
    running: AtomicBool,
    /// Set by the instruction hook once the script ran longer than
    /// `busy-reply-threshold`: from then on other clients get BUSY.
    timed_out: AtomicBool,
    /// FCALL (killed with FUNCTION KILL) rather than EVAL (SCRIPT KILL).
    function: AtomicBool,
    /// A write command ran: the script can no longer be killed.
    wrote: AtomicBool,
    kill: AtomicBool,
    started_ms: AtomicI64,
    threshold_ms: AtomicU64,
    /// FUNCTION STATS' `running_script`: function name and the command.
    current: Mutex<Option<(String, Vec<bytes::Bytes>)>>,
    /// While a library loads: when its code must have finished (Redis
    /// gives library code 500 ms), 0 otherwise.
    load_deadline_ms: AtomicI64,
    load_timed_out: AtomicBool,
}

/// How long FUNCTION LOAD lets the library code run.
const LOAD_TIMEOUT_MS: i64 = 500;

impl RunState {
    /// Marks a script as running (called with the engine locked).
    pub fn begin(&self, function: bool, name: &str, argv: &[bytes::Bytes], threshold_ms: u64) {
        self.function.store(function, SeqCst);
        self.wrote.store(false, SeqCst);
        self.kill.store(false, SeqCst);
        self.timed_out.store(false, SeqCst);
        self.started_ms.store(now_ms(), SeqCst);
        self.threshold_ms.store(threshold_ms, SeqCst);
        *self.current.lock() = Some((name.to_string(), argv.to_vec()));
        self.running.store(true, SeqCst);
    }

    pub fn end(&self) {
        self.running.store(false, SeqCst);
        self.timed_out.store(false, SeqCst);
        self.kill.store(false, SeqCst);
        *self.current.lock() = None;
    }

    /// A library's code starts running (FUNCTION LOAD); `timed` gives it
    /// [`LOAD_TIMEOUT_MS`], else it runs to its end (Redis's timeout 0).
    pub fn begin_load(&self, timed: bool) {
        self.load_timed_out.store(false, SeqCst);
        let deadline = if timed { now_ms() + LOAD_TIMEOUT_MS } else { 0 };
        self.load_deadline_ms.store(deadline, SeqCst);
    }

    /// The library's code finished; whether it was stopped for running
    /// too long.
    pub fn end_load(&self) -> bool {
        self.load_deadline_ms.store(0, SeqCst);
        self.load_timed_out.swap(false, SeqCst)
    }

    pub fn note_write(&self) {
        self.wrote.store(true, SeqCst);
    }

    pub fn killed(&self) -> bool {
        self.kill.load(SeqCst)
    }

    pub fn is_function(&self) -> bool {
        self.function.load(SeqCst)
    }

    /// Called from the instruction hook: notes the timeout and tells
    /// whether the script must stop.
    pub fn on_hook(&self) -> bool {
        if !self.running.load(SeqCst) {
            let deadline = self.load_deadline_ms.load(SeqCst);
            if deadline != 0 && now_ms() > deadline {
                self.load_timed_out.store(true, SeqCst);
                return true;
            }
            return false;
        }
        if !self.timed_out.load(SeqCst) {
            let elapsed = now_ms() - self.started_ms.load(SeqCst);
            if elapsed >= self.threshold_ms.load(SeqCst) as i64 {
                self.timed_out.store(true, SeqCst);
                tracing::warn!(
                    "Slow script detected: still in execution after {elapsed} milliseconds. \
                     You can try killing the script using the SCRIPT KILL command."
                );
            }
        }
        self.kill.load(SeqCst)
    }

    /// Called by dispatch for other clients' commands: while a script runs
    /// but has not yet passed its threshold, they wait (as they would for
    /// Redis's single thread) without holding a runtime worker hostage, so
    /// that SCRIPT KILL and BUSY replies can still be served.
    pub fn wait_while_quiet(&self) {
        if !self.running.load(SeqCst) || self.timed_out.load(SeqCst) {
            return;
        }
        super::run::off_the_reactor(|| {
            while self.running.load(SeqCst) && !self.timed_out.load(SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
    }

    /// The BUSY error other clients get while a script is past its
    /// threshold; `None` when they may proceed.
    pub fn busy_error(&self) -> Option<Frame> {
        if !self.timed_out.load(SeqCst) || !self.running.load(SeqCst) {
            return None;
        }
        Some(Frame::error(if self.is_function() {
            BUSY_FUNCTION
        } else {
            BUSY_EVAL
        }))
    }

    /// SCRIPT KILL (`eval` true) or FUNCTION KILL, with Redis's refusals.
    pub fn request_kill(&self, eval: bool) -> Frame {
        if !self.running.load(SeqCst) {
            return Frame::error("NOTBUSY No scripts in execution right now.");
        }
        if self.wrote.load(SeqCst) {
            return Frame::error(
                "UNKILLABLE Sorry the script already executed write commands against the \
                 dataset. You can either wait the script termination or kill the server in a \
                 hard way using the SHUTDOWN NOSAVE command.",
            );
        }
        if eval && self.is_function() {
            return Frame::error(BUSY_FUNCTION);
        }
        if !eval && !self.is_function() {
            return Frame::error(BUSY_EVAL);
        }
        self.kill.store(true, SeqCst);
        Frame::ok()
    }

    /// FUNCTION STATS' `running_script` entry.
    pub fn running_function(&self) -> Option<(String, Vec<bytes::Bytes>, i64)> {
        if !self.running.load(SeqCst) || !self.is_function() {
            return None;
        }
        let started = self.started_ms.load(SeqCst);
        self.current
            .lock()
            .clone()
            .map(|(name, argv)| (name, argv, now_ms() - started))
    }
}
