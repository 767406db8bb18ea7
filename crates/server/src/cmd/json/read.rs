//! The reading commands: GET, MGET, TYPE, STRLEN, OBJKEYS, OBJLEN,
//! ARRLEN, ARRINDEX, RESP, DEBUG MEMORY / HELP.

use super::doc::{parse_strict, Json};
use super::eval::values;
use super::format::{array_text, paths_object_text, to_text, to_text_with, Layout, PathValues};
use super::path::{JsonPath, PathArg};
use super::read_doc;
use super::reply::{
    bulk, expected, memory, no_such_key, not_an_integer, path_missing, path_missing_or,
    resp3_value, resp_form, sdk_error, verbatim,
};
use crate::cmd::args::is;
use crate::cmd::reply::{count, flatten, selected_db, wrong_arity, Reply};
use crate::cmd::Ctx;
use crate::db::canonical_i64;
use bytes::Bytes;
use moat_resp::{Frame, Protocol};

/// The JSONPath of a path argument, or RedisJSON's parse error.
pub(super) fn compile(path: &PathArg) -> Result<JsonPath, Frame> {
    path.compile().map_err(verbatim)
}

pub(super) fn resp3(ctx: &Ctx<'_>) -> bool {
    ctx.client.protocol == Protocol::Resp3
}

/// The first match of a legacy path, or `ERR Path '$.x' does not exist`
/// (quoting the rewritten path, as RedisJSON does).
fn first<'a>(doc: &'a Json, path: &PathArg) -> Result<&'a Json, Frame> {
    let compiled = compile(path)?;
    values(doc, &compiled)
        .into_iter()
        .next()
        .ok_or_else(|| path_missing(&path.text))
}

/// The optional path argument at `argv[2]`, `.` when absent.
fn optional_path(argv: &[Bytes]) -> PathArg {
    argv.get(2)
        .map_or_else(PathArg::legacy_root, |p| PathArg::new(p))
}

/// `JSON.GET`'s reply format (FORMAT only matters over RESP3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GetFormat {
    String,
    Json,
}

pub fn get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(get_reply(ctx, argv))
}

fn get_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut layout = Layout::default();
    let mut format = GetFormat::String;
    let mut paths = Vec::new();
    let mut args = argv[2..].iter();
    let text = |arg: Option<&Bytes>| {
        arg.map(|a| String::from_utf8_lossy(a).into_owned())
            .ok_or_else(|| wrong_arity("json.get"))
    };
    while let Some(arg) = args.next() {
        // Arguments longer than any option name are paths (RedisJSON's
        // shortcut, observable for a path spelled like an option).
        if arg.len() > "NOESCAPE".len() {
            paths.push(PathArg::new(arg));
        } else if is(arg, "format") {
            format = match text(args.next())?.as_str() {
                "STRING" => GetFormat::String,
                "JSON" | "BSON" => GetFormat::Json,
                _ => return Err(Frame::error("ERR wrong format")),
            };
        } else if is(arg, "indent") {
            layout.indent = Some(text(args.next())?);
        } else if is(arg, "newline") {
            layout.newline = Some(text(args.next())?);
        } else if is(arg, "space") {
            layout.space = Some(text(args.next())?);
        } else if is(arg, "noescape") {
            // Accepted and ignored, for RedisJSON 1.0 clients.
        } else {
            paths.push(PathArg::new(arg));
        }
    }
    if paths.is_empty() {
        paths.push(PathArg::legacy_root());
    }
    let resp3_reply = resp3(ctx) && format != GetFormat::String;
    let mut db = selected_db(ctx);
    let Some(doc) = read_doc(&mut db, &argv[1])? else {
        return Ok(Frame::Null);
    };
    if resp3_reply {
        // One array per path; a path that does not parse answers none.
        let per_path = paths
            .iter()
            .map(|p| match p.compile() {
                Ok(compiled) => Frame::Array(
                    values(doc, &compiled)
                        .into_iter()
                        .map(|v| resp3_value(v, &layout))
                        .collect(),
                ),
                Err(_) => Frame::Array(Vec::new()),
            })
            .collect();
        return Ok(Frame::Array(per_path));
    }
    let all_legacy = paths.iter().all(|p| p.legacy);
    if let [only] = paths.as_slice() {
        let compiled = compile(only)?;
        let found = values(doc, &compiled);
        return if all_legacy {
            let value = found.first().ok_or_else(|| path_missing(&only.text))?;
            Ok(bulk(to_text_with(value, &layout)))
        } else {
            Ok(bulk(array_text(&found, &layout)))
        };
    }
    // Several paths: an object keyed by path as written. Paths that do
    // not parse are left out; a repeated path appears once.
    let mut members: Vec<(String, PathValues<'_>)> = Vec::new();
    for p in &paths {
        let Ok(compiled) = p.compile() else { continue };
        let found = values(doc, &compiled);
        let entry = if all_legacy {
            match found.first() {
                Some(v) => PathValues::One(v),
                None => return Err(path_missing(&p.original)),
            }
        } else {
            PathValues::Many(found)
        };
        match members.iter_mut().find(|(name, _)| *name == p.original) {
            Some(slot) => slot.1 = entry,
            None => members.push((p.original.clone(), entry)),
        }
    }
    Ok(bulk(paths_object_text(&members, &layout)))
}

