//! The writing commands on whole values: SET, MSET, MERGE, DEL/FORGET,
//! TOGGLE, CLEAR, NUMINCRBY, NUMMULTBY, STRAPPEND.
//!
//! Each command checks everything that can fail before it changes the
//! document, so an error reply always means nothing changed.

use super::doc::{parse, parse_strict, Json, Seg};
use super::edit::{check_depth, deletion_set, get_mut, merge as merge_into, owned_paths, remove};
use super::eval::select;
use super::format::{float_text, to_text};
use super::path::{JsonPath, PathArg, Segment, Selector};
use super::read::{compile, resp3};
use super::reply::{
    bulk, expected, new_objects_at_root, no_such_key, path_missing_or, sdk_error, verbatim,
};
use super::{check_type, notify, write_doc};
use crate::cmd::args::is;
use crate::cmd::reply::{count, flatten, selected_db, syntax_error, wrong_arity, Reply};
use crate::cmd::Ctx;
use crate::db::Value;
use bytes::Bytes;
use moat_resp::Frame;

/// JSON.SET's NX / XX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    None,
    /// NX: only where nothing is.
    Absent,
    /// XX: only where something is.
    Present,
}

/// Where a SET or MERGE writes.
enum Plan {
    /// Replace (or merge into) these existing values.
    Update(Vec<Vec<Seg>>),
    /// Add member `key` to these objects (where it is not yet).
    Add {
        parents: Vec<Vec<Seg>>,
        key: String,
    },
    Nothing,
}

/// RedisJSON's `find_paths`: existing matches are updated (unless NX);
/// otherwise a path without wildcards whose last step names a member
/// adds that member to its parent.
fn plan(doc: &Json, path: &JsonPath, condition: Condition) -> Result<Plan, Frame> {
    if condition != Condition::Absent {
        let found = select(doc, path);
        if !found.is_empty() {
            return Ok(Plan::Update(owned_paths(&found)));
        }
    }
    if condition == Condition::Present {
        return Ok(Plan::Nothing);
    }
    // Only a path without wildcards, lists or filters names one place.
    let single = |segment: &Segment| match segment {
        Segment::Child(Selector::Name(_)) => true,
        Segment::Child(Selector::Names(names)) => names.len() == 1,
        Segment::Child(Selector::Indexes(indexes)) => indexes.len() == 1,
        _ => false,
    };
    if !path.segments.iter().all(single) {
        return Err(Frame::error("Err wrong static path"));
    }
    let Some((last, parent)) = path.segments.split_last() else {
        return Err(Frame::error("Err path must end with object key to set"));
    };
    let key = match last {
        Segment::Child(Selector::Name(name)) => name.clone(),
        Segment::Child(Selector::Names(names)) => names[0].clone(),
        _ => {
            // A missing array element cannot be created.
            return if select(doc, path).is_empty() {
                Err(Frame::error("ERR array index out of range"))
            } else {
                Ok(Plan::Nothing)
            };
        }
    };
    let parent = JsonPath {
        segments: parent.to_vec(),
    };
    let parents = owned_paths(&select(doc, &parent));
    Ok(Plan::Add { parents, key })
}

impl Plan {
    /// Whether writing `value` where this plan says keeps the document
    /// within the nesting limit.
    fn check_depth(&self, value: &Json) -> Result<(), Frame> {
        match self {
            Plan::Nothing => Ok(()),
            Plan::Update(paths) => paths.iter().try_for_each(|p| check_depth(p.len(), value)),
            Plan::Add { parents, .. } => parents
                .iter()
                .try_for_each(|p| check_depth(p.len() + 1, value)),
        }
    }
}

/// Carries out a plan; `update` writes one existing value. Returns
/// whether anything changed.
fn apply(doc: &mut Json, plan: Plan, value: &Json, update: fn(&mut Json, &Json)) -> bool {
    match plan {
        Plan::Nothing => false,
        Plan::Update(paths) => {
            let mut changed = false;
            for p in paths {
                if let Some(target) = get_mut(doc, &p) {
                    update(target, value);
                    changed = true;
                }
            }
            changed
        }
        Plan::Add { parents, key } => {
            let mut changed = false;
            for p in parents {
                if let Some(Json::Object(members)) = get_mut(doc, &p) {
                    if !members.contains_key(key.as_str()) {
                        members.insert(key.clone(), value.clone());
                        changed = true;
                    }
                }
            }
            changed
        }
    }
}

fn replace(target: &mut Json, value: &Json) {
    *target = value.clone();
}

