//! Hash commands, following Redis 7.2's `t_hash.c`: the order in which
//! arguments are validated and keys looked up, the error texts, and the
//! listpack-to-hashtable conversion points.

use super::args::not_a_float;
use super::args::parse_i64;
use super::collection::{
    bulk, edited_notify, existing, existing_or_new, rand_count_with, sample_in_order, scan_cursor,
    scan_options, scan_reply,
};
use super::reply::{count, flag, flatten, selected_db, wrong_arity, Reply};
use super::{Ctx, Handler};
use crate::db::{word, Access, DbView, HashValue, Value};
use crate::long_double::LongDouble;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("hset", |ctx, argv| flatten(hset(ctx, argv, false))),
    ("hmset", |ctx, argv| flatten(hset(ctx, argv, true))),
    ("hsetnx", |ctx, argv| flatten(hsetnx(ctx, argv))),
    ("hget", |ctx, argv| flatten(hget(ctx, argv))),
    ("hmget", |ctx, argv| flatten(hmget(ctx, argv))),
    ("hdel", |ctx, argv| flatten(hdel(ctx, argv))),
    ("hlen", |ctx, argv| flatten(hlen(ctx, argv))),
    ("hstrlen", |ctx, argv| flatten(hstrlen(ctx, argv))),
    ("hexists", |ctx, argv| flatten(hexists(ctx, argv))),
    ("hincrby", |ctx, argv| flatten(hincrby(ctx, argv))),
    ("hincrbyfloat", |ctx, argv| flatten(hincrbyfloat(ctx, argv))),
    ("hkeys", |ctx, argv| flatten(hgetall(ctx, argv, Part::Keys))),
    ("hvals", |ctx, argv| {
        flatten(hgetall(ctx, argv, Part::Values))
    }),
    ("hgetall", |ctx, argv| {
        flatten(hgetall(ctx, argv, Part::Both))
    }),
    ("hrandfield", |ctx, argv| flatten(hrandfield(ctx, argv))),
    ("hscan", |ctx, argv| flatten(hscan(ctx, argv))),
];

fn pick(value: &mut Value) -> Option<&mut HashValue> {
    value.as_hash_mut()
}

fn new_hash() -> Value {
    Value::Hash(HashValue::default())
}

fn read<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v mut HashValue>, Frame> {
    existing(db, key, Access::Read, pick)
}

fn hset(ctx: &mut Ctx<'_>, argv: &[Bytes], legacy: bool) -> Reply {
    if argv.len() % 2 == 1 {
        return Err(wrong_arity(if legacy { "hmset" } else { "hset" }));
    }
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let hash = existing_or_new(&mut db, key, pick, new_hash)?;
    let pairs = &argv[2..];
    if pairs.len() / 2 > limits.hash_max_listpack_entries {
        hash.prepare_for([usize::MAX], &limits);
    }
    hash.prepare_for(pairs.iter().map(Bytes::len), &limits);
    let added = pairs
        .chunks_exact(2)
        .filter(|pair| hash.insert(&pair[0], &pair[1], &limits))
        .count();
    db.modified(key);
    db.notify(NotifyFlags::HASH, "hset", key);
    // A change per field given, new or not, the same value or not.
    db.count_changes(pairs.len() / 2);
    Ok(if legacy { Frame::ok() } else { count(added) })
}

fn hsetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let hash = existing_or_new(&mut db, key, pick, new_hash)?;
    if hash.contains(&argv[2]) {
        return Ok(Frame::Integer(0));
    }
    hash.insert(&argv[2], &argv[3], &limits);
    db.modified(key);
    db.notify(NotifyFlags::HASH, "hset", key);
    Ok(Frame::Integer(1))
}

fn hget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(read(&mut db, &argv[1])?
        .and_then(|h| h.get(&argv[2]))
        .map_or(Frame::Null, bulk))
}

fn hmget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let hash = read(&mut db, &argv[1])?;
    let hash = hash.as_deref();
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|field| hash.and_then(|h| h.get(field)).map_or(Frame::Null, bulk))
            .collect(),
    ))
}

fn hdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(hash) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    let mut deleted = 0;
    for field in &argv[2..] {
        if hash.remove(field) {
            deleted += 1;
            if hash.is_empty() {
                break;
            }
        }
    }
    let empty = hash.is_empty();
    if deleted > 0 {
        edited_notify(&mut db, key, empty, NotifyFlags::HASH, "hdel");
    }
    db.count_changes(deleted);
    Ok(count(deleted))
}

fn hlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(read(&mut db, &argv[1])?.map_or(0, |h| h.len())))
}

fn hstrlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(
        read(&mut db, &argv[1])?
            .and_then(|h| h.get(&argv[2]))
            .map_or(0, <[u8]>::len),
    ))
}

fn hexists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(flag(
        read(&mut db, &argv[1])?.is_some_and(|h| h.contains(&argv[2])),
    ))
}

