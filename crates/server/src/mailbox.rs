//! A connection's mailbox: output that is not the reply to one of its own
//! requests.
//!
//! Every connection owns one [`Mailbox`], registered next to its
//! [`KillSwitch`] in the client registry. Other connections and the server
//! push already-encoded frames into it (pub/sub messages, MONITOR lines,
//! keyspace notifications); the connection's task `select!`s on
//! [`Mailbox::ready`] besides its socket and its kill switch, takes
//! everything queued with one lock, and writes it with the replies of the
//! current batch: one flush per batch, mailbox included. Frames are
//! encoded once by the sender for each protocol in use ([`Mailbox::is_resp3`]),
//! so a message fanned out to a thousand subscribers is encoded at most
//! twice, and each copy is appended to the receivers' queues.
//!
//! A queue is one contiguous buffer, as a Redis reply buffer is: a push
//! is one uncontended lock and a copy of a few dozen bytes (cheaper than
//! sharing a reference-counted frame, which costs two atomic operations
//! per receiver and a copy into the socket buffer anyway), and the task
//! takes it by swapping buffers. The counters change only under the lock,
//! so they are plain loads and stores, read without it. Only the push
//! that finds the queue empty wakes the task: a batch of messages costs
//! one wake-up, not one per message.
//!
//! The hot path pays one relaxed atomic load per request
//! ([`Mailbox::has_pending`]); the lock is taken only when something was
//! pushed.
//!
//! # Bounded memory
//!
//! A subscriber that does not read stops its task inside the socket write,
//! so its mailbox grows. The mailbox counts its output from push until the
//! connection task reports it written to the socket ([`Mailbox::written`]),
//! like Redis's reply buffers, and every push checks that count against
//! `client-output-buffer-limit` for the client's class (`pubsub` while it
//! has subscriptions, `normal` otherwise, MONITOR included, as in Redis):
//! above the hard limit, or above the soft limit for longer than its
//! seconds, the client is marked overflowed, its queue is dropped, and its
//! kill switch fires, which also interrupts the pending socket write. So
//! the output held for one client never much exceeds its hard limit.
//!
//! # Waking blocked clients
//!
//! Blocking commands (BLPOP and friends) use the same mechanism. A client
//! that blocks keeps its command in its session and registers its mailbox
//! under each key it waits for; its task then sits in the same `select!`
//! (socket, kill switch, mailbox, plus the command's timeout). A writer that
//! makes a key ready (LPUSH, under the keyspace lock) calls
//! [`Mailbox::wake`] on the first client blocked on that key (the registry,
//! its FIFO order and how the key passes to the next waiter are described
//! in [`crate::blocking`]). The woken task
//! sees [`Mailbox::take_wake`] and re-runs its blocked command through
//! dispatch (so, as in Redis 7.2, the ACL rules are checked again), then
//! writes the reply like any other. Nothing is pushed for a wake-up: the
//! reply is computed by the blocked client itself, under the keyspace lock,
//! so two clients woken for one element cannot both get it.

use crate::clients::KillSwitch;
use crate::limits::Limits;
use crate::shared::{now_ms, Shared};
use crate::stats::Stats;
use bytes::BytesMut;
use moat_config::ClientClass;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// The fields a push touches come first, in declaration order
/// (`repr(C)`), so that [`Mailbox::prefetch_fields`] brings them all.
#[repr(C)]
pub struct Mailbox {
    /// Encoded frames not yet taken by the connection task.
    queue: Mutex<BytesMut>,
    /// Bytes pushed and not yet written to the socket (`omem`). Changed
    /// under the queue's lock only.
    pending_bytes: AtomicUsize,
    /// Frames queued and not yet taken (`oll`). Changed under the queue's
    /// lock only.
    pending_items: AtomicUsize,
    /// Where the next push will copy to (the queue's end), kept under the
    /// lock for [`Mailbox::prefetch_tail`]: a hint, never dereferenced.
    tail: AtomicUsize,
    /// When the queue first went over the soft limit (0: it is not over).
    soft_since_ms: AtomicI64,
    resp3: AtomicBool,
    /// Whether the `pubsub` output limits apply (the client subscribes).
    subscriber: AtomicBool,
    overflowed: AtomicBool,
    woken: AtomicBool,
    notify: crate::signal::Signal,
    /// Set when the connection is gone: senders that keep the mailbox
    /// (a tracking redirect) see that its client no longer exists.
    closed: AtomicBool,
    /// The connection holds read and write buffers (it read since it last
    /// released them), and the clients cron asked it to release them.
    buffers_held: AtomicBool,
    release_buffers: AtomicBool,
    kill: Arc<KillSwitch>,
    client_id: u64,
}