/// A document argument: RedisJSON's parser errors are replied verbatim.
fn parse_value(arg: &[u8]) -> Result<Json, Frame> {
    parse(arg).map_err(verbatim)
}

pub fn set(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(set_reply(ctx, argv))
}

fn set_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let mut condition = Condition::None;
    let mut options = argv[4..].iter();
    while let Some(option) = options.next() {
        if is(option, "nx") && condition == Condition::None {
            condition = Condition::Absent;
        } else if is(option, "xx") && condition == Condition::None {
            condition = Condition::Present;
        } else if is(option, "format") {
            // Both text formats are JSON; RedisJSON's BSON input is not
            // supported here and is refused like an unknown format.
            match options.next().map(|f| &f[..]) {
                Some(b"STRING" | b"JSON") => {}
                Some(_) => return Err(Frame::error("ERR wrong format")),
                None => return Err(wrong_arity("json.set")),
            }
        } else {
            return Err(syntax_error());
        }
    }
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let exists = check_type(&mut db, key)?;
    let value = parse_value(&argv[3])?;
    if !exists {
        return match condition {
            Condition::Present => Ok(Frame::Null),
            _ if path.is_root() => {
                db.set(key, Value::Json(Box::new(value)), false);
                notify(&mut db, "json.set", key);
                Ok(Frame::ok())
            }
            _ => Err(new_objects_at_root()),
        };
    }
    let Some(doc) = write_doc(&mut db, key)? else {
        return Ok(Frame::Null);
    };
    let changed = if path.is_root() {
        if condition == Condition::Absent {
            false
        } else {
            *doc = value;
            true
        }
    } else {
        let compiled = compile(&path)?;
        let plan = plan(doc, &compiled, condition)?;
        plan.check_depth(&value)?;
        apply(doc, plan, &value, replace)
    };
    if changed {
        db.modified(key);
        notify(&mut db, "json.set", key);
        Ok(Frame::ok())
    } else {
        Ok(Frame::Null)
    }
}

pub fn merge(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(merge_reply(ctx, argv))
}

fn merge_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let exists = check_type(&mut db, key)?;
    let patch = parse_value(&argv[3])?;
    if !exists {
        // Nothing to merge with: the patch becomes the document as is.
        if !path.is_root() {
            return Err(new_objects_at_root());
        }
        db.set(key, Value::Json(Box::new(patch)), false);
        notify(&mut db, "json.merge", key);
        return Ok(Frame::ok());
    }
    let Some(doc) = write_doc(&mut db, key)? else {
        return Ok(Frame::Null);
    };
    let changed = if path.is_root() {
        merge_into(doc, &patch);
        true
    } else {
        let compiled = compile(&path)?;
        let plan = plan(doc, &compiled, Condition::None)?;
        plan.check_depth(&patch)?;
        apply(doc, plan, &patch, merge_into)
    };
    if changed {
        db.modified(key);
        notify(&mut db, "json.merge", key);
        Ok(Frame::ok())
    } else {
        Ok(Frame::Null)
    }
}

pub fn mset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(mset_reply(ctx, argv))
}

fn mset_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    // First every triplet is checked against the keyspace as it is
    // (types, paths, values); only then is anything written.
    let mut triplets = Vec::new();
    for chunk in argv[1..].chunks(3) {
        let key = &chunk[0];
        let exists = check_type(&mut db, key)?;
        let [_, path, value] = chunk else {
            return Err(wrong_arity("json.mset"));
        };
        let path = PathArg::new(path);
        let (compiled, planned) = if path.is_root() {
            (None, None)
        } else if exists {
            let compiled = compile(&path)?;
            let planned = match write_doc(&mut db, key)? {
                Some(doc) => Some(plan(doc, &compiled, Condition::None)?),
                None => None,
            };
            (Some(compiled), planned)
        } else {
            return Err(new_objects_at_root());
        };
        let value = parse_value(value)?;
        if let Some(planned) = planned {
            planned.check_depth(&value)?;
        }
        triplets.push((key, compiled, value));
    }
    for (key, compiled, value) in triplets {
        let changed = match (compiled, write_doc(&mut db, key)?) {
            (None, Some(doc)) => {
                *doc = value;
                true
            }
            (None, None) => {
                db.set(key, Value::Json(Box::new(value)), false);
                true
            }
            (Some(compiled), Some(doc)) => {
                // Planned again: earlier triplets may have changed the
                // document; a path they made unusable writes nothing.
                match plan(doc, &compiled, Condition::None) {
                    Ok(plan) if plan.check_depth(&value).is_ok() => {
                        apply(doc, plan, &value, replace)
                    }
                    _ => false,
                }
            }
            (Some(_), None) => continue,
        };
        db.modified(key);
        // One event per triplet that wrote, as RedisJSON raises them.
        if changed {
            notify(&mut db, "json.mset", key);
        }
    }
    Ok(Frame::ok())
}