fn hincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let increment = parse_i64(&argv[3])?;
    let limits = ctx.ks.thresholds;
    let (key, field) = (&argv[1][..], &argv[2][..]);
    let mut db = selected_db(ctx);
    let hash = existing_or_new(&mut db, key, pick, new_hash)?;
    let current = match hash.get(field) {
        Some(text) => crate::db::canonical_i64(text)
            .ok_or_else(|| Frame::error("ERR hash value is not an integer"))?,
        None => 0,
    };
    let result = current
        .checked_add(increment)
        .ok_or_else(|| Frame::error("ERR increment or decrement would overflow"))?;
    hash.insert(field, result.to_string().as_bytes(), &limits);
    db.modified(key);
    db.notify(NotifyFlags::HASH, "hincrby", key);
    Ok(Frame::Integer(result))
}

fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let increment = LongDouble::parse(&argv[3]).ok_or_else(not_a_float)?;
    if !increment.is_finite() {
        return Err(Frame::error("ERR value is NaN or Infinity"));
    }
    let limits = ctx.ks.thresholds;
    let (key, field) = (&argv[1][..], &argv[2][..]);
    let mut db = selected_db(ctx);
    let hash = existing_or_new(&mut db, key, pick, new_hash)?;
    let current = match hash.get(field) {
        Some(text) => {
            LongDouble::parse(text).ok_or_else(|| Frame::error("ERR hash value is not a float"))?
        }
        None => LongDouble::from_i64(0),
    };
    let text = current
        .checked_add(increment)
        .and_then(|sum| sum.to_human())
        .ok_or_else(|| Frame::error("ERR increment would produce NaN or Infinity"))?;
    hash.insert(field, text.as_bytes(), &limits);
    db.modified(key);
    db.notify(NotifyFlags::HASH, "hincrbyfloat", key);
    let text = Bytes::from(text);
    db.propagate_as(vec![
        word("HSET"),
        argv[1].clone(),
        argv[2].clone(),
        text.clone(),
    ]);
    Ok(Frame::Bulk(text))
}

/// What HKEYS, HVALS and HGETALL return.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Keys,
    Values,
    Both,
}

fn hgetall(ctx: &mut Ctx<'_>, argv: &[Bytes], part: Part) -> Reply {
    let mut db = selected_db(ctx);
    let hash = read(&mut db, &argv[1])?;
    let pairs = hash.iter().flat_map(|h| h.iter());
    Ok(match part {
        Part::Keys => Frame::Array(pairs.map(|(f, _)| bulk(f)).collect()),
        Part::Values => Frame::Array(pairs.map(|(_, v)| bulk(v)).collect()),
        Part::Both => Frame::Map(pairs.map(|(f, v)| (bulk(f), bulk(v))).collect()),
    })
}

fn hrandfield(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let resp3 = ctx.client.protocol == moat_resp::Protocol::Resp3;
    if argv.len() >= 3 {
        let (n, with_values) = rand_count_with(argv, "withvalues")?;
        let mut db = selected_db(ctx);
        let Some(hash) = read(&mut db, &argv[1])? else {
            return Ok(Frame::Array(Vec::new()));
        };
        return Ok(random_fields(hash, n, with_values, resp3));
    }
    let mut db = selected_db(ctx);
    let Some(hash) = read(&mut db, &argv[1])? else {
        return Ok(Frame::Null);
    };
    Ok(hash
        .random(&mut rand::thread_rng())
        .map_or(Frame::Null, |(f, _)| bulk(f)))
}

/// HRANDFIELD with a count, by Redis's cases: a negative count (or 1)
/// samples with repetition, a count at least the size returns the whole
/// hash, anything else distinct fields.
fn random_fields(hash: &HashValue, n: i64, with_values: bool, resp3: bool) -> Frame {
    let render = |pairs: Vec<(&[u8], &[u8])>| {
        let mut out = Vec::with_capacity(pairs.len() * 2);
        for (f, v) in pairs {
            match (with_values, resp3) {
                (false, _) => out.push(bulk(f)),
                (true, false) => {
                    out.push(bulk(f));
                    out.push(bulk(v));
                }
                (true, true) => out.push(Frame::Array(vec![bulk(f), bulk(v)])),
            }
        }
        Frame::Array(out)
    };
    let wanted = n.unsigned_abs();
    if wanted == 0 {
        return Frame::Array(Vec::new());
    }
    let mut rng = rand::thread_rng();
    if n < 0 || wanted == 1 {
        let mut picked = Vec::new();
        for _ in 0..wanted {
            match hash.random(&mut rng) {
                Some(pair) => picked.push(pair),
                None => break,
            }
        }
        return render(picked);
    }
    let size = hash.len();
    if wanted >= size as u64 {
        return render(hash.iter().collect());
    }
    let wanted = wanted as usize;
    let all: Vec<(&[u8], &[u8])> = hash.iter().collect();
    let all = sample_in_order(all, wanted, &mut rng);
    render(all)
}

fn hscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let cursor = scan_cursor(&argv[2])?;
    let mut db = selected_db(ctx);
    let Some(hash) = read(&mut db, &argv[1])? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let options = scan_options(&argv[3..])?;
    let mut found = Vec::new();
    let next = hash.scan(cursor, options.count, |f, v| {
        if options.wants(f) {
            found.push(bulk(f));
            found.push(bulk(v));
        }
    });
    Ok(scan_reply(next, found))
}

#[cfg(test)]
mod tests;
