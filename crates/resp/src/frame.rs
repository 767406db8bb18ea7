//! The reply value model.

use bytes::Bytes;

/// The protocol version a connection speaks, chosen with `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// One RESP value. RESP3-only variants are downgraded by [`Frame::encode`]
/// when the connection speaks RESP2.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+OK`
    Simple(Bytes),
    /// `-ERR ...`: the bytes hold the whole message, code included.
    Error(Bytes),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Null,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NullArray,
    Array(Vec<Frame>),
    /// RESP3 map; a flat array of key, value, key, value... in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Frame>),
    /// RESP3 double; a bulk string in RESP2 (formatted by [`crate::format_double`]).
    Double(f64),
    /// A RESP3 double whose text the command formatted itself (Redis's
    /// `addReplyHumanLongDouble`: GEOPOS and WITHCOORD coordinates); the
    /// same text as a bulk string in RESP2.
    DoubleText(Bytes),
    /// RESP3 boolean; integer 1/0 in RESP2.
    Boolean(bool),
    /// RESP3 big number; a bulk string in RESP2.
    BigNumber(Bytes),
    /// RESP3 verbatim string (`=15\r\ntxt:...`); a bulk string in RESP2.
    Verbatim {
        format: [u8; 3],
        text: Bytes,
    },
    /// RESP3 push (pub/sub messages, invalidations); an array in RESP2.
    Push(Vec<Frame>),
}

impl Frame {
    /// `+OK`
    pub fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string from static text.
    pub fn simple(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An error reply; `msg` carries its own code (`ERR ...`, `NOPERM ...`).
    pub fn error(msg: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(msg.into()))
    }

    /// An error reply from raw bytes, as Redis's `addReplyErrorFormat`
    /// sends it: `msg` carries its own code (`ERR ...`), any `\r` / `\n`
    /// at its end is dropped and every other one becomes a space, so that
    /// an argument quoted into the message cannot break the reply's
    /// framing. Arguments are meant to be quoted with [`c_str`] or
    /// [`c_str_max`], as Redis's `%s` / `%.128s` print them.
    pub fn error_bytes(msg: impl Into<Vec<u8>>) -> Frame {
        let mut text = msg.into();
        while matches!(text.last(), Some(b'\r' | b'\n')) {
            text.pop();
        }
        map_newlines(&mut text);
        Frame::Error(Bytes::from(text))
    }

    /// A bulk string copied from `data`.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::Bulk(data.into())
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }
}

/// An argument as C's `%s` prints it into a message: the bytes before the
/// first NUL (Redis's arguments are C strings to `printf`), kept raw.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// `%.<max>s`: at most `max` bytes of [`c_str`] (bytes, not characters:
/// a multi-byte UTF-8 sequence can be cut, as in Redis).
pub fn c_str_max(bytes: &[u8], max: usize) -> &[u8] {
    let text = c_str(bytes);
    &text[..text.len().min(max)]
}

/// Redis's `sdsmapchars(s, "\r\n", "  ", 2)` over an error text: every
/// CR and LF becomes a space.
pub fn map_newlines(text: &mut [u8]) {
    for byte in text {
        if matches!(*byte, b'\r' | b'\n') {
            *byte = b' ';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_str_stops_at_the_first_nul() {
        assert_eq!(c_str(b"ab\0cd\0"), b"ab");
        assert_eq!(c_str(b"\0ab"), b"");
        assert_eq!(c_str(b"\xff\xfe"), b"\xff\xfe");
        assert_eq!(c_str(b""), b"");
    }

    #[test]
    fn c_str_max_counts_bytes_after_the_nul_cut() {
        let long = [b'a'; 140];
        assert_eq!(c_str_max(&long, 128), &long[..128]);
        assert_eq!(c_str_max(b"abc", 128), b"abc");
        assert_eq!(c_str_max(b"ab\0cdef", 3), b"ab");
        assert_eq!(c_str_max(b"abc", 0), b"");
        // A UTF-8 sequence is cut in the middle, as `%.Ns` does.
        assert_eq!(c_str_max("\u{e9}".as_bytes(), 1), b"\xc3");
    }

    #[test]
    fn map_newlines_turns_cr_and_lf_into_spaces() {
        let mut text = b"a\r\nb\nc\rd".to_vec();
        map_newlines(&mut text);
        assert_eq!(text, b"a  b c d");
    }

    #[test]
    fn error_bytes_keeps_raw_bytes_and_maps_newlines() {
        assert_eq!(
            Frame::error_bytes(&b"ERR bad '\xff\r\n\x00x' here"[..]),
            Frame::Error(Bytes::from_static(b"ERR bad '\xff  \x00x' here"))
        );
        assert_eq!(
            Frame::error_bytes(b"ERR ends with '\n'".to_vec()),
            Frame::Error(Bytes::from_static(b"ERR ends with ' '"))
        );
    }

    #[test]
    fn error_bytes_trims_trailing_newlines_as_sdstrim_does() {
        assert_eq!(
            Frame::error_bytes(b"ERR trailing\r\n\n".to_vec()),
            Frame::Error(Bytes::from_static(b"ERR trailing"))
        );
        assert_eq!(
            Frame::error_bytes(b"ERR x \n y\r".to_vec()),
            Frame::Error(Bytes::from_static(b"ERR x   y"))
        );
    }

    #[test]
    fn error_bytes_output_encodes_as_one_line() {
        let mut out = bytes::BytesMut::new();
        Frame::error_bytes([&b"ERR '"[..], c_str(b"\xff\n\0z"), b"'"].concat())
            .encode(Protocol::Resp2, &mut out);
        assert_eq!(&out[..], b"-ERR '\xff '\r\n");
    }
}