pub fn del(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = argv
        .get(2)
        .map_or_else(PathArg::legacy_root, |p| PathArg::new(p));
    let key = &argv[1];
    let mut db = selected_db(ctx);
    flatten((|| {
        let Some(doc) = write_doc(&mut db, key)? else {
            return Ok(Frame::Integer(0));
        };
        if path.is_root() {
            db.remove(key);
            notify(&mut db, "json.del", key);
            return Ok(Frame::Integer(1));
        }
        let compiled = compile(&path)?;
        let targets = deletion_set(owned_paths(&select(doc, &compiled)));
        let deleted = targets.iter().filter(|p| remove(doc, p)).count();
        if deleted > 0 {
            db.modified(key);
            notify(&mut db, "json.del", key);
        }
        Ok(count(deleted))
    })())
}

pub fn toggle(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let Some(path) = argv.get(2).map(|p| PathArg::new(p)) else {
        return wrong_arity("json.toggle");
    };
    let key = &argv[1];
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
        let compiled = compile(&path)?;
        let found = select(doc, &compiled);
        let targets: Vec<Option<Vec<Seg>>> = found
            .iter()
            .map(|m| matches!(m.value, Json::Bool(_)).then(|| super::edit::owned(&m.path)))
            .collect();
        if path.legacy && targets.iter().all(Option::is_none) {
            return Err(path_missing_or(&path.text, "not a bool"));
        }
        let mut replies = Vec::with_capacity(targets.len());
        let mut last = false;
        for target in &targets {
            let flipped = target.as_ref().and_then(|p| match get_mut(doc, p) {
                Some(Json::Bool(b)) => {
                    *b = !*b;
                    Some(*b)
                }
                _ => None,
            });
            if let Some(b) = flipped {
                last = b;
            }
            replies.push(flipped.map_or(Frame::Null, |b| Frame::Integer(i64::from(b))));
        }
        if targets.iter().any(Option::is_some) {
            db.modified(key);
            notify(&mut db, "json.toggle", key);
        }
        Ok(if path.legacy {
            bulk(last.to_string())
        } else {
            Frame::Array(replies)
        })
    })())
}

pub fn clear(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    // Only the first path counts (RedisJSON accepts and ignores others).
    let path = argv
        .get(2)
        .map_or_else(|| PathArg::new(b"$"), |p| PathArg::new(p));
    let key = &argv[1];
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
        let compiled = compile(&path)?;
        let targets: Vec<Vec<Seg>> = select(doc, &compiled)
            .iter()
            .filter(|m| match m.value {
                Json::Array(a) => !a.is_empty(),
                Json::Object(o) => !o.is_empty(),
                Json::Int(n) => *n != 0,
                Json::UInt(_) => true,
                Json::Float(f) => *f != 0.0,
                _ => false,
            })
            .map(|m| super::edit::owned(&m.path))
            .collect();
        // In match order: clearing a container first leaves nothing of
        // its matched descendants to clear.
        let mut cleared = 0;
        for p in &targets {
            match get_mut(doc, p) {
                Some(Json::Array(a)) => a.clear(),
                Some(Json::Object(o)) => o.clear(),
                Some(n) if n.is_number() => *n = Json::Int(0),
                _ => continue,
            }
            cleared += 1;
        }
        if cleared > 0 {
            db.modified(key);
            notify(&mut db, "json.clear", key);
        }
        Ok(count(cleared))
    })())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumOp {
    Add,
    Mul,
}

pub fn numincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(num_op(ctx, argv, NumOp::Add))
}

pub fn nummultby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(num_op(ctx, argv, NumOp::Mul))
}

/// The operand of NUMINCRBY / NUMMULTBY: a JSON number.
fn operand(arg: &[u8]) -> Result<Json, Frame> {
    let value = parse_strict(arg).map_err(|e| sdk_error(&e))?;
    if value.is_number() {
        Ok(value)
    } else {
        Err(Frame::error("bad input number"))
    }
}

