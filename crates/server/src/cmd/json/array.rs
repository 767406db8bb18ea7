//! The array commands: ARRAPPEND, ARRINSERT, ARRPOP, ARRTRIM.
//!
//! Edits that change array lengths run in [`in_mutation_order`] (deepest
//! and highest index first) so that a match inside another matched array
//! is still where evaluation found it; replies stay in match order.

use super::doc::{parse, Json, Seg};
use super::edit::{check_depth, clamp_start, get_mut, in_mutation_order, owned, trim};
use super::eval::select;
use super::format::to_text;
use super::path::PathArg;
use super::read::compile;
use super::reply::{bulk, no_such_key, not_an_integer, path_missing_or, verbatim};
use super::{notify, write_doc};
use crate::cmd::reply::{count, flatten, selected_db, Reply};
use crate::cmd::Ctx;
use crate::db::canonical_i64;
use bytes::Bytes;
use moat_resp::Frame;

/// The arrays among the matches of `path` (None for other matches), or
/// for a legacy path without any array, RedisJSON's error quoting
/// `quoted`.
fn array_targets(doc: &Json, path: &PathArg, quoted: &str) -> Result<Vec<Option<Vec<Seg>>>, Frame> {
    let compiled = compile(path)?;
    let targets: Vec<Option<Vec<Seg>>> = select(doc, &compiled)
        .iter()
        .map(|m| matches!(m.value, Json::Array(_)).then(|| owned(&m.path)))
        .collect();
    if path.legacy && targets.iter().all(Option::is_none) {
        return Err(path_missing_or(quoted, "not an array"));
    }
    Ok(targets)
}

fn array_at<'a>(doc: &'a mut Json, path: &[Seg]) -> Option<&'a mut Vec<Json>> {
    match get_mut(doc, path) {
        Some(Json::Array(items)) => Some(items),
        _ => None,
    }
}

/// Whether adding `items` to the target arrays keeps the document
/// within the nesting limit.
fn check_items_depth(targets: &[Option<Vec<Seg>>], items: &[Json]) -> Result<(), Frame> {
    for target in targets.iter().flatten() {
        for item in items {
            check_depth(target.len() + 1, item)?;
        }
    }
    Ok(())
}

/// Runs `edit` on every target array in mutation order and answers
/// RedisJSON's shape: the last result for a legacy path, one entry per
/// match otherwise.
fn edit_arrays(
    doc: &mut Json,
    targets: &[Option<Vec<Seg>>],
    legacy: bool,
    mut edit: impl FnMut(&mut Vec<Json>) -> Frame,
) -> (Frame, bool) {
    let present: Vec<Vec<Seg>> = targets.iter().flatten().cloned().collect();
    let mut results = vec![Frame::Null; present.len()];
    let mut changed = false;
    for i in in_mutation_order(&present) {
        if let Some(items) = array_at(doc, &present[i]) {
            results[i] = edit(items);
            changed = true;
        }
    }
    if legacy {
        return (results.pop().unwrap_or(Frame::Null), changed);
    }
    let mut results = results.into_iter();
    let replies = targets
        .iter()
        .map(|t| match t {
            Some(_) => results.next().unwrap_or(Frame::Null),
            None => Frame::Null,
        })
        .collect();
    (Frame::Array(replies), changed)
}

fn parse_values(args: &[Bytes]) -> Result<Vec<Json>, Frame> {
    args.iter().map(|a| parse(a).map_err(verbatim)).collect()
}

pub fn arrappend(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(arrappend_reply(ctx, argv))
}

fn arrappend_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let items = parse_values(&argv[3..])?;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
    let targets = array_targets(doc, &path, &path.original)?;
    check_items_depth(&targets, &items)?;
    let (reply, changed) = edit_arrays(doc, &targets, path.legacy, |array| {
        array.extend(items.iter().cloned());
        count(array.len())
    });
    if changed {
        db.modified(key);
        notify(&mut db, "json.arrappend", key);
    }
    Ok(reply)
}

pub fn arrinsert(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(arrinsert_reply(ctx, argv))
}

fn arrinsert_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let index = canonical_i64(&argv[3]).ok_or_else(not_an_integer)?;
    let items = parse_values(&argv[4..])?;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
    let targets = array_targets(doc, &path, &path.text)?;
    check_items_depth(&targets, &items)?;
    // The position must be within every target array (0..=len, negative
    // counting from the end) before anything is inserted.
    let position = |len: usize| {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let at = if index < 0 { len + index } else { index };
        (0..=len).contains(&at).then_some(at as usize)
    };
    for target in targets.iter().flatten() {
        let len = array_at(doc, target).map_or(0, |a| a.len());
        if position(len).is_none() {
            return Err(Frame::error("ERR index out of bounds"));
        }
    }
    let (reply, changed) = edit_arrays(doc, &targets, path.legacy, |array| {
        let at = position(array.len()).unwrap_or(array.len());
        array.splice(at..at, items.iter().cloned());
        count(array.len())
    });
    if changed {
        db.modified(key);
        notify(&mut db, "json.arrinsert", key);
    }
    Ok(reply)
}

pub fn arrpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    // Without a path: the root, last element; with a path the index
    // defaults to -1, and an index that is not a number also means -1.
    let (path, index) = match argv.get(2) {
        None => (PathArg::legacy_root(), i64::MAX),
        Some(p) => (
            PathArg::new(p),
            argv.get(3).and_then(|i| canonical_i64(i)).unwrap_or(-1),
        ),
    };
    let key = &argv[1];
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
        let targets = array_targets(doc, &path, &path.text)?;
        let mut popped_any = false;
        let (reply, _) = edit_arrays(doc, &targets, path.legacy, |array| {
            if array.is_empty() {
                return Frame::Null;
            }
            let len = i64::try_from(array.len()).unwrap_or(i64::MAX);
            let at = clamp_start(index, len) as usize;
            popped_any = true;
            bulk(to_text(&array.remove(at)))
        });
        if popped_any {
            db.modified(key);
        }
        // RedisJSON raises the event for a legacy path only when the last
        // match popped something (an empty last array answers nil).
        let raise = if path.legacy {
            reply != Frame::Null
        } else {
            popped_any
        };
        if raise {
            notify(&mut db, "json.arrpop", key);
        }
        Ok(reply)
    })())
}

pub fn arrtrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(arrtrim_reply(ctx, argv))
}

fn arrtrim_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let start = canonical_i64(&argv[3]).ok_or_else(not_an_integer)?;
    let stop = canonical_i64(&argv[4]).ok_or_else(not_an_integer)?;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
    let targets = array_targets(doc, &path, &path.text)?;
    let (reply, changed) = edit_arrays(doc, &targets, path.legacy, |array| {
        count(trim(array, start, stop))
    });
    // Raised for every matched array, even one the trim left as it was.
    if changed {
        db.modified(key);
        notify(&mut db, "json.arrtrim", key);
    }
    Ok(reply)
}
