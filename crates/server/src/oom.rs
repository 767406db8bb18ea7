//! The `maxmemory` step of dispatch (Redis's `processCommand` OOM check).
//!
//! With a limit configured, every command first lets the keyspace evict
//! what the policy allows ([`crate::db::Keyspace::perform_evictions`]).
//! If memory is still over the limit and nothing more can go, commands
//! that may grow the dataset (`denyoom`, an EXEC whose queue holds one,
//! and anything but EXEC/DISCARD/QUIT/RESET inside MULTI, since queueing
//! itself takes memory) are refused with Redis's error; a refused EXEC
//! discards its transaction, as Redis's `execCommandAbort`. Without a limit
//! the check is one atomic load.
//!
//! EVAL, EVALSHA and FCALL count as the command their script declares
//! (a declared script is `denyoom` unless `allow-oom` or `no-writes`),
//! and whether the command started over the limit is kept for the
//! script's own checks (Redis's `pre_command_oom_state`).

use crate::db::EvictResult;
use crate::session::Session;
use crate::shared::{now_ms, Shared};
use bytes::Bytes;
use moat_commands::{Command, CommandFlags};
use moat_resp::Frame;

/// Redis's `shared.oomerr`, byte for byte.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// What `maxmemory` is compared with: the allocator's live bytes, as
/// Redis's `used_memory`. Redis subtracts replica output buffers and the
/// AOF buffer, which moat does not have; normal clients' buffers count
/// in Redis too.
pub fn used_memory() -> u64 {
    crate::alloc::allocated_bytes()
}

/// Evicts as needed; returns the rejection if `cmd` must not run.
pub fn check(session: &mut Session, cmd: &Command, argv: &[Bytes]) -> Option<Frame> {
    if session.shared.limits.maxmemory() == 0 {
        return None;
    }
    let shared = session.shared.clone();
    // Redis skips the check while a script is busy
    // (`isInsideYieldingLongCommand`): the command gets BUSY instead.
    if shared.scripting.run.busy_error().is_some() {
        return None;
    }
    let invalidated;
    let result = {
        let mut keyspace = shared.keyspace.lock();
        let result = keyspace.perform_evictions(&|_| used_memory(), now_ms());
        // Invalidations of evicted keys go out now, each before its
        // `evicted` notification, as in Redis.
        let outbox = keyspace.tracking.take_outbox();
        invalidated = !outbox.is_empty();
        if keyspace.tracking.broadcast_due() {
            shared
                .tracking_broadcast_due
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        keyspace.tracking.mark_events(0);
        if !keyspace.events.is_empty() || invalidated {
            let events = std::mem::take(&mut keyspace.events);
            // Evictions come before the command runs: what they tell this
            // client precedes its reply, in the order raised.
            let mut sender = crate::pubsub::Sender {
                id: session.client.id,
                protocol: session.push_protocol(),
                out: &mut session.deferred,
            };
            crate::tracking::publish_in_order(&shared, events, outbox, &mut sender, None);
        }
        result
    };
    if invalidated {
        // This client's own invalidations precede its reply.
        session.drain_mailbox_into_deferred();
    }
    session.pre_command_oom = result == EvictResult::Fail;
    if result != EvictResult::Fail {
        return None;
    }
    let denyoom = denies_oom(&shared, cmd, argv)
        || cmd.fullname == "exec" && session.transaction.as_ref().is_some_and(|t| t.denyoom);
    let queueing = session.transaction.is_some()
        && !matches!(cmd.fullname.as_str(), "exec" | "discard" | "quit" | "reset");
    if !(denyoom || queueing) {
        return None;
    }
    // A refused EXEC is discarded by the caller (`execCommandAbort`).
    Some(Frame::error(OOM_ERROR))
}

/// Redis's `getCommandFlags(c) & CMD_DENYOOM`: the command's own flag,
/// or for a script command the flags its script declares. Asked only
/// when memory is over the limit, and for each command queued in MULTI.
pub fn denies_oom(shared: &Shared, cmd: &Command, argv: &[Bytes]) -> bool {
    if cmd.flags.contains(CommandFlags::DENYOOM) {
        return true;
    }
    if !is_script_command(cmd) {
        return false;
    }
    let engine = shared.scripting.engine.lock();
    crate::scripting::requested_script_flags(&engine, &cmd.fullname, argv)
        .is_some_and(|flags| flags.denies_oom())
}

fn is_script_command(cmd: &Command) -> bool {
    matches!(
        cmd.fullname.as_str(),
        "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}
