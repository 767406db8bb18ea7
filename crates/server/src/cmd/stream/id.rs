//! Stream entry ids: `<ms>-<seq>`, parsed exactly as Redis parses them.
//!
//! Redis reads each half with `string2ull`, which first tries its strict
//! integer parser and then falls back to `strtoull`, so `+5`, ` 5` and
//! `007` are accepted while `-1` is not; the special forms `-`, `+`,
//! `<ms>-*` and exclusive `(` ids are only valid where each command says.

use bytes::Bytes;
use moat_resp::Frame;
use std::fmt;

/// A stream id; ordering is numeric, `ms` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next id (`streamIncrID`), `None` past the last possible one.
    pub fn next(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                return None;
            }
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous id (`streamDecrID`), `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                return None;
            }
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// The id as a bulk string reply.
    pub fn reply(self) -> Frame {
        Frame::Bulk(Bytes::from(self.to_string()))
    }

    /// The 16 big-endian bytes Redis uses as radix tree key.
    pub fn key_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// `ERR Invalid stream ID specified as stream command argument`
pub fn invalid_id() -> Frame {
    Frame::error("ERR Invalid stream ID specified as stream command argument")
}

/// How an id argument may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `-` and `+` are accepted (range bounds).
    Loose,
    /// `-` and `+` are rejected.
    Strict,
}

/// An id as XADD reads it: `seq: None` for the `<ms>-*` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialId {
    pub ms: u64,
    pub seq: Option<u64>,
}

/// `streamGenericParseIDOrReply` with the given form; a missing sequence
/// becomes `missing_seq`.
pub fn parse(arg: &[u8], missing_seq: u64, form: Form) -> Result<StreamId, Frame> {
    match parse_generic(arg, missing_seq, form, false)? {
        PartialId { ms, seq: Some(seq) } => Ok(StreamId::new(ms, seq)),
        PartialId { .. } => Err(invalid_id()),
    }
}

/// A strict id, sequence 0 when missing: what most commands take.
pub fn parse_strict(arg: &[u8]) -> Result<StreamId, Frame> {
    parse(arg, 0, Form::Strict)
}

/// XADD's id: strict, and `<ms>-*` leaves the sequence to the stream.
pub fn parse_xadd(arg: &[u8]) -> Result<PartialId, Frame> {
    parse_generic(arg, 0, Form::Strict, true)
}

fn parse_generic(
    arg: &[u8],
    missing_seq: u64,
    form: Form,
    allow_star: bool,
) -> Result<PartialId, Frame> {
    // Redis copies the argument into a 128-byte buffer first.
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    // Redis works on a C string: an embedded NUL ends it.
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    match arg {
        b"-" | b"+" if form == Form::Strict => return Err(invalid_id()),
        b"-" => {
            return Ok(PartialId {
                ms: 0,
                seq: Some(0),
            })
        }
        b"+" => {
            return Ok(PartialId {
                ms: u64::MAX,
                seq: Some(u64::MAX),
            })
        }
        _ => {}
    }
    let (ms_text, seq_text) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = string2ull(ms_text).ok_or_else(invalid_id)?;
    let seq = match seq_text {
        None => Some(missing_seq),
        Some(b"*") if allow_star => None,
        Some(text) => Some(string2ull(text).ok_or_else(invalid_id)?),
    };
    Ok(PartialId { ms, seq })
}

/// Redis's `string2ull`: strict integer text first, `strtoull` after.
pub fn string2ull(text: &[u8]) -> Option<u64> {
    if let Some(n) = crate::db::canonical_i64(text) {
        return u64::try_from(n).ok();
    }
    strtoull(text)
}

/// `strtoull(s, &end, 10)` that must consume the whole non-empty text.
fn strtoull(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    while let [b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r', tail @ ..] = rest {
        rest = tail;
    }
    let negative = match rest {
        [b'-', tail @ ..] => {
            rest = tail;
            true
        }
        [b'+', tail @ ..] => {
            rest = tail;
            false
        }
        _ => false,
    };
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in rest {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// A range bound: `(id` is exclusive where Redis allows it.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Frame> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse(&arg[1..], missing_seq, Form::Strict)?, true))
    } else {
        Ok((parse(arg, missing_seq, Form::Loose)?, false))
    }
}

/// The inclusive start of a range given as an interval bound.
pub fn range_start(arg: &[u8]) -> Result<StreamId, Frame> {
    let (id, exclusive) = parse_interval(arg, 0)?;
    if exclusive {
        id.next()
            .ok_or_else(|| Frame::error("ERR invalid start ID for the interval"))
    } else {
        Ok(id)
    }
}

/// The inclusive end of a range given as an interval bound.
pub fn range_end(arg: &[u8]) -> Result<StreamId, Frame> {
    let (id, exclusive) = parse_interval(arg, u64::MAX)?;
    if exclusive {
        id.prev()
            .ok_or_else(|| Frame::error("ERR invalid end ID for the interval"))
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_parse_like_string2ull() {
        assert_eq!(parse_strict(b"5"), Ok(StreamId::new(5, 0)));
        assert_eq!(parse_strict(b"5-3"), Ok(StreamId::new(5, 3)));
        assert_eq!(parse_strict(b"+5-007"), Ok(StreamId::new(5, 7)));
        assert_eq!(parse_strict(b" 5"), Ok(StreamId::new(5, 0)));
        assert_eq!(
            parse_strict(b"18446744073709551615-18446744073709551615"),
            Ok(StreamId::MAX)
        );
        assert_eq!(parse_strict(b"18446744073709551616"), Err(invalid_id()));
        assert_eq!(parse_strict(b"-1"), Err(invalid_id()));
        assert_eq!(parse_strict(b"1-2-3"), Err(invalid_id()));
        assert_eq!(parse_strict(b"1-"), Err(invalid_id()));
        assert_eq!(parse_strict(b"abc"), Err(invalid_id()));
        assert_eq!(parse_strict(b"-"), Err(invalid_id()));
        assert_eq!(parse(b"+", 0, Form::Loose), Ok(StreamId::MAX));
        assert_eq!(
            parse(b"7", u64::MAX, Form::Loose),
            Ok(StreamId::new(7, u64::MAX))
        );
        assert_eq!(parse_strict(b"1-*"), Err(invalid_id()));
        assert_eq!(parse_xadd(b"1-*"), Ok(PartialId { ms: 1, seq: None }));
    }

    #[test]
    fn exclusive_bounds_step_over_the_edges() {
        assert_eq!(range_start(b"(1-5"), Ok(StreamId::new(1, 6)));
        assert_eq!(range_end(b"(1-0"), Ok(StreamId::new(0, u64::MAX)));
        assert!(range_end(b"(0-0").is_err());
        assert!(range_start(b"(18446744073709551615-18446744073709551615").is_err());
        assert_eq!(range_start(b"("), Err(invalid_id()));
        assert!(range_start(b"(-").is_err());
    }
}
