//! The open-files limit `maxclients` needs (Redis's `adjustOpenFilesLimit`).
//!
//! Every client is a file descriptor, and the process needs a few more for
//! itself (listeners, the AOF, RDB files, the log). A server started with
//! the common default soft limit of 1024 and `maxclients 10000` would fail
//! to accept connections long before the limit it was configured with, so
//! at start-up the limit is raised to `maxclients + 32`, or as close to it
//! as the system allows, and `maxclients` is lowered to what the
//! descriptors can serve — with Redis's log lines, which operators grep for.

/// Descriptors kept for the server itself (`CONFIG_MIN_RESERVED_FDS`).
pub const RESERVED_FDS: u64 = 32;

/// What the adjustment decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The limit already allowed `maxclients`, or was raised to do so.
    Enough,
    /// Only this many clients fit.
    Reduced(u64),
    /// Not even the reserved descriptors fit: the server cannot start.
    TooLow,
}

/// Raises `RLIMIT_NOFILE` for `maxclients` clients; see the module doc.
pub fn adjust(maxclients: u64) -> Outcome {
    let wanted = maxclients + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        tracing::warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            crate::startup::io_error_text(&std::io::Error::last_os_error())
        );
        return Outcome::Reduced(1024 - RESERVED_FDS);
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        return Outcome::Enough;
    }
    // Try the whole need, then a little less each time, as Redis does.
    let mut best = wanted;
    let mut error = None;
    while best > old {
        let attempt = libc::rlimit {
            rlim_cur: best,
            rlim_max: best,
        };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &attempt) } != -1 {
            break;
        }
        error = Some(std::io::Error::last_os_error());
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    let best = best.max(old);
    if best >= wanted {
        tracing::info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {old})."
        );
        return Outcome::Enough;
    }
    if best <= RESERVED_FDS {
        tracing::warn!(
            "Your current 'ulimit -n' of {old} is not enough for the server to start. Please increase your open file limit to at least {wanted}. Exiting."
        );
        return Outcome::TooLow;
    }
    let reduced = best - RESERVED_FDS;
    let reason = error
        .map(|e| crate::startup::io_error_text(&e))
        .unwrap_or_default();
    tracing::warn!(
        "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
    );
    tracing::warn!(
        "Server can't set maximum open files to {wanted} because of OS error: {reason}."
    );
    tracing::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    Outcome::Reduced(reduced)
}
