//! KEYS and SCAN.
//!
//! SCAN's cursor is a slot number of the database's stable slot table
//! (see `db::table`), which is what gives it Redis's guarantee: a key
//! present for the whole iteration is returned.

use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use bytes::Bytes;
use moat_resp::Frame;

/// Redis's default COUNT.
const DEFAULT_COUNT: usize = 10;

pub fn keys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let pattern = &argv[1][..];
    let match_all = pattern == b"*";
    let db = selected_db(ctx);
    let keys = db
        .live_entries()
        .filter(|entry| match_all || moat_glob::matches(pattern, entry.key(), false))
        .map(|entry| Frame::Bulk(Bytes::copy_from_slice(entry.key())))
        .collect();
    Ok(Frame::Array(keys))
}

/// A SCAN cursor as Redis's `strtoul` reads it: a leading `+`/`-`
/// allowed (a negative number wraps), nothing else.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, Frame> {
    let invalid = || Frame::error("ERR invalid cursor");
    // `strtoul("")` converts nothing and leaves its end pointer on the
    // terminating NUL, which Redis's end check accepts: cursor 0.
    if arg.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let magnitude: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(invalid)?;
    Ok(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// The MATCH, COUNT and TYPE options.
struct ScanOptions<'a> {
    pattern: Option<&'a [u8]>,
    count: usize,
    type_name: Option<&'a [u8]>,
}

fn parse_options(args: &[Bytes]) -> Result<ScanOptions<'_>, Frame> {
    let mut options = ScanOptions {
        pattern: None,
        count: DEFAULT_COUNT,
        type_name: None,
    };
    let mut pairs = args.chunks(2);
    for pair in &mut pairs {
        let [name, value] = pair else {
            return Err(syntax_error());
        };
        if is(name, "count") {
            let count = parse_i64(value)?;
            if count < 1 {
                return Err(syntax_error());
            }
            options.count = usize::try_from(count).unwrap_or(usize::MAX);
        } else if is(name, "match") {
            options.pattern = (&value[..] != b"*").then_some(&value[..]);
        } else if is(name, "type") {
            options.type_name = Some(&value[..]);
        } else {
            return Err(syntax_error());
        }
    }
    Ok(options)
}

pub fn scan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let cursor = parse_cursor(&argv[1])?;
    let options = parse_options(&argv[2..])?;
    let mut db = selected_db(ctx);
    let mut found: Vec<Bytes> = Vec::new();
    // Redis filters by MATCH first (a key it rejects is not even expired),
    // then by TYPE, with a read lookup of the key, then drops expired keys.
    let wanted_name = |key: &[u8]| {
        options
            .pattern
            .is_none_or(|pattern| moat_glob::matches(pattern, key, false))
    };
    let typed = options.type_name.is_some();
    let next = db.scan(cursor, options.count, wanted_name, typed, |entry| {
        let wanted_type = options
            .type_name
            .is_none_or(|name| name.eq_ignore_ascii_case(entry.value.type_name().as_bytes()));
        if wanted_type {
            found.push(Bytes::copy_from_slice(entry.key()));
        }
    });
    Ok(Frame::Array(vec![
        Frame::Bulk(Bytes::from(next.to_string())),
        Frame::Array(found.into_iter().map(Frame::Bulk).collect()),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b""), Ok(0));
        for bad in [&b"x"[..], b"+", b"-", b"18446744073709551616", b" 1", b"1 "] {
            assert_eq!(parse_cursor(bad), Err(Frame::error("ERR invalid cursor")));
        }
    }
}
