//! The bytes of tracking messages, built as Redis builds them: a header
//! chosen by the receiving connection, then a value whose form is fixed
//! (a RESP2 array of keys, or the tracking client's own null).

use bytes::{BufMut, Bytes, BytesMut};

/// `>2 "invalidate"`: a RESP3 push.
pub const PUSH_HEADER: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";
/// `message __redis__:invalidate`: for a RESP2 redirect target in Pub/Sub mode.
pub const PUBSUB_HEADER: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

/// What an invalidation says.
#[derive(Debug, Clone)]
pub enum Payload {
    /// One key (default mode).
    Key(Bytes),
    /// Every key (after a flush): a null in the tracking client's protocol,
    /// whatever the receiver speaks, as Redis sends `shared.null[c->resp]`.
    Flush,
    /// An already encoded array of keys (BCAST).
    Encoded(Bytes),
}

impl Payload {
    pub fn encode(&self, header: &[u8], null_resp3: bool) -> Bytes {
        let mut out = BytesMut::with_capacity(header.len() + 32);
        out.put_slice(header);
        match self {
            Payload::Key(key) => {
                out.put_slice(b"*1\r\n");
                put_bulk(&mut out, key);
            }
            Payload::Flush if null_resp3 => out.put_slice(b"_\r\n"),
            Payload::Flush => out.put_slice(b"$-1\r\n"),
            Payload::Encoded(array) => out.put_slice(array),
        }
        out.freeze()
    }
}

/// `*N` then each key as a bulk string (Redis's `trackingBuildBroadcastReply`).
pub fn key_array<'a>(keys: impl Iterator<Item = &'a Bytes> + Clone) -> Bytes {
    let count = keys.clone().count();
    let mut out = BytesMut::with_capacity(16 + count * 16);
    out.put_u8(b'*');
    out.put_slice(itoa::Buffer::new().format(count).as_bytes());
    out.put_slice(b"\r\n");
    for key in keys {
        put_bulk(&mut out, key);
    }
    out.freeze()
}

/// `>2 "tracking-redir-broken" <id>`: the redirect target is gone.
pub fn redirect_broken(redirect: u64) -> Bytes {
    let mut out = BytesMut::with_capacity(48);
    out.put_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n:");
    out.put_slice(itoa::Buffer::new().format(redirect).as_bytes());
    out.put_slice(b"\r\n");
    out.freeze()
}

fn put_bulk(out: &mut BytesMut, bytes: &[u8]) {
    out.put_u8(b'$');
    out.put_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(bytes);
    out.put_slice(b"\r\n");
}
