//! Memory and CPU accounting for INFO and `maxmemory`.
//!
//! Redis reports `used_memory` from its allocator: the usable size of
//! every live block (`zmalloc_size`, which is `malloc_usable_size` when
//! Redis runs on the C library's malloc). Moat wraps the system allocator
//! and counts the same: the size malloc really handed out, rounding
//! included, not the size asked for, with one relaxed atomic per
//! allocation: cheap enough for the hot path, exact enough for eviction
//! decisions.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting live bytes.
pub struct CountingAllocator;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// What a block of `layout` occupies for its user: for the small blocks
/// of the hot path, glibc's chunk size computed as malloc computes it
/// (`request2size`: the size plus an 8-byte header, rounded up to 16, at
/// least 32) minus the header it keeps, with no call; for big or
/// over-aligned blocks `malloc_usable_size` itself. The same layout gives
/// the same answer at allocation and at release, so the count stays
/// exact about what it counts.
///
/// # Safety
/// `ptr` must be a live block of `layout` from the system allocator.
unsafe fn usable(ptr: *mut u8, layout: Layout) -> usize {
    if layout.align() <= 16 && layout.size() < 64 * 1024 && layout.size() > 0 {
        // The chunk less its 8-byte header.
        return block(layout.size()) - 8;
    }
    // SAFETY: the caller passes a live block of the C library's malloc
    // (`System` allocates with malloc, posix_memalign or calloc, all of
    // which malloc_usable_size accepts).
    unsafe { libc::malloc_usable_size(ptr.cast()) }
}

/// The bytes a malloc of `n` bytes takes (glibc's chunk size on 64-bit
/// systems: `request2size`); nothing for `n == 0`, which Rust never
/// allocates. MEMORY USAGE sizes values with it too.
pub fn block(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).next_multiple_of(16).max(32)
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            // SAFETY: `ptr` was just allocated.
            ALLOCATED.fetch_add(unsafe { usable(ptr, layout) }, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is live until the dealloc below.
        ALLOCATED.fetch_sub(unsafe { usable(ptr, layout) }, Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            // SAFETY: `ptr` was just allocated.
            ALLOCATED.fetch_add(unsafe { usable(ptr, layout) }, Relaxed);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is live until the realloc below.
        let old = unsafe { usable(ptr, layout) };
        // SAFETY: `ptr`/`layout` come from this allocator; forwarded unchanged.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // SAFETY: the new block has the old alignment and `new_size`.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: `new` was just (re)allocated.
            let grown = unsafe { usable(new, new_layout) };
            // One update for the difference.
            if grown >= old {
                ALLOCATED.fetch_add(grown - old, Relaxed);
            } else {
                ALLOCATED.fetch_sub(old - grown, Relaxed);
            }
        }
        new
    }
}

/// Live heap bytes (0 when the counting allocator is not installed, as in tests).
pub fn allocated_bytes() -> u64 {
    ALLOCATED.load(Relaxed) as u64
}

static PEAK: AtomicUsize = AtomicUsize::new(0);
static STARTUP: AtomicUsize = AtomicUsize::new(0);

/// The highest live byte count seen so far, after taking `now` (a current
/// [`allocated_bytes`]) into account (Redis's `stat_peak_memory`, sampled by the cron and by
/// INFO/MEMORY rather than on every allocation, which would cost the hot
/// path a second atomic).
pub fn update_peak(now: u64) -> u64 {
    let now = now as usize;
    PEAK.fetch_max(now, Relaxed).max(now) as u64
}

/// Records what start-up allocated before any data was loaded.
pub fn mark_startup() {
    STARTUP.store(ALLOCATED.load(Relaxed), Relaxed);
}

/// What [`mark_startup`] recorded (MEMORY STATS `startup.allocated`).
pub fn startup_bytes() -> u64 {
    STARTUP.load(Relaxed) as u64
}

/// Gives freed heap pages back to the system (MEMORY PURGE; glibc's
/// `malloc_trim`, the system allocator's counterpart of jemalloc's purge).
pub fn purge() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resident set size from /proc/self/statm.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page_size
}

/// User and system CPU seconds of this process.
pub fn cpu_times() -> (f64, f64) {
    rusage_times(libc::RUSAGE_SELF)
}

/// [`cpu_times`] of the calling thread only (INFO's `*_main_thread`,
/// asked on the worker that runs the command).
pub fn thread_cpu_times() -> (f64, f64) {
    rusage_times(libc::RUSAGE_THREAD)
}

fn rusage_times(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage struct.
    unsafe { libc::getrusage(who, &mut usage) };
    let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

#[cfg(test)]
mod usable_size_tests {
    use super::*;

    #[test]
    fn small_blocks_are_counted_as_glibc_sizes_them() {
        for size in [1usize, 8, 24, 25, 40, 100, 1000, 4096, 65535] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: allocated and freed here with the same layout.
            unsafe {
                let ptr = System.alloc(layout);
                let counted = usable(ptr, layout);
                let real = libc::malloc_usable_size(ptr.cast());
                System.dealloc(ptr, layout);
                assert!(counted >= size, "{size}: {counted}");
                // malloc may hand out a slightly bigger chunk than it
                // needs (a remainder too small to split), never smaller.
                assert!(
                    counted <= real && real < counted + 32,
                    "{size}: {counted} vs {real}"
                );
            }
        }
    }
}