pub fn mget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = PathArg::new(&argv[argv.len() - 1]);
    let compiled = path.compile().ok();
    let mut db = selected_db(ctx);
    let replies = argv[1..argv.len() - 1]
        .iter()
        .map(|key| {
            // Every per-key problem (wrong type, bad path, no match) is nil.
            let (Ok(Some(doc)), Some(compiled)) = (read_doc(&mut db, key), compiled.as_ref())
            else {
                return Frame::Null;
            };
            let found = values(doc, compiled);
            if path.legacy {
                found.first().map_or(Frame::Null, |v| bulk(to_text(v)))
            } else {
                bulk(array_text(&found, &Layout::default()))
            }
        })
        .collect();
    Frame::Array(replies)
}

pub fn type_of(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(type_reply(ctx, argv))
}

fn type_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = optional_path(argv);
    let wrap = resp3(ctx);
    let mut db = selected_db(ctx);
    let doc = read_doc(&mut db, &argv[1])?;
    let reply = match doc {
        None => Frame::Null,
        Some(doc) if path.legacy => {
            // A legacy path that does not parse or match is nil.
            path.compile()
                .ok()
                .and_then(|c| values(doc, &c).first().map(|v| v.type_name()))
                .map_or(Frame::Null, |name| bulk(name.to_owned()))
        }
        Some(doc) => {
            let compiled = compile(&path)?;
            Frame::Array(
                values(doc, &compiled)
                    .into_iter()
                    .map(|v| bulk(v.type_name().to_owned()))
                    .collect(),
            )
        }
    };
    // Over RESP3 RedisJSON wraps the reply in one more array.
    Ok(if wrap {
        Frame::Array(vec![reply])
    } else {
        reply
    })
}

pub fn strlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = optional_path(argv);
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = read_doc(&mut db, &argv[1])?;
        if path.legacy {
            let Some(doc) = doc else {
                return Ok(Frame::Null);
            };
            return match first(doc, &path)? {
                Json::Str(s) => Ok(count(s.len())),
                other => Err(expected("string", other.type_name())),
            };
        }
        let doc = doc.ok_or_else(no_such_key)?;
        let compiled = compile(&path)?;
        Ok(per_match(doc, &compiled, |v| match v {
            Json::Str(s) => count(s.len()),
            _ => Frame::Null,
        }))
    })())
}

/// One reply per match of a JSONPath.
fn per_match(doc: &Json, path: &JsonPath, f: impl Fn(&Json) -> Frame) -> Frame {
    Frame::Array(values(doc, path).into_iter().map(f).collect())
}

fn keys_of(v: &Json) -> Option<Frame> {
    match v {
        Json::Object(members) => Some(Frame::Array(
            members
                .keys()
                .map(|k| Frame::Bulk(Bytes::copy_from_slice(k.as_bytes())))
                .collect(),
        )),
        _ => None,
    }
}

pub fn objkeys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = optional_path(argv);
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = read_doc(&mut db, &argv[1])?;
        if path.legacy {
            let Some(doc) = doc else {
                return Ok(Frame::Null);
            };
            let Some(value) = path
                .compile()
                .ok()
                .and_then(|c| values(doc, &c).into_iter().next())
            else {
                return Ok(Frame::Null);
            };
            return keys_of(value).ok_or_else(|| path_missing_or(&path.text, "not an object"));
        }
        let doc = doc.ok_or_else(no_such_key)?;
        let compiled = compile(&path)?;
        Ok(per_match(doc, &compiled, |v| {
            keys_of(v).unwrap_or(Frame::Null)
        }))
    })())
}

