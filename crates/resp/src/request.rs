//! The request parser: multibulk arrays and inline commands.
//!
//! This mirrors `processMultibulkBuffer` / `processInlineBuffer` of Redis 7.2
//! (`networking.c`), including behaviour that is only visible to odd
//! clients, because the goal is byte-identical answers:
//!
//! * Line ends are found the way `strchr` finds them: a NUL byte ends the
//!   search. A NUL inside a count line or an inline line therefore stalls the
//!   request until the line limit is exceeded, exactly as in Redis.
//! * The two bytes after a count line's `\r` and after a bulk body are
//!   skipped without being checked (Redis 7.2 does not check them either).
//! * A line longer than 64 KB (`PROTO_INLINE_MAX_SIZE`) is an error.
//!   Redis checks this only while the terminator is missing, so with
//!   large reads it sometimes accepts a slightly longer line; here the rule
//!   is applied as if bytes arrived one at a time, which keeps the outcome
//!   independent of how the stream was split into reads.
//!
//! A request is validated completely before anything is allocated for it;
//! the arguments are then `Bytes` handles into the bytes that were split
//! off the buffer (only inline arguments with quotes or escapes are copied).
//! [`RequestParser`] remembers how far it got, so a large request arriving in
//! many reads is scanned once rather than once per read.

use crate::inline::split_inline_args;
use crate::ProtocolError;
use bytes::{Buf, Bytes, BytesMut};

/// `PROTO_INLINE_MAX_SIZE`: the longest line (inline request, count line)
/// Redis keeps buffering while looking for its end.
const MAX_LINE_LEN: usize = 64 * 1024;

/// Multibulk counts above this are invalid (`ll > INT_MAX`).
const MAX_MULTIBULK_COUNT: i64 = i32::MAX as i64;

/// Limits for clients that still have to authenticate.
const UNAUTHENTICATED_MAX_COUNT: i64 = 10;
const UNAUTHENTICATED_MAX_BULK: i64 = 16384;

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
        RequestLimits {
            max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// Parses one request from the front of `buf`.
///
/// * `Ok(Some(argv))`: a complete command; its bytes are removed from `buf`.
///   An empty `argv` is an empty request (blank inline line, `*0`) that the
///   caller skips.
/// * `Ok(None)`: the buffer holds only part of a request; nothing is removed.
/// * `Err(_)`: the input is malformed; the connection must be closed.
///
/// This is a stateless convenience that rescans a partial request on every
/// call; connections should keep a [`RequestParser`] instead.
pub fn parse_request(
    buf: &mut BytesMut,
    limits: &RequestLimits,
) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    RequestParser::new().parse(buf, limits)
}

/// An incremental request parser for one connection.
///
/// Between a call that returned `Ok(None)` and the next call, the caller may
/// only append to the buffer (as reading from a socket does); the parser
/// resumes where it stopped. After `Ok(Some(_))` or `Err(_)` it starts
/// afresh.
#[derive(Debug, Default, Clone)]
pub struct RequestParser {
    progress: Progress,
}

/// How far the request at the front of the buffer has been validated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Nothing looked at yet.
    #[default]
    Fresh,
    /// An inline line, searched up to `searched` without finding its end.
    Inline { searched: usize },
    /// A multibulk count line, searched up to `searched`.
    Count { searched: usize },
    /// The multibulk header and some of the arguments are validated.
    Bulks(BulkProgress),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BulkProgress {
    /// Arguments announced by the header.
    count: usize,
    /// Arguments still to validate.
    left: usize,
    /// Start of the unvalidated part (a bulk header line or body).
    cursor: usize,
    /// How far the current bulk header line was searched.
    searched: usize,
    /// Length of the bulk whose header was read but whose body is not
    /// complete yet.
    body_len: Option<usize>,
}

/// Outcome of looking for the end of a line.
enum LineEnd {
    /// The terminator is at this index.
    At(usize),
    /// Not found yet; the search may resume at this index.
    Missing(usize),
    /// Not found within [`MAX_LINE_LEN`] bytes.
    TooLong,
}

