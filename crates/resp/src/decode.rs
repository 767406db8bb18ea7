//! The reply decoder (client side): every RESP2 and RESP3 type.
//!
//! Decoding takes two passes over the buffer. The first walks the frame
//! and validates it without allocating, so that an incomplete reply costs
//! nothing and consumes nothing. The second splits the frame's bytes off
//! the buffer and builds the [`Frame`], with bulk payloads as zero-copy
//! slices of those bytes.
//!
//! Choices for types that [`Frame`] has no variant for:
//!
//! * Attributes (`|`) are read and dropped; the decoder returns the reply
//!   they annotate. No Redis command relevant here sends them.
//! * Blob errors (`!`) become [`Frame::Error`], like simple errors.
//! * RESP3 null (`_`) becomes [`Frame::Null`]: RESP3 has a single null, so
//!   [`Frame::NullArray`] only ever comes from RESP2's `*-1`.
//! * Streamed strings and aggregates (`$?`, `*?`) are not supported and are
//!   reported as errors.

use crate::{DecodeError, Frame};
use bytes::{Bytes, BytesMut};

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 512;

/// Decodes one reply from the front of `buf`; `Ok(None)` when incomplete.
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
    let Some(end) = frame_end(buf, 0, 0)? else {
        return Ok(None);
    };
    let bytes = buf.split_to(end).freeze();
    let (frame, _) = build_frame(&bytes, 0)?;
    Ok(Some(frame))
}

fn invalid(reason: impl Into<String>) -> DecodeError {
    DecodeError(reason.into())
}

/// One `<type><text>\r\n` line.
struct Line<'a> {
    kind: u8,
    text: &'a [u8],
    /// Index just after the line's `\r\n`.
    next: usize,
}

/// Reads the line starting at `pos`; `Ok(None)` when its end is missing.
fn read_line(buf: &[u8], pos: usize) -> Result<Option<Line<'_>>, DecodeError> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    let Some(offset) = buf[pos..].iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let newline = pos + offset;
    if newline == pos || buf[newline - 1] != b'\r' {
        return Err(invalid("line not terminated by CRLF"));
    }
    Ok(Some(Line {
        kind,
        text: &buf[pos + 1..newline - 1],
        next: newline + 1,
    }))
}

fn parse_integer(text: &[u8]) -> Result<i64, DecodeError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad integer {:?}", String::from_utf8_lossy(text))))
}

/// A length of `-1` (null) or more.
fn parse_length(text: &[u8]) -> Result<Option<usize>, DecodeError> {
    match parse_integer(text)? {
        -1 => Ok(None),
        n => usize::try_from(n)
            .map(Some)
            .map_err(|_| invalid(format!("bad length {n}"))),
    }
}

fn parse_double(text: &[u8]) -> Result<f64, DecodeError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad double {:?}", String::from_utf8_lossy(text))))
}

/// Where a length-prefixed payload of `len` bytes starting at `start` ends
/// (after its CRLF); `Ok(None)` when not all of it has arrived.
fn payload_end(buf: &[u8], start: usize, len: usize) -> Result<Option<usize>, DecodeError> {
    let end = start
        .checked_add(len)
        .and_then(|e| e.checked_add(2))
        .ok_or_else(|| invalid("length overflow"))?;
    if buf.len() < end {
        return Ok(None);
    }
    if &buf[end - 2..end] != b"\r\n" {
        return Err(invalid("payload not terminated by CRLF"));
    }
    Ok(Some(end))
}

/// How many child frames an aggregate type holds for a declared length.
fn child_count(kind: u8, len: usize) -> Result<usize, DecodeError> {
    match kind {
        b'%' | b'|' => len.checked_mul(2).ok_or_else(|| invalid("length overflow")),
        _ => Ok(len),
    }
}

