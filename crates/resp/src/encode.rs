//! Encoders, one per protocol version.

use crate::{Frame, Protocol};
use bytes::BytesMut;

impl Frame {
    /// Appends this frame to `out` in the wire form of `proto`.
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let _ = (proto, out);
        todo!("moat-resp: encode")
    }
}
