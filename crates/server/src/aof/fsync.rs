//! The AOF's thread: once a second, the `appendfsync everysec` fsync and
//! a write of anything still buffered. (Under `always` connections fsync
//! themselves, see [`super::Aof::barrier`], and the cron writes what it
//! fed, see [`super::Aof::write_fed_by_server`].)

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
}
