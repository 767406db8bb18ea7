//! Encoders, one per protocol version.
//!
//! Handlers build one [`Frame`] and the connection's protocol decides the
//! bytes. RESP2 has no maps, sets, doubles, booleans, big numbers, verbatim
//! strings, pushes or a typeless null, so those are downgraded exactly as
//! Redis 7.2 downgrades them (`addReplyMapLen`, `addReplyDouble`,
//! `addReplyBool`, `addReplyVerbatim`, ...).
//!
//! Simple strings and errors are written as given: they must not contain
//! `\r` or `\n` (Redis replaces them with spaces before replying; callers
//! that relay arbitrary text should do the same).

use crate::{format_double, Frame, Protocol};
use bytes::{BufMut, BytesMut};

const CRLF: &[u8] = b"\r\n";

impl Frame {
    /// Appends this frame to `out` in the wire form of `proto`.
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        match self {
            Frame::Simple(text) => put_line(out, b'+', text),
            Frame::Error(text) => put_line(out, b'-', text),
            Frame::Integer(n) => put_number_line(out, b':', *n),
            Frame::Bulk(data) => put_bulk(out, data),
            Frame::Null => match proto {
                Protocol::Resp2 => out.extend_from_slice(b"$-1\r\n"),
                Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
            },
            Frame::NullArray => match proto {
                Protocol::Resp2 => out.extend_from_slice(b"*-1\r\n"),
                Protocol::Resp3 => out.extend_from_slice(b"_\r\n"),
            },
            Frame::Array(items) => put_aggregate(out, proto, b'*', items),
            Frame::Map(pairs) => {
                match proto {
                    Protocol::Resp2 => put_length_line(out, b'*', pairs.len() * 2),
                    Protocol::Resp3 => put_length_line(out, b'%', pairs.len()),
                }
                for (key, value) in pairs {
                    key.encode(proto, out);
                    value.encode(proto, out);
                }
            }
            Frame::Set(items) => match proto {
                Protocol::Resp2 => put_aggregate(out, proto, b'*', items),
                Protocol::Resp3 => put_aggregate(out, proto, b'~', items),
            },
            Frame::Double(value) => {
                let text = format_double(*value);
                match proto {
                    Protocol::Resp2 => put_bulk(out, text.as_bytes()),
                    Protocol::Resp3 => put_line(out, b',', text.as_bytes()),
                }
            }
            Frame::DoubleText(text) => match proto {
                Protocol::Resp2 => put_bulk(out, text),
                Protocol::Resp3 => put_line(out, b',', text),
            },
            Frame::Boolean(value) => match proto {
                Protocol::Resp2 => put_number_line(out, b':', i64::from(*value)),
                Protocol::Resp3 => {
                    out.extend_from_slice(if *value { b"#t\r\n" } else { b"#f\r\n" })
                }
            },
            Frame::BigNumber(digits) => match proto {
                Protocol::Resp2 => put_bulk(out, digits),
                Protocol::Resp3 => put_line(out, b'(', digits),
            },
            Frame::Verbatim { format, text } => match proto {
                Protocol::Resp2 => put_bulk(out, text),
                Protocol::Resp3 => {
                    put_length_line(out, b'=', text.len() + 4);
                    out.reserve(text.len() + 6);
                    out.put_slice(format);
                    out.put_u8(b':');
                    out.put_slice(text);
                    out.put_slice(CRLF);
                }
            },
            Frame::Push(items) => match proto {
                Protocol::Resp2 => put_aggregate(out, proto, b'*', items),
                Protocol::Resp3 => put_aggregate(out, proto, b'>', items),
            },
        }
    }
}

fn put_line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(prefix);
    out.put_slice(text);
    out.put_slice(CRLF);
}

fn put_bulk(out: &mut BytesMut, data: &[u8]) {
    put_length_line(out, b'$', data.len());
    out.reserve(data.len() + 2);
    out.put_slice(data);
    out.put_slice(CRLF);
}

fn put_aggregate(out: &mut BytesMut, proto: Protocol, prefix: u8, items: &[Frame]) {
    put_length_line(out, prefix, items.len());
    for item in items {
        item.encode(proto, out);
    }
}

fn put_length_line(out: &mut BytesMut, prefix: u8, len: usize) {
    let mut digits = DecimalBuffer::new();
    put_line(out, prefix, digits.format_unsigned(len as u64));
}

fn put_number_line(out: &mut BytesMut, prefix: u8, n: i64) {
    let mut digits = DecimalBuffer::new();
    put_line(out, prefix, digits.format_signed(n));
}

/// Formats integers into a stack buffer: replies are full of lengths and
/// counters, and going through `fmt` for each would dominate encoding.
pub(crate) struct DecimalBuffer {
    bytes: [u8; 20],
}

impl DecimalBuffer {
    pub(crate) fn new() -> Self {
        DecimalBuffer { bytes: [0; 20] }
    }

