//! Rewriting Redis 7.0's order of a running client's own pushes into
//! 7.2's, for the differential reference.
//!
//! A push for the client that runs a command (a message it publishes to
//! a channel it is subscribed to, a keyspace notification of its own
//! change, an invalidation redirected to it) is written by Redis 7.0
//! ahead of that command's reply, and by 7.2 after it (and after the
//! whole reply of EXEC or of a script; checked against Valkey 8.1). moat
//! follows 7.2, but the differential reference is Debian's 7.0, so the
//! reference session passes each RESP3 connection's frames through
//! [`PushesAfterReply`]: the pushes read between a command and its reply
//! are moved to just after the reply, and every later read sees the
//! rewritten stream.
//!
//! Pushes from other clients' commands are not the running client's:
//! they were written before its command arrived, so they are taken off
//! the socket (whatever has arrived, after a moment's grace) before the
//! command is sent, and keep their place in front of its reply. The
//! grace covers Redis writing another client's reply a few microseconds
//! before the push that client's command caused here.

use crate::client::Client;
use crate::error::Result;
use moat_resp::Frame;
use std::collections::{HashMap, VecDeque};

/// Commands whose own reply is a push: nothing moves around them.
const PUSH_REPLIES: &[&str] = &[
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
];

/// How long pushes already on their way get to arrive.
const GRACE: std::time::Duration = std::time::Duration::from_millis(1);

/// Frames read ahead of the script on each connection, in 7.2's order.
#[derive(Debug, Default)]
pub(crate) struct PushesAfterReply {
    read_ahead: HashMap<String, VecDeque<Frame>>,
}

impl PushesAfterReply {
    /// Sends `args` on `connection` (in RESP3 when `resp3`) and returns the
    /// next frame of the rewritten stream.
    pub fn call(
        &mut self,
        connection: &str,
        client: &mut Client,
        args: &[Vec<u8>],
        resp3: bool,
    ) -> Result<Frame> {
        let queue = self.read_ahead.entry(connection.to_owned()).or_default();
        let name = args
            .first()
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .unwrap_or_default();
        if !resp3 || PUSH_REPLIES.contains(&name.as_str()) {
            if queue.is_empty() {
                return client.call(args);
            }
            client.send(args)?;
            queue.push_back(client.read_frame()?);
        } else {
            std::thread::sleep(GRACE);
            queue.extend(client.read_arrived()?);
            client.send(args)?;
            let mut own_pushes = Vec::new();
            let reply = loop {
                match client.read_frame()? {
                    Frame::Push(items) => own_pushes.push(Frame::Push(items)),
                    reply => break reply,
                }
            };
            queue.push_back(reply);
            queue.extend(own_pushes);
        }
        Ok(queue.pop_front().expect("a frame was just queued"))
    }

    /// The next frame of the rewritten stream on `connection`.
    pub fn read(&mut self, connection: &str, client: &mut Client) -> Result<Frame> {
        match self
            .read_ahead
            .get_mut(connection)
            .and_then(VecDeque::pop_front)
        {
            Some(frame) => Ok(frame),
            None => client.read_frame(),
        }
    }

    /// The connection closed: nothing more comes from it.
    pub fn forget(&mut self, connection: &str) {
        self.read_ahead.remove(connection);
    }
}
