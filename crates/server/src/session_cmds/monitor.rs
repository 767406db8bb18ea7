//! MONITOR: the client receives every command other clients run (see
//! [`crate::monitor`]) until it disconnects or sends RESET.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[("monitor", monitor)];

fn monitor(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    if session.monitor {
        // Redis ignores a second MONITOR without replying. Inside EXEC
        // the command still needs an element of EXEC's array.
        session.no_reply = !session.in_exec;
        return Frame::Null;
    }
    session.monitor = true;
    session.info.lock().monitor = true;
    session
        .shared
        .monitors
        .add(session.client.id, session.mailbox.clone());
    Frame::ok()
}