/// Looks for `terminator` in the line starting at `line_start`, resuming at
/// `resume`, the way `strchr` would (stopping at a NUL byte).
fn find_line_end(buf: &[u8], line_start: usize, resume: usize, terminator: u8) -> LineEnd {
    // One byte past the limit: a line of exactly MAX_LINE_LEN bytes is fine.
    let window_end = buf.len().min(line_start + MAX_LINE_LEN + 1);
    let resume = resume.clamp(line_start, window_end);
    let found = buf[resume..window_end]
        .iter()
        .position(|&b| b == terminator || b == 0);
    match found {
        Some(offset) if buf[resume + offset] == terminator => LineEnd::At(resume + offset),
        // strchr stops at NUL: the line can only end by growing too long.
        Some(offset) => line_too_long_or(buf, line_start, resume + offset),
        None => line_too_long_or(buf, line_start, window_end),
    }
}

fn line_too_long_or(buf: &[u8], line_start: usize, resume: usize) -> LineEnd {
    if buf.len() - line_start > MAX_LINE_LEN {
        LineEnd::TooLong
    } else {
        LineEnd::Missing(resume)
    }
}

/// Redis's `string2ll`: optional `-`, no `+`, no leading zeros, no spaces,
/// at most 20 characters, must fit in an `i64`.
fn parse_redis_integer(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    if digits == b"0" {
        return Some(0);
    }
    let (negative, magnitude) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    match magnitude.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &b in magnitude {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(value)
    } else {
        i64::try_from(value).ok()
    }
}

impl RequestParser {
    /// A parser at the start of a request.
    pub fn new() -> Self {
        RequestParser::default()
    }