    pub(crate) fn format_unsigned(&mut self, mut n: u64) -> &[u8] {
        let mut start = self.bytes.len();
        loop {
            start -= 1;
            // `n % 10` is below 10, so the cast cannot truncate.
            self.bytes[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return &self.bytes[start..];
            }
        }
    }

    pub(crate) fn format_signed(&mut self, n: i64) -> &[u8] {
        if n >= 0 {
            return self.format_unsigned(n.unsigned_abs());
        }
        // 20 digits hold u64::MAX; i64::MIN needs 19 digits plus the sign.
        let digits_len = self.format_unsigned(n.unsigned_abs()).len();
        let start = self.bytes.len() - digits_len - 1;
        self.bytes[start] = b'-';
        &self.bytes[start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn wire(frame: &Frame, proto: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        frame.encode(proto, &mut out);
        out.to_vec()
    }

    fn both(frame: Frame, resp2: &[u8], resp3: &[u8]) {
        assert_eq!(wire(&frame, Protocol::Resp2), resp2, "RESP2 of {frame:?}");
        assert_eq!(wire(&frame, Protocol::Resp3), resp3, "RESP3 of {frame:?}");
    }

    #[test]
    fn plain_types_are_the_same_in_both_protocols() {
        both(Frame::ok(), b"+OK\r\n", b"+OK\r\n");
        both(Frame::error("ERR bad"), b"-ERR bad\r\n", b"-ERR bad\r\n");
        both(Frame::Integer(-42), b":-42\r\n", b":-42\r\n");
        both(
            Frame::Integer(i64::MIN),
            b":-9223372036854775808\r\n",
            b":-9223372036854775808\r\n",
        );
        both(
            Frame::Integer(i64::MAX),
            b":9223372036854775807\r\n",
            b":9223372036854775807\r\n",
        );
        both(Frame::bulk("foo"), b"$3\r\nfoo\r\n", b"$3\r\nfoo\r\n");
        both(Frame::bulk(""), b"$0\r\n\r\n", b"$0\r\n\r\n");
        both(Frame::Array(vec![]), b"*0\r\n", b"*0\r\n");
    }

    #[test]
    fn nulls_downgrade_to_their_resp2_forms() {
        both(Frame::Null, b"$-1\r\n", b"_\r\n");
        both(Frame::NullArray, b"*-1\r\n", b"_\r\n");
    }

    #[test]
    fn maps_flatten_and_sets_become_arrays_in_resp2() {
        let map = Frame::Map(vec![
            (Frame::bulk("a"), Frame::Integer(1)),
            (Frame::bulk("b"), Frame::Null),
        ]);
        both(
            map,
            b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n",
            b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n",
        );
        both(
            Frame::Set(vec![Frame::bulk("x")]),
            b"*1\r\n$1\r\nx\r\n",
            b"~1\r\n$1\r\nx\r\n",
        );
        both(
            Frame::Push(vec![Frame::bulk("x")]),
            b"*1\r\n$1\r\nx\r\n",
            b">1\r\n$1\r\nx\r\n",
        );
    }

    #[test]
    fn doubles_booleans_and_big_numbers() {
        both(Frame::Double(1.5), b"$3\r\n1.5\r\n", b",1.5\r\n");
        both(
            Frame::DoubleText(Bytes::from_static(b"13.36138933897018433")),
            b"$20\r\n13.36138933897018433\r\n",
            b",13.36138933897018433\r\n",
        );
        both(Frame::Double(f64::INFINITY), b"$3\r\ninf\r\n", b",inf\r\n");
        both(
            Frame::Double(f64::NEG_INFINITY),
            b"$4\r\n-inf\r\n",
            b",-inf\r\n",
        );
        both(Frame::Double(f64::NAN), b"$3\r\nnan\r\n", b",nan\r\n");
        both(Frame::Boolean(true), b":1\r\n", b"#t\r\n");
        both(Frame::Boolean(false), b":0\r\n", b"#f\r\n");
        both(
            Frame::BigNumber(Bytes::from_static(b"123")),
            b"$3\r\n123\r\n",
            b"(123\r\n",
        );
    }

    #[test]
    fn verbatim_strings_keep_their_format_only_in_resp3() {
        let frame = Frame::Verbatim {
            format: *b"txt",
            text: Bytes::from_static(b"hello"),
        };
        both(frame, b"$5\r\nhello\r\n", b"=9\r\ntxt:hello\r\n");
    }

    #[test]
    fn decimal_buffer_formats_extremes() {
        let mut buffer = DecimalBuffer::new();
        assert_eq!(buffer.format_unsigned(0), b"0");
        assert_eq!(buffer.format_unsigned(u64::MAX), b"18446744073709551615");
        assert_eq!(buffer.format_signed(-1), b"-1");
        assert_eq!(buffer.format_signed(i64::MIN), b"-9223372036854775808");
    }
}