/// A queue buffer bigger than this is not kept once taken: one burst must
/// not pin its memory for the life of the connection.
const KEEP_CAPACITY: usize = 1024 * 1024;

impl Mailbox {
    pub fn new(client_id: u64, kill: Arc<KillSwitch>) -> Mailbox {
        Mailbox {
            queue: Mutex::new(BytesMut::new()),
            pending_bytes: AtomicUsize::new(0),
            pending_items: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            notify: crate::signal::Signal::default(),
            resp3: AtomicBool::new(false),
            subscriber: AtomicBool::new(false),
            soft_since_ms: AtomicI64::new(0),
            overflowed: AtomicBool::new(false),
            woken: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            buffers_held: AtomicBool::new(false),
            release_buffers: AtomicBool::new(false),
            kill,
            client_id,
        }
    }

    /// Whether the owner speaks RESP3 (senders encode pushes accordingly).
    pub fn is_resp3(&self) -> bool {
        self.resp3.load(Relaxed)
    }

    pub fn set_resp3(&self, resp3: bool) {
        self.resp3.store(resp3, Relaxed);
    }

    /// Chooses the output limit class: `pubsub` while subscribed.
    pub fn set_subscriber(&self, subscriber: bool) {
        self.subscriber.store(subscriber, Relaxed);
    }

    /// Whether the owner has subscriptions (Redis's `CLIENT_PUBSUB`).
    pub fn is_subscriber(&self) -> bool {
        self.subscriber.load(Relaxed)
    }

    /// The owner's client id.
    pub fn client_id(&self) -> u64 {
        self.client_id
    }

    /// Marks the connection as gone (its session is dropped).
    pub fn close(&self) {
        self.closed.store(true, Relaxed);
    }