    /// Parses one request from the front of `buf`, with the same contract
    /// as [`parse_request`].
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let mut argv = Vec::new();
        Ok(self.parse_into(buf, limits, &mut argv)?.then_some(argv))
    }

    /// [`RequestParser::parse`] into a caller's vector, so that a
    /// connection reuses one allocation for every request's arguments:
    /// `Ok(true)` when `argv` holds a complete request (emptied first),
    /// `Ok(false)` when more input is needed.
    pub fn parse_into(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, ProtocolError> {
        argv.clear();
        let outcome = self.advance(buf, limits, argv);
        if !matches!(outcome, Ok(false)) {
            self.progress = Progress::Fresh;
        }
        outcome
    }

    fn advance(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, ProtocolError> {
        if buf.len() < self.progress.min_buffer_len() {
            // The caller broke the append-only contract: start over safely.
            self.progress = Progress::Fresh;
        }
        let Some(&first) = buf.first() else {
            return Ok(false);
        };
        if self.progress == Progress::Fresh
            && first == b'*'
            && parse_complete_multibulk(buf, limits, argv)
        {
            return Ok(true);
        }
        Ok(match self.advance_general(buf, limits, first)? {
            Some(request) => {
                *argv = request;
                true
            }
            None => false,
        })
    }

    /// Every request, complete or not, valid or not, a step at a time.
    fn advance_general(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
        first: u8,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        match self.progress {
            Progress::Fresh if first == b'*' => self.advance_count(buf, limits, 0),
            Progress::Fresh => self.advance_inline(buf, 0),
            Progress::Inline { searched } => self.advance_inline(buf, searched),
            Progress::Count { searched } => self.advance_count(buf, limits, searched),
            Progress::Bulks(bulks) => self.advance_bulks(buf, limits, bulks),
        }
    }

    fn advance_inline(
        &mut self,
        buf: &mut BytesMut,
        searched: usize,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let newline = match find_line_end(buf, 0, searched, b'\n') {
            LineEnd::At(index) => index,
            LineEnd::Missing(resume) => {
                self.progress = Progress::Inline { searched: resume };
                return Ok(None);
            }
            LineEnd::TooLong => return Err(ProtocolError::TooBigInline),
        };
        let line_len = if newline > 0 && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let line = buf.split_to(newline + 1).freeze().slice(..line_len);
        split_inline_args(&line).map(Some)
    }

    fn advance_count(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
        searched: usize,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let carriage_return = match find_line_end(buf, 0, searched, b'\r') {
            LineEnd::At(index) if index + 1 < buf.len() => index,
            LineEnd::At(index) => {
                self.progress = Progress::Count { searched: index };
                return Ok(None);
            }
            LineEnd::Missing(resume) => {
                self.progress = Progress::Count { searched: resume };
                return Ok(None);
            }
            LineEnd::TooLong => return Err(ProtocolError::TooBigMultibulkCount),
        };
        let count = match parse_redis_integer(&buf[1..carriage_return]) {
            Some(count) if count <= MAX_MULTIBULK_COUNT => count,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if count > UNAUTHENTICATED_MAX_COUNT && limits.unauthenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        let header_len = carriage_return + 2;
        let Ok(count) = usize::try_from(count) else {
            // `*0`, `*-1` and any other count below one: an empty request.
            let _ = buf.split_to(header_len);
            return Ok(Some(Vec::new()));
        };
        if count == 0 {
            let _ = buf.split_to(header_len);
            return Ok(Some(Vec::new()));
        }
        let bulks = BulkProgress {
            count,
            left: count,
            cursor: header_len,
            searched: header_len,
            body_len: None,
        };
        self.advance_bulks(buf, limits, bulks)
    }

    fn advance_bulks(
        &mut self,
        buf: &mut BytesMut,
        limits: &RequestLimits,
        mut bulks: BulkProgress,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        while bulks.left > 0 {
            let len = match bulks.body_len {
                Some(len) => len,
                None => match read_bulk_header(buf, bulks.cursor, bulks.searched, limits)? {
                    BulkHeader::Complete { len, body_start } => {
                        bulks.cursor = body_start;
                        bulks.searched = body_start;
                        len
                    }
                    BulkHeader::Incomplete { resume } => {
                        bulks.searched = resume;
                        self.progress = Progress::Bulks(bulks);
                        return Ok(None);
                    }
                },
            };
            // The body and the two bytes after it (meant to be CRLF).
            if buf.len() - bulks.cursor < len + 2 {
                bulks.body_len = Some(len);
                self.progress = Progress::Bulks(bulks);
                return Ok(None);
            }
            bulks.cursor += len + 2;
            bulks.searched = bulks.cursor;
            bulks.body_len = None;
            bulks.left -= 1;
        }
        let request = buf.split_to(bulks.cursor).freeze();
        Ok(Some(split_validated_multibulk(&request, bulks.count)))
    }
}

impl Progress {
    /// The buffer length this progress assumes is still there.
    fn min_buffer_len(&self) -> usize {
        match *self {
            Progress::Fresh => 0,
            Progress::Inline { searched } | Progress::Count { searched } => searched,
            Progress::Bulks(bulks) => bulks.cursor.max(bulks.searched),
        }
    }
}

enum BulkHeader {
    Complete { len: usize, body_start: usize },
    Incomplete { resume: usize },
}

/// Reads the `$<len>\r\n` line starting at `start`.
fn read_bulk_header(
    buf: &[u8],
    start: usize,
    searched: usize,
    limits: &RequestLimits,
) -> Result<BulkHeader, ProtocolError> {
    let carriage_return = match find_line_end(buf, start, searched, b'\r') {
        LineEnd::At(index) if index + 1 < buf.len() => index,
        LineEnd::At(index) => return Ok(BulkHeader::Incomplete { resume: index }),
        LineEnd::Missing(resume) => return Ok(BulkHeader::Incomplete { resume }),
        LineEnd::TooLong => return Err(ProtocolError::TooBigBulkCount),
    };
    if buf[start] != b'$' {
        // Latin-1: the char maps back to the very byte the client sent.
        return Err(ProtocolError::ExpectedDollar(char::from(buf[start])));
    }
    let len = match parse_redis_integer(&buf[start + 1..carriage_return]) {
        Some(len) if len >= 0 && len <= limits.max_bulk_len => len,
        _ => return Err(ProtocolError::InvalidBulkLength),
    };
    if len > UNAUTHENTICATED_MAX_BULK && limits.unauthenticated {
        return Err(ProtocolError::UnauthenticatedBulkLength);
    }
    let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
    Ok(BulkHeader::Complete {
        len,
        body_start: carriage_return + 2,
    })
}

/// The most arguments [`parse_complete_multibulk`] takes; requests with
/// more go through the general path.
const FAST_MAX_ARGS: usize = 16;

/// The common case in one pass and without a second scan: a whole
/// multibulk request of at most [`FAST_MAX_ARGS`] arguments already in the
/// buffer, every count and length canonical and within the limits. For
/// exactly those requests the general path would return the same
/// arguments; anything else (incomplete, malformed, over a limit, a NUL)
/// gets `None` and goes through the general path, which knows Redis's
/// error for it.
fn parse_complete_multibulk(
    buf: &mut BytesMut,
    limits: &RequestLimits,
    argv: &mut Vec<Bytes>,
) -> bool {
    match complete_multibulk_spans(buf, limits) {
        Some((spans, count, end)) => {
            let mut request = buf.split_to(end).freeze();
            // Each slice is a reference count taken, and later given back;
            // the last argument is the request itself, cut down, so it
            // costs neither.
            let (last, others) = match spans[..count].split_last() {
                Some(split) => split,
                None => return true,
            };
            argv.extend(
                others
                    .iter()
                    .map(|&(start, len)| request.slice(start..start + len)),
            );
            let &(start, len) = last;
            request.truncate(start + len);
            request.advance(start);
            argv.push(request);
            true
        }
        None => false,
    }
}

/// Where [`parse_complete_multibulk`]'s arguments are: (start, length)
/// of each, their number, and the end of the request.
type Spans = ([(usize, usize); FAST_MAX_ARGS], usize, usize);

fn complete_multibulk_spans(bytes: &[u8], limits: &RequestLimits) -> Option<Spans> {
    let (count, mut pos) = read_fast_number(bytes, 1)?;
    if count == 0 || count > FAST_MAX_ARGS {
        return None;
    }
    if limits.unauthenticated && count as i64 > UNAUTHENTICATED_MAX_COUNT {
        return None;
    }
    let max_bulk = if limits.unauthenticated {
        limits.max_bulk_len.min(UNAUTHENTICATED_MAX_BULK)
    } else {
        limits.max_bulk_len
    };
    let mut spans = [(0usize, 0usize); FAST_MAX_ARGS];
    for span in spans.iter_mut().take(count) {
        if *bytes.get(pos)? != b'$' {
            return None;
        }
        let (len, body_start) = read_fast_number(bytes, pos + 1)?;
        if len as i64 > max_bulk {
            return None;
        }
        // The body and the two bytes after it (meant to be CRLF).
        let end = body_start.checked_add(len)?.checked_add(2)?;
        if end > bytes.len() {
            return None;
        }
        *span = (body_start, len);
        pos = end;
    }
    Some((spans, count, pos))
}

/// A canonical decimal (`0`, or no leading zero; at most 18 digits, so
/// no overflow) starting at `start` and ending in `\r` plus one more byte
/// (the general path's test for a complete line). Returns the value and
/// the index after the line end; `None` for anything else.
fn read_fast_number(bytes: &[u8], start: usize) -> Option<(usize, usize)> {
    let first = *bytes.get(start)?;
    let mut value = match first {
        b'0' => {
            return (bytes.get(start + 1) == Some(&b'\r') && start + 2 < bytes.len())
                .then_some((0, start + 3));
        }
        b'1'..=b'9' => usize::from(first - b'0'),
        _ => return None,
    };
    let mut i = start + 1;
    loop {
        let b = *bytes.get(i)?;
        if b == b'\r' {
            break;
        }
        if !b.is_ascii_digit() || i - start >= 18 {
            return None;
        }
        value = value * 10 + usize::from(b - b'0');
        i += 1;
    }
    (i + 1 < bytes.len()).then_some((value, i + 2))
}

/// Splits a request that [`RequestParser`] has fully validated into its
/// arguments. The validation pass already checked every header, so this
/// pass only re-reads the lengths.
fn split_validated_multibulk(request: &Bytes, count: usize) -> Vec<Bytes> {
    let mut args = Vec::with_capacity(count);
    let mut pos = skip_line(request, 0);
    for _ in 0..count {
        let header_end = find_carriage_return(request, pos);
        let len = request[pos + 1..header_end]
            .iter()
            .fold(0usize, |acc, &digit| acc * 10 + usize::from(digit - b'0'));
        let body_start = header_end + 2;
        args.push(request.slice(body_start..body_start + len));
        pos = body_start + len + 2;
    }
    args
}

fn find_carriage_return(request: &[u8], from: usize) -> usize {
    from + request[from..]
        .iter()
        .position(|&b| b == b'\r')
        .unwrap_or(0)
}

fn skip_line(request: &[u8], from: usize) -> usize {
    find_carriage_return(request, from) + 2
}

#[cfg(test)]
mod tests;
