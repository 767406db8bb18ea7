//! SORT and SORT_RO, following Redis 7.2's `sort.c` step for step: the
//! options parsed (and refused) in order, the LIMIT window clamped as
//! Redis clamps it, the shortcut that reads lists and sorted sets in
//! their own order when there is nothing to sort (`BY` a pattern without
//! `*`), weights looked up through patterns, and Redis's comparison
//! (numbers with ties broken by the bytes, or collation for ALPHA).
//!
//! Whether the `BY`/`GET` patterns are allowed is an ACL question the
//! handler cannot answer, since it never sees the user: dispatch answers
//! it for this request in [`crate::client::ClientState::may_read_any_key`].

mod pattern;

use super::args::{is, parse_i64};
use super::collection::bulk;
use super::pqsort::pqsort;
use super::reply::{count, flatten, selected_db, syntax_error, wrong_type, Reply};
use super::{Ctx, Handler};
use crate::db::{Access, End, ListValue, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;
use pattern::{lookup_by_pattern, weight_of};
use std::cmp::Ordering;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("sort", |ctx, argv| flatten(sort(ctx, argv, false))),
    ("sort_ro", |ctx, argv| flatten(sort(ctx, argv, true))),
];

/// The parsed options of one SORT.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// `BY` named a pattern without `*`: nothing to sort. Like Redis's
    /// `dontsort`, a later `BY` does not clear it.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse_options<'a>(
    argv: &'a [Bytes],
    read_only: bool,
    may_read_any_key: bool,
) -> Result<Options<'a>, Frame> {
    let mut options = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let arg = &argv[j][..];
        if is(arg, "asc") {
            options.desc = false;
        } else if is(arg, "desc") {
            options.desc = true;
        } else if is(arg, "alpha") {
            options.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            options.limit_start = parse_i64(&argv[j + 1])?;
            options.limit_count = parse_i64(&argv[j + 2])?;
            j += 2;
        } else if !read_only && is(arg, "store") && left >= 1 {
            options.store = Some(&argv[j + 1]);
            j += 1;
        } else if is(arg, "by") && left >= 1 {
            let by = &argv[j + 1][..];
            options.by = Some(by);
            if !by.contains(&b'*') {
                options.dont_sort = true;
            } else if !may_read_any_key {
                return Err(Frame::error(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            j += 1;
        } else if is(arg, "get") && left >= 1 {
            // Even `GET #` needs the permission: Redis checks before
            // looking at the pattern.
            if !may_read_any_key {
                return Err(Frame::error(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            options.gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(options)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// One element to sort and what it is sorted by.
struct Item {
    element: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the looked-up value (`None` when missing).
    by_value: Option<Vec<u8>>,
}

/// The LIMIT window as `sortCommandGeneric` clamps it: `(start, end)`
/// inclusive, `end < start` when empty.
fn window(limit_start: i64, limit_count: i64, len: i64) -> (i64, i64) {
    let mut start = limit_start.max(0).min(len);
    let limit_count = limit_count.max(-1).min(len);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start + limit_count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

/// `strcoll` in the C locale: bytes compared up to the first NUL, as the
/// C strings Redis passes end there.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let until_nul = |s: &[u8]| s.iter().position(|&c| c == 0).map_or(s.len(), |n| n);
    a[..until_nul(a)].cmp(&b[..until_nul(b)])
}

fn sort(ctx: &mut Ctx<'_>, argv: &[Bytes], read_only: bool) -> Reply {
    let limits = ctx.ks.thresholds;
    let mut options = parse_options(argv, read_only, ctx.client.may_read_any_key)?;
    let mut db = selected_db(ctx);
    let (kind, all): (Kind, Vec<Vec<u8>>) = match db.lookup(&argv[1], Access::Read) {
        None => (Kind::List, Vec::new()),
        Some(Value::List(list)) => (Kind::List, list.iter().map(<[u8]>::to_vec).collect()),
        Some(Value::Set(set)) => (Kind::Set, set.iter().map(|m| m.into_owned()).collect()),
        Some(Value::ZSet(zset)) => {
            // Redis converts a listpack sorted set to a skiplist for good
            // before sorting it (OBJECT ENCODING shows it).
            zset.convert_to_skiplist();
            (Kind::ZSet, zset.iter().map(|(m, _)| m.to_vec()).collect())
        }
        Some(_) => return Err(wrong_type()),
    };
    // A set has no order of its own: stored results are sorted, so that
    // they are the same on every replica.
    if options.dont_sort && kind == Kind::Set && options.store.is_some() {
        options.dont_sort = false;
        options.alpha = true;
        options.by = None;
    }
    let len = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let (mut start, mut end) = window(options.limit_start, options.limit_count, len);
    let mut items: Vec<Item> = if options.dont_sort && kind != Kind::Set {
        // Lists and sorted sets keep their own order, read in the
        // requested direction from the window's start.
        let wanted = usize::try_from(end - start + 1).unwrap_or(0);
        let from = usize::try_from(start).unwrap_or(0);
        let picked: Vec<Vec<u8>> = if options.desc {
            all.into_iter().rev().skip(from).take(wanted).collect()
        } else {
            all.into_iter().skip(from).take(wanted).collect()
        };
        end -= start;
        start = 0;
        picked.into_iter().map(unsorted).collect()
    } else {
        all.into_iter().map(unsorted).collect()
    };
    let mut bad_weight = false;
    if !options.dont_sort {
        for item in &mut items {
            let weight = match options.by {
                Some(by) => match lookup_by_pattern(&mut db, by, &item.element) {
                    Some(value) => value,
                    None => continue,
                },
                None => item.element.clone(),
            };
            if options.alpha {
                if options.by.is_some() {
                    item.by_value = Some(weight);
                }
            } else {
                match weight_of(&weight) {
                    Some(score) => item.score = score,
                    None => bad_weight = true,
                }
            }
        }
        let (alpha, by, store, desc) = (
            options.alpha,
            options.by.is_some(),
            options.store.is_some(),
            options.desc,
        );
        // Binary comparison when storing, collation when replying, as
        // Redis does.
        let mut compare = |a: &Item, b: &Item| {
            let order = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.element.cmp(&b.element))
            } else if by {
                match (&a.by_value, &b.by_value) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) if store => x.cmp(y),
                    (Some(x), Some(y)) => collate(x, y),
                }
            } else if store {
                a.element.cmp(&b.element)
            } else {
                collate(&a.element, &b.element)
            };
            if desc {
                order.reverse()
            } else {
                order
            }
        };
        // A window of a BY sort is sorted partially, as Redis does (which
        // decides where equal weights land); the rest like glibc's
        // stable `qsort`.
        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
        if by && (start != 0 || end != len - 1) {
            pqsort(
                &mut items,
                usize::try_from(start).unwrap_or(0),
                end,
                &mut compare,
            );
        } else {
            items.sort_by(compare);
        }
    }
    if bad_weight {
        return Err(Frame::error(
            "ERR One or more scores can't be converted into double",
        ));
    }
    let chosen: &[Item] = if end >= start {
        let from = usize::try_from(start).unwrap_or(0);
        let to = usize::try_from(end).unwrap_or(0) + 1;
        items.get(from..to.min(items.len())).unwrap_or(&[])
    } else {
        &[]
    };
    let Some(target) = options.store else {
        let mut out = Vec::new();
        for item in chosen {
            if options.gets.is_empty() {
                out.push(bulk(&item.element));
            }
            for get in &options.gets {
                out.push(
                    lookup_by_pattern(&mut db, get, &item.element)
                        .map_or(Frame::Null, |v| Frame::Bulk(Bytes::from(v))),
                );
            }
        }
        return Ok(Frame::Array(out));
    };
    let mut stored: Vec<Vec<u8>> = Vec::new();
    for item in chosen {
        if options.gets.is_empty() {
            stored.push(item.element.clone());
        }
        for get in &options.gets {
            stored.push(lookup_by_pattern(&mut db, get, &item.element).unwrap_or_default());
        }
    }
    if stored.is_empty() {
        if db.remove(target) {
            db.notify(NotifyFlags::GENERIC, "del", target);
        }
        return Ok(Frame::Integer(0));
    }
    let mut list = ListValue::default();
    list.prepare_for(stored.iter().map(Vec::len), &limits);
    for element in &stored {
        list.push(End::Tail, element, &limits);
    }
    db.set(target, Value::List(list), false);
    db.notify(NotifyFlags::LIST, "sortstore", target);
    // A change per element stored (an emptied target is one).
    db.count_changes(stored.len());
    Ok(count(stored.len()))
}

fn unsorted(element: Vec<u8>) -> Item {
    Item {
        element,
        score: 0.0,
        by_value: None,
    }
}

#[cfg(test)]
mod tests;
