//! A session's blocked command: what dispatch does when a handler asked to
//! block ([`crate::cmd::Ctx::block_on`]), and how the connection task
//! resumes it (re-run when woken, timeout, CLIENT UNBLOCK) or abandons it
//! (RESET, disconnection). The registry itself is [`crate::blocking`].

use crate::blocking::{unblocked_error, Resume, Unblock};
use crate::dispatch::KeyspaceLock;
use crate::session::Session;
use crate::shared::now_ms;
use bytes::Bytes;
use moat_commands::CommandId;
use moat_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;
use tokio::time::{Duration, Instant};

/// The command a blocked client waits to complete.
pub struct BlockedState {
    argv: Vec<Bytes>,
    cmd: CommandId,
    deadline: Option<Instant>,
    on_timeout: Frame,
    /// Set when a re-run blocked again (nothing left for it).
    reblocked: bool,
    /// Time spent running the command in the attempts that blocked: it
    /// counts in the command's duration when the command completes or
    /// times out (Redis 7.2's `c->duration` adds up until then).
    attempts_us: u64,
}

impl Session {
    pub fn is_blocked(&self) -> bool {
        self.blocked.is_some()
    }

    /// When the blocked command times out (`None`: never).
    pub fn block_deadline(&self) -> Option<Instant> {
        self.blocked.as_ref().and_then(|b| b.deadline)
    }

    /// Called by dispatch after a handler: registers a new block, or keeps
    /// the current one when a re-run found nothing. Returns whether the
    /// client is blocked (its reply is then withheld).
    pub(crate) fn take_block_request(
        &mut self,
        ks: &mut KeyspaceLock<'_>,
        cmd: CommandId,
        argv: &[Bytes],
    ) -> bool {
        let Some(request) = self.client.block.take() else {
            return false;
        };
        let id = self.client.id;
        self.no_reply = true;
        if let Some(state) = &mut self.blocked {
            ks.get().blocking.rearm(id);
            state.reblocked = true;
            // The re-run knows better what a timeout answers now
            // (WAITAOF's counts move while it waits).
            state.on_timeout = request.on_timeout;
            return true;
        }
        ks.get().blocking.block(
            id,
            self.mailbox.clone(),
            self.client.db,
            request.kind,
            &request.keys,
            request.timeout_ms > 0,
        );
        if request.unblock_on_nokey {
            ks.get().blocking.unblock_on_nokey(id);
        }
        let deadline = u64::try_from(request.timeout_ms)
            .ok()
            .filter(|&ms| ms > 0)
            .and_then(|ms| Instant::now().checked_add(Duration::from_millis(ms)));
        self.blocked = Some(BlockedState {
            argv: request.rerun_argv.unwrap_or_else(|| argv.to_vec()),
            cmd,
            deadline,
            on_timeout: request.on_timeout,
            reblocked: false,
            attempts_us: 0,
        });
        self.info.lock().blocked = true;
        true
    }

    /// Adds an attempt that blocked to the command's duration.
    pub(crate) fn note_block_attempt(&mut self, us: u64) {
        if let Some(state) = &mut self.blocked {
            state.attempts_us += us;
        }
    }

    /// The duration of the attempts that blocked, for the one that
    /// completes the command.
    pub(crate) fn take_block_attempts_us(&mut self) -> u64 {
        self.blocked
            .as_mut()
            .map_or(0, |state| std::mem::take(&mut state.attempts_us))
    }

    /// The mailbox reported a wake-up: re-runs the command through dispatch
    /// (ACL checked again) or ends it as CLIENT UNBLOCK asked. `None` while
    /// still blocked (or when CLIENT REPLY suppresses the reply).
    pub fn resume_blocked(&mut self) -> Option<Frame> {
        let shared = self.shared.clone();
        let resume = KeyspaceLock::new(&shared)
            .get()
            .blocking
            .resume(self.client.id);
        match resume {
            Resume::Nothing => None,
            Resume::Unblocked(Unblock::Timeout) => self.end_without_reply_from_command(None),
            Resume::Unblocked(Unblock::Error) => {
                self.end_without_reply_from_command(Some(unblocked_error()))
            }
            Resume::Rerun => {
                let argv = self.blocked.as_ref()?.argv.clone();
                let reply = self.execute(argv);
                if let Some(state) = &mut self.blocked {
                    if std::mem::take(&mut state.reblocked) {
                        return None;
                    }
                }
                self.leave_block();
                reply
            }
        }
    }

    /// The deadline passed: the command's timeout reply.
    pub fn block_timed_out(&mut self) -> Option<Frame> {
        self.end_without_reply_from_command(None)
    }

    /// Ends the block with the timeout reply or `error`, counting the
    /// command once, as Redis's `updateStatsOnUnblock` does.
    fn end_without_reply_from_command(&mut self, error: Option<Frame>) -> Option<Frame> {
        let state = self.blocked.as_ref()?;
        let stat = &self.shared.stats.commands[state.cmd as usize];
        stat.calls.fetch_add(1, Relaxed);
        // Not counted when it blocked (Redis 7.2's `updateStatsOnUnblock`).
        self.shared
            .stats
            .total_commands_processed
            .fetch_add(1, Relaxed);
        // The wait is not the command's duration: its attempts are
        // (Redis's `updateStatsOnUnblock`).
        stat.usec.fetch_add(state.attempts_us, Relaxed);
        if self.shared.limits.latency_tracking() {
            self.shared
                .stats
                .latency
                .record(state.cmd as usize, state.attempts_us * 1000);
        }
        let reply = match error {
            Some(error) => {
                stat.failed_calls.fetch_add(1, Relaxed);
                if let Frame::Error(message) = &error {
                    self.shared.stats.count_error(message);
                }
                error
            }
            None => state.on_timeout.clone(),
        };
        self.leave_block();
        self.apply_reply_mode(Some(reply))
    }

    /// Leaves the registry; the keys it waited on go to the next waiter.
    fn leave_block(&mut self) {
        // The blocked request is over (Redis's resetClient after unblocking).
        self.tracking_after_request(false);
        let shared = self.shared.clone();
        let mut ks = KeyspaceLock::new(&shared);
        self.cancel_block(&mut ks);
    }

    /// Forgets the blocked command (RESET, disconnection, end of a block).
    pub fn cancel_block(&mut self, ks: &mut KeyspaceLock<'_>) {
        if self.blocked.take().is_none() {
            return;
        }
        let keyspace = ks.get();
        keyspace.blocking.remove(self.client.id);
        keyspace.serve_blocked(now_ms());
        self.info.lock().blocked = false;
    }
}