    /// Whether the client is gone for others (tracking redirects): closed,
    /// or killed by any path (CLIENT KILL, client eviction, an output
    /// limit), even before its task has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Relaxed) || self.kill.is_killed()
    }

    /// Queues one encoded frame; returns false (and drops it) if the client
    /// is being closed for exceeding its output limit.
    pub fn push(&self, frame: impl AsRef<[u8]>, shared: &Shared) -> bool {
        self.push_checked(frame.as_ref(), &shared.limits, &shared.stats)
    }

    fn push_checked(&self, frame: &[u8], limits: &Limits, stats: &Stats) -> bool {
        if self.overflowed.load(Relaxed) {
            return false;
        }
        let mut queue = self.queue.lock();
        let items = self.pending_items.load(Relaxed);
        let used = self.pending_bytes.load(Relaxed) + frame.len();
        if self.over_limit(limits, used as u64) {
            self.overflow(&mut queue, stats);
            return false;
        }
        queue.extend_from_slice(frame);
        self.pending_items.store(items + 1, Relaxed);
        self.pending_bytes.store(used, Relaxed);
        self.tail.store(tail_address(&queue), Relaxed);
        drop(queue);
        // A queue that was not empty already has a wake-up on its way, or
        // its task is about to take it.
        if items == 0 {
            self.notify.notify();
        }
        true
    }

    /// Redis's `checkClientOutputBufferLimits`.
    fn class(&self) -> ClientClass {
        if self.subscriber.load(Relaxed) {
            ClientClass::Pubsub
        } else {
            ClientClass::Normal
        }
    }

    /// Whether `used` bytes of output break the client's limit.
    fn over_limit(&self, limits: &Limits, used: u64) -> bool {
        let limit = limits.output_buffer_limit(self.class());
        if limit.hard_bytes > 0 && used > limit.hard_bytes {
            return true;
        }
        if limit.soft_bytes > 0 && used > limit.soft_bytes {
            let now = now_ms();
            let since = self.soft_since_ms.load(Relaxed);
            if since == 0 {
                self.soft_since_ms.store(now, Relaxed);
                return false;
            }
            return now - since > limit.soft_seconds.saturating_mul(1000);
        }
        if self.soft_since_ms.load(Relaxed) != 0 {
            self.soft_since_ms.store(0, Relaxed);
        }
        false
    }

    /// Drops the queue and closes the client; `queue` is the locked queue.
    fn overflow(&self, queue: &mut BytesMut, stats: &Stats) {
        if self.overflowed.swap(true, Relaxed) {
            return;
        }
        let dropped = std::mem::take(queue);
        self.pending_items.store(0, Relaxed);
        sub_saturating(&self.pending_bytes, dropped.len());
        stats
            .client_output_buffer_limit_disconnections
            .fetch_add(1, Relaxed);
        tracing::warn!(
            "Client id={} scheduled to be closed ASAP for overcoming of output buffer limits.",
            self.client_id
        );
        self.kill.kill();
    }

    /// Whether anything waits to be taken. One relaxed load: cheap enough
    /// for every request.
    pub fn has_pending(&self) -> bool {
        self.pending_items.load(Relaxed) != 0
    }

    /// Appends everything queued to `out`; returns the number of bytes,
    /// which stay counted until reported [`Mailbox::written`]. An empty
    /// `out` trades buffers with the queue instead of copying.
    pub fn take_into(&self, out: &mut BytesMut) -> usize {
        let mut queue = self.queue.lock();
        let taken = queue.len();
        if out.is_empty() {
            std::mem::swap(out, &mut *queue);
        } else {
            out.extend_from_slice(&queue);
            queue.clear();
        }
        if queue.capacity() > KEEP_CAPACITY {
            *queue = BytesMut::new();
        }
        self.pending_items.store(0, Relaxed);
        self.tail.store(tail_address(&queue), Relaxed);
        taken
    }

    /// Asks the CPU to bring this mailbox's own fields (its lock, counters
    /// and tail hint) into cache, without waiting. A publisher calls it
    /// well ahead of delivering (see [`crate::pubsub`]), then
    /// [`Mailbox::prefetch_tail`] closer to it: the tail's address is read
    /// from these fields, so they must already be cached for that read not
    /// to stall.
    pub fn prefetch_fields(&self) {
        let start: *const u8 = std::ptr::from_ref(self).cast();
        prefetch(start);
        prefetch(start.wrapping_add(64));
    }

    /// Asks the CPU to bring the end of the queue, where the next push
    /// copies to, into cache, without waiting.
    pub fn prefetch_tail(&self) {
        prefetch(self.tail.load(Relaxed) as *const u8);
    }

    /// Reports taken bytes as written to the socket.
    pub fn written(&self, bytes: usize, shared: &Shared) {
        self.written_checked(bytes, &shared.limits);
    }

    fn written_checked(&self, bytes: usize, limits: &Limits) {
        if bytes == 0 {
            return;
        }
        let _queue = self.queue.lock();
        sub_saturating(&self.pending_bytes, bytes);
        // Back under the soft limit: its clock restarts, as in Redis.
        let soft = limits.output_buffer_limit(self.class()).soft_bytes;
        if self.pending_bytes.load(Relaxed) as u64 <= soft {
            self.soft_since_ms.store(0, Relaxed);
        }
    }

    /// `(omem, oll)`: bytes not yet written, frames not yet taken.
    pub fn pending(&self) -> (usize, usize) {
        (
            self.pending_bytes.load(Relaxed),
            self.pending_items.load(Relaxed),
        )
    }

    /// Resolves when something was pushed or the client was woken since
    /// the last call (a wake-up that raced with a take is harmless: the
    /// task finds nothing and waits again).
    pub async fn ready(&self) {
        self.notify.wait().await;
    }

    /// Records that the connection read into its buffers.
    pub fn hold_buffers(&self) {
        if !self.buffers_held.load(Relaxed) {
            self.buffers_held.store(true, Relaxed);
        }
    }

    /// The clients cron's request to an idle connection that holds
    /// buffers: release them (Redis frees an idle client's query buffer
    /// and shrinks its reply buffer in `clientsCron`), so that thousands
    /// of idle pooled connections cost little.
    pub fn ask_to_release_buffers(&self) {
        if self.buffers_held.load(Relaxed) && !self.release_buffers.load(Relaxed) {
            self.release_buffers.store(true, Relaxed);
            self.notify.notify();
        }
    }

    /// Whether the connection should release its buffers now; it holds
    /// none afterwards.
    pub fn take_release_request(&self) -> bool {
        if !self.release_buffers.load(Relaxed) {
            return false;
        }
        self.release_buffers.store(false, Relaxed);
        self.buffers_held.store(false, Relaxed);
        true
    }

    /// Wakes the owner without output (a blocked client whose key became
    /// ready).
    pub fn wake(&self) {
        self.woken.store(true, Relaxed);
        self.notify.notify();
    }

    /// Whether [`Mailbox::wake`] was called since the last call.
    pub fn take_wake(&self) -> bool {
        self.woken.swap(false, Relaxed)
    }
}

/// The address just past a queue's content (where the next push copies).
fn tail_address(queue: &BytesMut) -> usize {
    queue.as_ptr() as usize + queue.len()
}

