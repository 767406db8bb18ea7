//! The request parser: multibulk arrays and inline commands.

use crate::ProtocolError;
use bytes::{Bytes, BytesMut};

/// Redis's request limits (`proto-max-bulk-len`, the inline limit and the
/// stricter limits for clients that have not authenticated yet).
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// `proto-max-bulk-len` (default 512 MB).
    pub max_bulk_len: i64,
    /// Whether the client still has to authenticate: multibulk counts over
    /// 10 and bulks over 16384 bytes are then protocol errors.
    pub unauthenticated: bool,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits { max_bulk_len: 512 * 1024 * 1024, unauthenticated: false }
    }
}

/// Parses one request from the front of `buf`.
///
/// * `Ok(Some(argv))`: a complete command; its bytes are removed from `buf`.
///   An empty `argv` is an empty request (blank inline line, `*0`) that the
///   caller skips.
/// * `Ok(None)`: the buffer holds only part of a request; nothing is removed.
/// * `Err(_)`: the input is malformed; the connection must be closed.
pub fn parse_request(buf: &mut BytesMut, limits: &RequestLimits) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    let _ = (buf, limits);
    todo!("moat-resp: parse_request")
}