pub fn objlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = optional_path(argv);
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = read_doc(&mut db, &argv[1])?;
        if path.legacy {
            let Some(doc) = doc else {
                return Ok(Frame::Null);
            };
            let Some(value) = path
                .compile()
                .ok()
                .and_then(|c| values(doc, &c).into_iter().next())
            else {
                return Ok(Frame::Null);
            };
            return match value {
                Json::Object(members) => Ok(count(members.len())),
                other => Err(expected("object", other.type_name())),
            };
        }
        let doc = doc.ok_or_else(|| path_missing_or(&path.text, "not an object"))?;
        let compiled = compile(&path)?;
        Ok(per_match(doc, &compiled, |v| match v {
            Json::Object(members) => count(members.len()),
            _ => Frame::Null,
        }))
    })())
}

pub fn arrlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = optional_path(argv);
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = match read_doc(&mut db, &argv[1])? {
            Some(doc) => doc,
            None if path.legacy => return Ok(Frame::Null),
            None => return Err(no_such_key()),
        };
        let compiled = compile(&path)?;
        let found = values(doc, &compiled);
        if path.legacy {
            return match found.first() {
                None => Err(path_missing(&path.original)),
                Some(Json::Array(items)) => Ok(count(items.len())),
                Some(_) => Err(path_missing_or(&path.original, "not an array")),
            };
        }
        Ok(Frame::Array(
            found
                .into_iter()
                .map(|v| match v {
                    Json::Array(items) => count(items.len()),
                    _ => Frame::Null,
                })
                .collect(),
        ))
    })())
}

/// ARRINDEX's search in one value: the index, -1, or `None` when the
/// value is not an array. `stop` 0 means the end; both bounds clamp.
fn index_in(value: &Json, wanted: &Json, start: i64, stop: i64) -> Option<i64> {
    let Json::Array(items) = value else {
        return None;
    };
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    if len == 0 {
        return Some(-1);
    }
    let start = super::edit::clamp_start(start, len);
    let stop = match stop {
        0 => len,
        s if s < 0 => 0.max(len + s),
        s => s.min(len),
    };
    Some(
        (start..stop)
            .find(|&i| items[i as usize].strict_eq(wanted))
            .unwrap_or(-1),
    )
}

pub fn arrindex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    flatten(arrindex_reply(ctx, argv))
}

fn arrindex_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let path = PathArg::new(&argv[2]);
    let bound = |i: usize| {
        argv.get(i)
            .map_or(Ok(0), |a| canonical_i64(a).ok_or_else(not_an_integer))
    };
    let start = bound(4)?;
    let stop = bound(5)?;
    if argv.len() > 6 {
        return Err(wrong_arity("json.arrindex"));
    }
    let wanted = parse_strict(&argv[3]).map_err(|e| sdk_error(&e))?;
    let mut db = selected_db(ctx);
    let doc = read_doc(&mut db, &argv[1])?.ok_or_else(|| path_missing(&path.original))?;
    if path.legacy {
        let value = first(doc, &path)?;
        return index_in(value, &wanted, start, stop)
            .map(Frame::Integer)
            .ok_or_else(|| expected("array", value.type_name()));
    }
    let compiled = compile(&path)?;
    Ok(per_match(doc, &compiled, |v| {
        index_in(v, &wanted, start, stop).map_or(Frame::Null, Frame::Integer)
    }))
}

pub fn resp(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = optional_path(argv);
    let mut db = selected_db(ctx);
    flatten((|| {
        let Some(doc) = read_doc(&mut db, &argv[1])? else {
            return Ok(Frame::Null);
        };
        if path.legacy {
            return Ok(resp_form(first(doc, &path)?));
        }
        let compiled = compile(&path)?;
        Ok(per_match(doc, &compiled, resp_form))
    })())
}

pub fn debug_memory(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Frame {
    let path = argv
        .get(3)
        .map_or_else(PathArg::legacy_root, |p| PathArg::new(p));
    let mut db = selected_db(ctx);
    flatten((|| {
        let doc = read_doc(&mut db, &argv[2])?;
        if path.legacy {
            return Ok(match doc {
                None => Frame::Integer(0),
                Some(doc) => count(memory(first(doc, &path)?)),
            });
        }
        let Some(doc) = doc else {
            return Ok(Frame::Array(Vec::new()));
        };
        let compiled = compile(&path)?;
        Ok(per_match(doc, &compiled, |v| count(memory(v))))
    })())
}

pub fn debug_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Frame {
    Frame::Array(vec![
        bulk("MEMORY <key> [path] - reports memory usage".to_owned()),
        bulk("HELP                - this message".to_owned()),
    ])
}