/// First pass: the index where the frame starting at `pos` ends, validating
/// it on the way; `Ok(None)` when the buffer holds only part of it.
fn frame_end(buf: &[u8], pos: usize, depth: usize) -> Result<Option<usize>, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(invalid("nesting too deep"));
    }
    let Some(line) = read_line(buf, pos)? else {
        return Ok(None);
    };
    match line.kind {
        b'+' | b'-' | b'(' => Ok(Some(line.next)),
        b':' => parse_integer(line.text).map(|_| Some(line.next)),
        b',' => parse_double(line.text).map(|_| Some(line.next)),
        b'_' if line.text.is_empty() => Ok(Some(line.next)),
        b'#' if matches!(line.text, b"t" | b"f") => Ok(Some(line.next)),
        b'$' | b'!' | b'=' => match parse_length(line.text)? {
            None if line.kind == b'$' => Ok(Some(line.next)),
            None => Err(invalid("null length on a non-bulk string")),
            Some(len) => {
                if line.kind == b'=' {
                    check_verbatim_header(buf, line.next, len)?;
                }
                payload_end(buf, line.next, len)
            }
        },
        b'*' | b'%' | b'~' | b'>' | b'|' => {
            let Some(len) = parse_length(line.text)? else {
                return if line.kind == b'*' {
                    Ok(Some(line.next))
                } else {
                    Err(invalid("null length on a non-array aggregate"))
                };
            };
            let mut next = line.next;
            for _ in 0..child_count(line.kind, len)? {
                match frame_end(buf, next, depth + 1)? {
                    Some(end) => next = end,
                    None => return Ok(None),
                }
            }
            if line.kind == b'|' {
                // The attribute annotates the frame that follows it.
                return frame_end(buf, next, depth + 1);
            }
            Ok(Some(next))
        }
        other => Err(invalid(format!(
            "unexpected type byte {:?}",
            char::from(other)
        ))),
    }
}

fn check_verbatim_header(buf: &[u8], start: usize, len: usize) -> Result<(), DecodeError> {
    if len < 4 {
        return Err(invalid("verbatim string shorter than its format"));
    }
    match buf.get(start + 3) {
        Some(b':') | None => Ok(()),
        Some(_) => Err(invalid("verbatim string without format separator")),
    }
}

/// Second pass over a frame the first pass validated: builds it and
/// returns the index after it.
fn build_frame(bytes: &Bytes, pos: usize) -> Result<(Frame, usize), DecodeError> {
    let line = read_line(bytes, pos)?.ok_or_else(|| invalid("truncated frame"))?;
    let text = || bytes.slice(pos + 1..line.next - 2);
    let frame = match line.kind {
        b'+' => Frame::Simple(text()),
        b'-' => Frame::Error(text()),
        b'(' => Frame::BigNumber(text()),
        b':' => Frame::Integer(parse_integer(line.text)?),
        b',' => Frame::Double(parse_double(line.text)?),
        b'_' => Frame::Null,
        b'#' => Frame::Boolean(line.text == b"t"),
        b'$' | b'!' | b'=' => {
            let Some(len) = parse_length(line.text)? else {
                return Ok((Frame::Null, line.next));
            };
            let payload = bytes.slice(line.next..line.next + len);
            let frame = match line.kind {
                b'$' => Frame::Bulk(payload),
                b'!' => Frame::Error(payload),
                _ => Frame::Verbatim {
                    format: [payload[0], payload[1], payload[2]],
                    text: payload.slice(4..),
                },
            };
            return Ok((frame, line.next + len + 2));
        }
        b'*' | b'%' | b'~' | b'>' | b'|' => {
            let Some(len) = parse_length(line.text)? else {
                return Ok((Frame::NullArray, line.next));
            };
            let mut next = line.next;
            let mut children = Vec::with_capacity(child_count(line.kind, len)?);
            for _ in 0..child_count(line.kind, len)? {
                let (child, end) = build_frame(bytes, next)?;
                children.push(child);
                next = end;
            }
            let frame = match line.kind {
                b'*' => Frame::Array(children),
                b'~' => Frame::Set(children),
                b'>' => Frame::Push(children),
                b'%' => Frame::Map(into_pairs(children)),
                _ => return build_frame(bytes, next),
            };
            return Ok((frame, next));
        }
        other => {
            return Err(invalid(format!(
                "unexpected type byte {:?}",
                char::from(other)
            )))
        }
    };
    Ok((frame, line.next))
}

fn into_pairs(flat: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut pairs = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        pairs.push((key, value));
    }
    pairs
}

#[cfg(test)]
mod tests;
