//! The AOF's threads: once a second, write what the expiry cycle fed and
//! the `appendfsync everysec` fsync; and the `always` group commit, one
//! fsync for every connection waiting on it.

use crate::shared::Shared;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Starts the thread; it ends when the server's shared state is gone.
pub fn spawn(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("aof-fsync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let Some(shared) = weak.upgrade() else {
                return;
            };
            shared.aof.tick();
            crate::aof::waitaof::wake_waiters(&shared, false);
        });
    if let Err(error) = spawned {
        tracing::warn!("Can't start the AOF fsync thread: {error}");
    }
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("aof-group-commit".into())
        .spawn(move || loop {
            let Some(shared) = weak.upgrade() else {
                return;
            };
            // Bounded, so the thread notices the server is gone.
            if shared.aof.group_commit_round(Duration::from_millis(200)) {
                crate::aof::waitaof::wake_waiters(&shared, false);
            }
        });
    if let Err(error) = spawned {
        tracing::error!("Can't start the AOF group-commit thread: {error}");
        std::process::exit(1);
    }
}
