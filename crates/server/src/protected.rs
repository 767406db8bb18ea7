//! Protected mode: an open default user is only reachable from loopback.
//!
//! A fresh server has a default user with no password. Redis refuses
//! connections from other machines in that state unless `protected-mode`
//! is turned off, and explains how to fix it in the refusal; moat sends
//! the same explanation. The check runs once per accepted connection and
//! looks at the current default user, so setting a password (or
//! `CONFIG SET protected-mode no`) takes effect for the next connection.

use crate::shared::Shared;
use std::net::IpAddr;

/// Redis's refusal, word for word (with the later wording of item 4,
/// "Set up an", where the 7.0 reference still says "Setup a an").
pub const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Whether a connection from `peer` must be refused now.
pub fn refuses(shared: &Shared, peer: IpAddr) -> bool {
    let enabled = shared.config.read().get_text("protected-mode").as_deref() != Some("no");
    enabled && shared.acl.read().registry.default_user().is_nopass() && !is_local(peer)
}

/// Loopback, including IPv4 loopback mapped into IPv6 (`::ffff:127.0.0.1`).
pub fn is_local(peer: IpAddr) -> bool {
    match peer {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_local() {
        for local in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_local(local.parse().unwrap()), "{local}");
        }
        for remote in [
            "10.0.0.1",
            "192.168.1.1",
            "::ffff:10.0.0.1",
            "fe80::1",
            "2001:db8::1",
        ] {
            assert!(!is_local(remote.parse().unwrap()), "{remote}");
        }
    }
}
