//! [`Signal`]: a wake-up for the one task that owns a connection.
//!
//! A connection task waits on its mailbox and its kill switch every time
//! its socket has nothing to read, that is once per request at pipeline
//! depth 1. `tokio::sync::Notify` serves any number of waiters, so every
//! wait links a waiter into a list under a lock and every dropped wait
//! unlinks it again. A connection has exactly one waiter, so a stored
//! waker and a flag do: an unchanged waker costs one uncontended lock per
//! wait and nothing to drop.

use parking_lot::Mutex;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

/// One waiter, any number of notifiers; a notification with nobody
/// waiting is kept until the next wait (like `Notify::notify_one`).
#[derive(Default)]
pub struct Signal {
    notified: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    /// Wakes the waiter, or the next wait if nobody waits now.
    pub fn notify(&self) {
        self.notified.store(true, SeqCst);
        // Taken, not cloned: notifications are rare, waits are not, and a
        // waiter re-registers when it waits again.
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Resolves once notified since the last wait returned.
    pub async fn wait(&self) {
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.notified.swap(false, SeqCst) {
            return Poll::Ready(());
        }
        {
            let mut waker = self.waker.lock();
            match waker.as_ref() {
                Some(current) if current.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        // A notifier that stored the flag before the waker was in place
        // found no waker to wake: the flag is seen here instead.
        if self.notified.swap(false, SeqCst) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// Lets the connections that are ready now run their requests before this
/// one writes its replies, as Redis writes every client's replies after
/// serving all that were readable (`beforeSleep`): replies then leave in
/// a burst, and a client with many connections wakes up once for many of
/// them instead of once per connection. A self-wake puts the task at the
/// back of the worker's queue without polling the I/O driver (which
/// `tokio::task::yield_now` does, a system call).
pub async fn yield_to_ready_connections() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notification_before_the_wait_is_kept_once() {
        let signal = Signal::default();
        signal.notify();
        signal.notify();
        signal.wait().await;
        let second = tokio::time::timeout(Duration::from_millis(20), signal.wait()).await;
        assert!(
            second.is_err(),
            "two notifications before a wait count once"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_task_is_woken_from_another_thread() {
        let signal = Arc::new(Signal::default());
        for _ in 0..200 {
            let notifier = signal.clone();
            let waiter = tokio::spawn({
                let signal = signal.clone();
                async move { signal.wait().await }
            });
            std::thread::spawn(move || notifier.notify());
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("woken")
                .expect("no panic");
        }
    }
}