/// One arithmetic step: integers stay integers when both sides are
/// integers, anything else is computed and stored as a float.
fn compute(current: &Json, by: &Json, op: NumOp) -> Result<Json, Frame> {
    if let (Json::Int(a), Json::Int(b)) = (current, by) {
        let result = match op {
            NumOp::Add => a.checked_add(*b),
            NumOp::Mul => a.checked_mul(*b),
        };
        return result
            .map(Json::Int)
            .ok_or_else(|| Frame::error("ERR numeric overflow"));
    }
    let (a, b) = (current.as_f64().unwrap_or(0.0), by.as_f64().unwrap_or(0.0));
    let result = match op {
        NumOp::Add => a + b,
        NumOp::Mul => a * b,
    };
    if result.is_finite() {
        Ok(Json::Float(result))
    } else {
        Err(Frame::error("ERR result is not a number"))
    }
}

fn num_op(ctx: &mut Ctx<'_>, argv: &[Bytes], op: NumOp) -> Reply {
    let path = PathArg::new(&argv[2]);
    let resp3 = resp3(ctx);
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
    let compiled = compile(&path)?;
    let found = select(doc, &compiled);
    if path.legacy && !found.iter().any(|m| m.value.is_number()) {
        return Err(path_missing_or(&path.text, "does not contains a number"));
    }
    // Results first (the operand is only read when there is a number to
    // apply it to), writes after, so an error changes nothing.
    let mut by = None;
    let mut results: Vec<Option<(Vec<Seg>, Json)>> = Vec::with_capacity(found.len());
    for m in &found {
        if !m.value.is_number() {
            results.push(None);
            continue;
        }
        if by.is_none() {
            by = Some(operand(&argv[3])?);
        }
        let by = by.as_ref().unwrap_or(&Json::Null);
        results.push(Some((
            super::edit::owned(&m.path),
            compute(m.value, by, op)?,
        )));
    }
    let mut changed = false;
    for (p, value) in results.iter().flatten() {
        if let Some(target) = get_mut(doc, p) {
            *target = value.clone();
            changed = true;
        }
    }
    if changed {
        db.modified(key);
        notify(
            &mut db,
            match op {
                NumOp::Add => "json.numincrby",
                NumOp::Mul => "json.nummultby",
            },
            key,
        );
    }
    let numbers: Vec<Option<&Json>> = results.iter().map(|r| r.as_ref().map(|(_, v)| v)).collect();
    if resp3 {
        return Ok(Frame::Array(
            numbers
                .iter()
                .map(|n| match n {
                    Some(Json::Int(i)) => Frame::Integer(*i),
                    Some(v) => Frame::Double(v.as_f64().unwrap_or(0.0)),
                    None => Frame::Null,
                })
                .collect(),
        ));
    }
    if path.legacy {
        let last = numbers
            .iter()
            .flatten()
            .last()
            .copied()
            .unwrap_or(&Json::Null);
        return Ok(bulk(number_text(last)));
    }
    let items: Vec<String> = numbers
        .iter()
        .map(|n| n.map_or_else(|| "null".to_owned(), number_text))
        .collect();
    Ok(bulk(format!("[{}]", items.join(","))))
}

fn number_text(value: &Json) -> String {
    match value {
        Json::Float(f) => float_text(*f),
        other => to_text(other),
    }
}

pub fn strappend(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    // `JSON.STRAPPEND key value` appends at the root.
    let (path, suffix) = match argv.get(3) {
        Some(value) => (PathArg::new(&argv[2]), value),
        None => (PathArg::legacy_root(), &argv[2]),
    };
    let key = &argv[1];
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = write_doc(&mut db, key)?.ok_or_else(no_such_key)?;
        let compiled = compile(&path)?;
        let found = select(doc, &compiled);
        let targets: Vec<Option<Vec<Seg>>> = found
            .iter()
            .map(|m| matches!(m.value, Json::Str(_)).then(|| super::edit::owned(&m.path)))
            .collect();
        if targets.iter().all(Option::is_none) {
            if path.legacy {
                return Err(path_missing_or(&path.text, "not a string"));
            }
            return Ok(Frame::Array(vec![Frame::Null; targets.len()]));
        }
        let suffix = match parse_strict(suffix).map_err(|e| sdk_error(&e))? {
            Json::Str(s) => s,
            _ => {
                return Err(expected("string", &String::from_utf8_lossy(suffix)));
            }
        };
        let mut replies = Vec::with_capacity(targets.len());
        let mut last = 0;
        for target in &targets {
            let len = target.as_ref().and_then(|p| match get_mut(doc, p) {
                Some(Json::Str(s)) => {
                    s.push_str(&suffix);
                    Some(s.len())
                }
                _ => None,
            });
            if let Some(n) = len {
                last = n;
            }
            replies.push(len.map_or(Frame::Null, count));
        }
        db.modified(key);
        notify(&mut db, "json.strappend", key);
        Ok(if path.legacy {
            count(last)
        } else {
            Frame::Array(replies)
        })
    })())
}
