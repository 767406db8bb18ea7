//! `CLIENT PAUSE`: holding commands back until a deadline.

use crate::shared::{now_ms, Shared};
use bytes::Bytes;
use moat_commands::{CommandFlags, Resolved};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

/// Whether a command may run now.
pub enum PauseDecision {
    Run,
    WaitUntil(tokio::time::Instant),
}

#[derive(Default)]
struct PauseState {
    until_ms: i64,
    write_only: bool,
}

/// The current pause, if any.
#[derive(Default)]
pub struct ClientPause {
    state: Mutex<PauseState>,
    /// The pause's deadline, readable without the lock: every command
    /// checks it, and almost always nothing is paused.
    until_ms: AtomicI64,
    /// Wakes the paused clients when the pause is lifted or changed.
    changed: tokio::sync::Notify,
}

impl ClientPause {
    /// Pauses until `until_ms`; a later or stronger pause wins, as in Redis.
    pub fn pause(&self, until_ms: i64, write_only: bool) {
        let mut state = self.state.lock();
        if state.until_ms < now_ms() {
            *state = PauseState {
                until_ms,
                write_only,
            };
        } else {
            state.until_ms = state.until_ms.max(until_ms);
            state.write_only &= write_only;
        }
        self.until_ms.store(state.until_ms, Relaxed);
        self.changed.notify_waiters();
    }

    pub fn unpause(&self) {
        let mut state = self.state.lock();
        *state = PauseState::default();
        self.until_ms.store(0, Relaxed);
        // Paused clients run at once, as after Redis's unpauseClients.
        self.changed.notify_waiters();
    }

    /// Waits until the deadline or until the pause is lifted or changed;
    /// the caller then decides again.
    pub async fn wait(&self, deadline: tokio::time::Instant) {
        let changed = self.changed.notified();
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = changed => {}
        }
    }

    /// Whether `argv` must wait. Pause-related commands and, in WRITE mode,
    /// commands that cannot write always run.
    pub fn decide(&self, shared: &Shared, argv: &[Bytes]) -> PauseDecision {
        // Never paused (or unpaused): neither the lock nor the clock.
        if self.until_ms.load(Relaxed) == 0 {
            return PauseDecision::Run;
        }
        let (until_ms, write_only) = {
            let state = self.state.lock();
            (state.until_ms, state.write_only)
        };
        // Never paused (or unpaused): no clock read on the hot path.
        if until_ms == 0 {
            return PauseDecision::Run;
        }
        let now = now_ms();
        if until_ms <= now {
            return PauseDecision::Run;
        }
        let Resolved::Command(cmd) = shared.table.resolve(argv) else {
            return PauseDecision::Run;
        };
        if cmd.fullname == "client|unpause" || cmd.fullname == "client|pause" {
            return PauseDecision::Run;
        }
        let writes = cmd
            .flags
            .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE);
        if write_only && !writes {
            return PauseDecision::Run;
        }
        let wait = std::time::Duration::from_millis((until_ms - now) as u64);
        PauseDecision::WaitUntil(tokio::time::Instant::now() + wait)
    }
}