/// A prefetch hint for the cache line at `address`. Any address will do:
/// a prefetch never faults and never reads memory as far as the program
/// can tell.
#[inline]
fn prefetch(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is
        // only a hint: it dereferences nothing.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Subtracts under the queue's lock. Bytes reported written after an
/// overflow already dropped them must not wrap below zero.
fn sub_saturating(counter: &AtomicUsize, amount: usize) {
    counter.store(counter.load(Relaxed).saturating_sub(amount), Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use moat_config::OutputBufferLimit;

    fn setup(hard: u64, soft: u64, soft_seconds: i64) -> (Mailbox, Arc<KillSwitch>, Limits, Stats) {
        let kill = Arc::new(KillSwitch::default());
        let mailbox = Mailbox::new(7, kill.clone());
        mailbox.set_subscriber(true);
        let limits = Limits::from_config(&moat_config::Config::default());
        limits.set_output_buffer_limit(
            ClientClass::Pubsub,
            OutputBufferLimit {
                hard_bytes: hard,
                soft_bytes: soft,
                soft_seconds,
            },
        );
        (mailbox, kill, limits, Stats::new(0))
    }

    fn frame(len: usize) -> Vec<u8> {
        vec![b'x'; len]
    }

    #[test]
    fn output_is_counted_until_written() {
        let (mailbox, kill, limits, stats) = setup(0, 0, 0);
        assert!(!mailbox.has_pending());
        assert!(mailbox.push_checked(&frame(10), &limits, &stats));
        assert!(mailbox.push_checked(&frame(5), &limits, &stats));
        assert_eq!(mailbox.pending(), (15, 2));
        let mut out = BytesMut::new();
        assert_eq!(mailbox.take_into(&mut out), 15);
        assert_eq!(out.len(), 15);
        assert!(!mailbox.has_pending());
        assert_eq!(mailbox.pending(), (15, 0), "in flight until written");
        mailbox.written_checked(15, &limits);
        assert_eq!(mailbox.pending(), (0, 0));
        assert!(!kill.is_killed());
    }

    /// Whether the mailbox's owner would be woken within 50 ms.
    async fn ready(mailbox: &Mailbox) -> bool {
        let wait = std::time::Duration::from_millis(50);
        tokio::time::timeout(wait, mailbox.ready()).await.is_ok()
    }

    #[test]
    fn a_batch_wakes_once_and_no_wake_up_is_lost() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mailbox, _kill, limits, stats) = setup(0, 0, 0);
            assert!(!ready(&mailbox).await, "nothing was pushed");
            for _ in 0..3 {
                assert!(mailbox.push_checked(&frame(4), &limits, &stats));
            }
            assert!(ready(&mailbox).await, "the first push wakes");
            assert!(!ready(&mailbox).await, "the rest of the batch does not");
            let mut out = BytesMut::new();
            assert_eq!(mailbox.take_into(&mut out), 12);
            assert_eq!(mailbox.pending(), (12, 0));
            assert!(mailbox.push_checked(&frame(4), &limits, &stats));
            assert!(ready(&mailbox).await, "a push after a take wakes again");
            // Taken into a non-empty buffer: appended after what is there.
            let mut out = BytesMut::from(&b"ab"[..]);
            assert_eq!(mailbox.take_into(&mut out), 4);
            assert_eq!(&out[..], b"abxxxx");
        });
    }

    #[test]
    fn hard_limit_disconnects_and_drops_the_queue() {
        let (mailbox, kill, limits, stats) = setup(100, 0, 0);
        assert!(mailbox.push_checked(&frame(60), &limits, &stats));
        assert!(!mailbox.push_checked(&frame(60), &limits, &stats));
        assert!(kill.is_killed());
        assert_eq!(mailbox.pending(), (0, 0));
        assert!(!mailbox.push_checked(&frame(1), &limits, &stats));
        assert_eq!(
            stats
                .client_output_buffer_limit_disconnections
                .load(Relaxed),
            1
        );
    }

    #[test]
    fn soft_limit_needs_to_last() {
        let (mailbox, kill, limits, stats) = setup(0, 100, 0);
        assert!(mailbox.push_checked(&frame(150), &limits, &stats));
        assert!(!kill.is_killed(), "first time over: the clock starts");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(!mailbox.push_checked(&frame(1), &limits, &stats));
        assert!(kill.is_killed());
    }

    #[test]
    fn soft_limit_clock_restarts_below_the_limit() {
        let (mailbox, kill, limits, stats) = setup(0, 100, 0);
        assert!(mailbox.push_checked(&frame(150), &limits, &stats));
        let mut out = BytesMut::new();
        mailbox.take_into(&mut out);
        mailbox.written_checked(150, &limits);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(mailbox.push_checked(&frame(150), &limits, &stats));
        assert!(!kill.is_killed());
    }

    #[test]
    fn normal_class_applies_when_not_subscribed() {
        let (mailbox, kill, limits, stats) = setup(10, 0, 0);
        mailbox.set_subscriber(false);
        assert!(mailbox.push_checked(&frame(100), &limits, &stats));
        assert!(!kill.is_killed(), "normal clients have no limit by default");
    }
}
