//! The reply decoder (client side): every RESP2 and RESP3 type.

use crate::{DecodeError, Frame};
use bytes::BytesMut;

/// Decodes one reply from the front of `buf`; `Ok(None)` when incomplete.
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
    let _ = buf;
    todo!("moat-resp: decode_frame")
}
