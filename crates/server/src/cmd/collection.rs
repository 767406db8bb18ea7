//! What the collection commands (hashes, sets, sorted sets, lists) share:
//! typed lookups with Redis's WRONGTYPE rule, creation on first write,
//! deletion of a key whose collection became empty, the *SCAN options
//! and the RANDFIELD/RANDMEMBER count.

use super::args::{is, parse_i64};
use super::keys::parse_cursor;
use super::reply::{syntax_error, wrong_type};
use crate::db::{Access, DbView, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// Picks one type's payload out of a value.
pub type Pick<T> = fn(&mut Value) -> Option<&mut T>;

/// The collection at `key`: `Ok(None)` when absent, WRONGTYPE when the
/// key holds another type.
pub fn existing<'v, T>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    mode: Access,
    pick: Pick<T>,
) -> Result<Option<&'v mut T>, Frame> {
    match db.lookup(key, mode) {
        None => Ok(None),
        Some(value) => pick(value).map(Some).ok_or_else(wrong_type),
    }
}

/// The collection at `key`, created empty when absent (Redis's
/// `*LookupWriteOrCreate`). Callers validate their arguments first, so a
/// created key always receives an element.
pub fn existing_or_new<'v, T>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    pick: Pick<T>,
    make: fn() -> Value,
) -> Result<&'v mut T, Frame> {
    let present = match db.lookup(key, Access::Write) {
        None => false,
        Some(value) => {
            pick(value).ok_or_else(wrong_type)?;
            true
        }
    };
    if !present {
        db.set(key, make(), false);
    }
    db.lookup(key, Access::Peek)
        .and_then(pick)
        .ok_or_else(wrong_type)
}

/// Reports an edit of `key` and deletes it if its collection is now
/// empty (Redis never keeps empty collections).
pub fn edited(db: &mut DbView<'_>, key: &[u8], now_empty: bool) {
    if now_empty {
        db.remove(key);
    } else {
        db.modified(key);
    }
}

/// [`edited`] raising Redis's events: the command's `event`, then `del`
/// when the key was emptied and so removed.
pub fn edited_notify(
    db: &mut DbView<'_>,
    key: &[u8],
    now_empty: bool,
    class: NotifyFlags,
    event: &'static str,
) {
    edited(db, key, now_empty);
    db.notify(class, event, key);
    if now_empty {
        db.notify(NotifyFlags::GENERIC, "del", key);
    }
}

/// A bulk reply from bytes.
pub fn bulk(bytes: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(bytes))
}

/// The options of HSCAN, SSCAN and ZSCAN.
pub struct ScanOptions<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
}

impl ScanOptions<'_> {
    pub fn wants(&self, element: &[u8]) -> bool {
        self.pattern
            .is_none_or(|pattern| moat_glob::matches(pattern, element, false))
    }
}

/// The cursor of a *SCAN command (`ERR invalid cursor`).
pub fn scan_cursor(arg: &[u8]) -> Result<u64, Frame> {
    parse_cursor(arg)
}

/// MATCH and COUNT as `scanGenericCommand` parses them.
pub fn scan_options(args: &[Bytes]) -> Result<ScanOptions<'_>, Frame> {
    let mut options = ScanOptions {
        pattern: None,
        count: 10,
    };
    let mut i = 0;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return Err(syntax_error());
        };
        if is(&args[i], "count") {
            let count = parse_i64(value)?;
            if count < 1 {
                return Err(syntax_error());
            }
            options.count = usize::try_from(count).unwrap_or(usize::MAX);
        } else if is(&args[i], "match") {
            options.pattern = (&value[..] != b"*").then_some(&value[..]);
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    Ok(options)
}

/// The reply of a *SCAN step.
pub fn scan_reply(next: u64, elements: Vec<Frame>) -> Frame {
    Frame::Array(vec![
        Frame::Bulk(Bytes::from(next.to_string())),
        Frame::Array(elements),
    ])
}

/// The `count [WITH<option>]` arguments of HRANDFIELD and ZRANDMEMBER
/// (`argv[2..]`, present): the count, and whether `option` (`withvalues`,
/// `withscores`) was given, with Redis's syntax and range errors.
pub fn rand_count_with(argv: &[Bytes], option: &str) -> Result<(i64, bool), Frame> {
    let n = rand_count(&argv[2])?;
    let with = match argv.len() {
        3 => false,
        4 if argv[3].eq_ignore_ascii_case(option.as_bytes()) => true,
        _ => return Err(syntax_error()),
    };
    // Twice the count is the reply's length with the option.
    if with && !(-i64::MAX / 2..=i64::MAX / 2).contains(&n) {
        return Err(Frame::error("ERR value is out of range"));
    }
    Ok((n, with))
}

/// The count of HRANDFIELD and ZRANDMEMBER: within ±`LONG_MAX`
/// (`getRangeLongFromObjectOrReply`).
pub fn rand_count(arg: &[u8]) -> Result<i64, Frame> {
    let n = parse_i64(arg)?;
    if n == i64::MIN {
        return Err(Frame::error(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    Ok(n)
}

/// `wanted` distinct elements of `all`, chosen uniformly, in their
/// original order (Redis samples a listpack this way, `lpRandomPairsUnique`).
pub fn sample_in_order<T>(all: Vec<T>, wanted: usize, rng: &mut impl rand::Rng) -> Vec<T> {
    let mut keep = vec![false; all.len()];
    let mut indexes: Vec<usize> = (0..all.len()).collect();
    for i in 0..wanted.min(all.len()) {
        let j = rng.gen_range(i..indexes.len());
        indexes.swap(i, j);
        keep[indexes[i]] = true;
    }
    all.into_iter()
        .zip(keep)
        .filter_map(|(item, kept)| kept.then_some(item))
        .collect()
}
