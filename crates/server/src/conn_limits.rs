//! Per-connection limits that do not belong to one request: TCP
//! keepalive on accepted sockets (`tcp-keepalive`), closing idle clients
//! (`timeout`, Redis's `clientsCronHandleTimeout`), and the output a
//! client that does not read may make the server hold
//! (`client-output-buffer-limit normal`).

use crate::shared::Shared;
use moat_config::OutputBufferLimit;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering::Relaxed;

/// `anetKeepAlive`: probes start after `interval` idle seconds, are sent
/// every third of it, and three unanswered ones close the connection.
pub fn set_keepalive(fd: RawFd, interval_secs: i64) {
    if interval_secs <= 0 {
        return;
    }
    let interval = interval_secs.min(i64::from(libc::c_int::MAX)) as libc::c_int;
    let options = [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval),
        (
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            (interval / 3).max(1),
        ),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (level, name, value) in options {
        // SAFETY: setsockopt on an open socket with a valid int pointer.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                &value as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            tracing::warn!(
                "Error setting TCP keepalive: {}",
                std::io::Error::last_os_error()
            );
            return;
        }
    }
}

/// Closes clients idle for more than `timeout` seconds. Subscribers and
/// MONITOR clients (Redis's replica-flagged ones) wait for the server to
/// talk and are exempt, as in Redis. Returns how many were closed.
pub fn close_idle_clients(shared: &Shared, now_ms: i64) -> usize {
    let timeout_secs = shared.limits.idle_timeout_secs();
    if timeout_secs == 0 {
        return 0;
    }
    let timeout_ms = timeout_secs.saturating_mul(1000).min(i64::MAX as u64) as i64;
    shared.clients.kill_where(|info| {
        let idle = now_ms - info.last_interaction_ms > timeout_ms;
        let exempt = info.monitor
            || info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0;
        if idle && !exempt {
            tracing::debug!("Closing idle client");
        }
        idle && !exempt
    })
}

/// Idle time after which a client's buffers are released (Redis's
/// `clientsCronResizeQueryBuffer` frees a query buffer idle for 2 s).
const RELEASE_BUFFERS_IDLE_MS: i64 = 2000;

/// Asks every client idle for a while that still holds read and write
/// buffers to release them.
pub fn release_idle_buffers(shared: &Shared, now_ms: i64) {
    shared.clients.for_each(|info, mailbox| {
        if now_ms - info.last_interaction_ms >= RELEASE_BUFFERS_IDLE_MS {
            mailbox.ask_to_release_buffers();
        }
    });
}

/// The memory a client costs, as CLIENT LIST's `tot-mem` counts it
/// (its read buffer, query buffer, queued messages) plus unsent replies.
/// MONITOR clients are replica-typed in Redis: neither counted nor evicted.
fn client_memory(handle: &crate::clients::ClientHandle) -> Option<(u64, bool)> {
    let (queued, _) = handle.mailbox.pending();
    let info = handle.info.lock();
    if info.monitor {
        return None;
    }
    let bytes = 16384 + info.query_buffer + info.reply_pending + queued;
    Some((bytes as u64, info.no_evict))
}

/// What every client together uses (INFO `mem_clients_normal`).
pub fn clients_memory(shared: &Shared) -> u64 {
    shared
        .clients
        .snapshot()
        .iter()
        .filter_map(client_memory)
        .map(|(bytes, _)| bytes)
        .sum()
}

/// `maxmemory-clients`: while all clients together use more than the
/// limit, closes the biggest one not protected by `CLIENT NO-EVICT`
/// (Redis evicts from its biggest memory bucket first). Protected
/// clients still count in the total, as in Redis. Checked by the
/// cron, so a client can overshoot for up to one tick. Returns how many
/// were closed.
pub fn evict_clients(shared: &Shared) -> usize {
    let limit = shared.limits.maxmemory_clients();
    if limit == 0 {
        return 0;
    }
    let mut clients: Vec<_> = shared
        .clients
        .snapshot()
        .into_iter()
        .filter(|handle| !handle.kill.is_killed())
        .filter_map(|handle| Some((client_memory(&handle)?, handle)))
        .collect();
    let mut total: u64 = clients.iter().map(|((bytes, _), _)| bytes).sum();
    if total <= limit {
        return 0;
    }
    clients.sort_by_key(|((bytes, _), _)| std::cmp::Reverse(*bytes));
    let mut evicted = 0;
    for ((bytes, no_evict), handle) in clients {
        if total <= limit {
            break;
        }
        if no_evict {
            continue;
        }
        let line = crate::clients::format_client_line(
            &handle.info.lock(),
            handle.mailbox.pending(),
            crate::shared::now_ms(),
        );
        tracing::debug!("Evicting client: {line}");
        handle.kill.kill();
        shared.stats.evicted_clients.fetch_add(1, Relaxed);
        total -= bytes;
        evicted += 1;
    }
    evicted
}

/// Tracks a connection's unsent replies against its class's
/// `client-output-buffer-limit`, as Redis's `checkClientOutputBufferLimits`:
/// over the hard limit, or over the soft one for longer than its seconds,
/// the client is closed. A limit of 0 is no limit.
#[derive(Debug, Default)]
pub struct OutputGuard {
    /// When the pending output first went over the soft limit.
    soft_since_ms: Option<i64>,
}

impl OutputGuard {
    /// Whether `pending` unsent bytes at `now_ms` exceed `limit`.
    pub fn exceeded(&mut self, pending: usize, limit: OutputBufferLimit, now_ms: i64) -> bool {
        let pending = pending as u64;
        if limit.hard_bytes > 0 && pending > limit.hard_bytes {
            return true;
        }
        if limit.soft_bytes > 0 && pending > limit.soft_bytes {
            let since = *self.soft_since_ms.get_or_insert(now_ms);
            return now_ms - since > limit.soft_seconds.saturating_mul(1000);
        }
        self.soft_since_ms = None;
        false
    }

    /// The time at which pending output still over the soft limit must
    /// be closed, if a soft limit is running.
    pub fn soft_deadline_ms(&self, limit: OutputBufferLimit) -> Option<i64> {
        let since = self.soft_since_ms?;
        (limit.soft_bytes > 0).then(|| since + limit.soft_seconds.saturating_mul(1000) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moat_resp::repr;

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        assert_eq!(
            repr(b"*1\r\n$4\r\nPI\"NG\x01\\"),
            r#""*1\r\n$4\r\nPI\"NG\x01\\""#
        );
    }

    fn limit(hard: u64, soft: u64, soft_seconds: i64) -> OutputBufferLimit {
        OutputBufferLimit {
            hard_bytes: hard,
            soft_bytes: soft,
            soft_seconds,
        }
    }

    #[test]
    fn zero_means_unlimited() {
        let mut guard = OutputGuard::default();
        assert!(!guard.exceeded(usize::MAX, limit(0, 0, 0), 0));
    }

    #[test]
    fn hard_limit_is_immediate_and_soft_limit_needs_time() {
        let mut guard = OutputGuard::default();
        assert!(guard.exceeded(101, limit(100, 0, 0), 0));
        let soft = limit(0, 10, 2);
        assert!(!guard.exceeded(11, soft, 1000));
        assert_eq!(guard.soft_deadline_ms(soft), Some(3001));
        assert!(!guard.exceeded(11, soft, 3000));
        assert!(guard.exceeded(11, soft, 3001));
        // Dropping under the soft limit restarts its clock.
        assert!(!guard.exceeded(5, soft, 3002));
        assert!(!guard.exceeded(11, soft, 4000));
        assert!(!guard.exceeded(11, soft, 6000));
    }
}
