//! Geo commands over sorted sets, following Redis 7.2's `geo.c`: a
//! position is stored as its 52-bit geohash score ([`hash`]), GEOADD is
//! ZADD with computed scores, and the searches ([`search`]) scan the
//! score ranges of nine cells.

pub mod hash;
mod search;

use super::args::is;
use super::collection::existing;
use super::reply::{flatten, selected_db, syntax_error, Reply};
use super::{Ctx, Handler};
use crate::cmd::zset::parse::parse_score_text;
use crate::db::{Access, AddFlags, ZSetValue};
use bytes::Bytes;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("geoadd", |ctx, argv| flatten(geoadd(ctx, argv))),
    ("geopos", |ctx, argv| flatten(geopos(ctx, argv))),
    ("geodist", |ctx, argv| flatten(geodist(ctx, argv))),
    ("geohash", |ctx, argv| flatten(geohash(ctx, argv))),
    ("georadius", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEORADIUS))
    }),
    ("georadius_ro", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEORADIUS_RO))
    }),
    ("georadiusbymember", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEORADIUSBYMEMBER))
    }),
    ("georadiusbymember_ro", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEORADIUSBYMEMBER_RO))
    }),
    ("geosearch", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEOSEARCH))
    }),
    ("geosearchstore", |ctx, argv| {
        flatten(search::run(ctx, argv, search::Form::GEOSEARCHSTORE))
    }),
];

/// A double argument as `getDoubleFromObjectOrReply` reads it, with
/// `message` (or Redis's default) as the error.
fn parse_double(arg: &[u8], message: Option<&str>) -> Result<f64, Frame> {
    parse_score_text(arg)
        .ok_or_else(|| Frame::error(message.unwrap_or("ERR value is not a valid float")))
}

/// `extractLongLatOrReply`: a longitude and a latitude within the
/// ranges a score can encode.
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Frame> {
    let (lon, lat) = (parse_double(lon, None)?, parse_double(lat, None)?);
    if !hash::valid_coordinates(lon, lat) {
        return Err(Frame::error(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// `extractUnitOrReply`: metres per unit.
fn parse_unit(arg: &[u8]) -> Result<f64, Frame> {
    if is(arg, "m") {
        Ok(1.0)
    } else if is(arg, "km") {
        Ok(1000.0)
    } else if is(arg, "ft") {
        Ok(0.3048)
    } else if is(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(Frame::error(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// A distance as Redis 7.2 prints it (`fixedpoint_d2string` with four
/// decimals: the value times 10^4 rounded half to even, as `llrint`).
pub fn distance_text(distance: f64) -> String {
    if distance == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = (distance * 10_000.0).round_ties_even() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let magnitude = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", magnitude / 10_000, magnitude % 10_000)
}

fn distance_reply(distance: f64) -> Frame {
    Frame::Bulk(Bytes::from(distance_text(distance)))
}

/// A coordinate as `addReplyHumanLongDouble` sends it.
fn coordinate_reply(value: f64) -> Frame {
    Frame::DoubleText(Bytes::from(hash::human_coordinate(value)))
}

fn read<'v>(
    db: &'v mut crate::db::DbView<'_>,
    key: &[u8],
) -> Result<Option<&'v mut ZSetValue>, Frame> {
    existing(db, key, Access::Read, |v| v.as_zset_mut())
}

/// GEOADD key [NX|XX] [CH] lon lat member...: the positions become
/// scores and ZADD does the rest (replies, flags, WRONGTYPE).
fn geoadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < argv.len() {
        let opt = &argv[first];
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if !is(opt, "ch") {
            break;
        }
        first += 1;
    }
    if !(argv.len() - first).is_multiple_of(3) || (nx && xx) {
        return Err(syntax_error());
    }
    let mut zadd_argv: Vec<Bytes> = Vec::with_capacity(first + (argv.len() - first) / 3 * 2);
    zadd_argv.push(Bytes::from_static(b"zadd"));
    zadd_argv.extend(argv[1..first].iter().cloned());
    for triple in argv[first..].chunks_exact(3) {
        let (lon, lat) = parse_lon_lat(&triple[0], &triple[1])?;
        // Valid coordinates always have a score.
        let score = hash::score_of(lon, lat).unwrap_or(0.0);
        zadd_argv.push(Bytes::from((score as u64).to_string()));
        zadd_argv.push(triple[2].clone());
    }
    let dirty = ctx.ks.dirty;
    let reply = crate::cmd::zset::zadd(ctx, &zadd_argv, AddFlags::default(), 2);
    // Redis propagates GEOADD as the ZADD it ran.
    if ctx.ks.dirty != dirty {
        let mut db = selected_db(ctx);
        if db.propagating() {
            db.propagate_as(zadd_argv);
        }
    }
    reply
}

/// GEOPOS key member...
fn geopos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let zset = read(&mut db, &argv[1])?;
    let zset = zset.as_deref();
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|member| {
                match zset
                    .and_then(|z| z.score(member))
                    .and_then(hash::position_of)
                {
                    None => Frame::NullArray,
                    Some((lon, lat)) => {
                        Frame::Array(vec![coordinate_reply(lon), coordinate_reply(lat)])
                    }
                }
            })
            .collect(),
    ))
}

/// GEODIST key member member [unit]
fn geodist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let to_meters = match argv.len() {
        5 => parse_unit(&argv[4])?,
        n if n > 5 => return Err(syntax_error()),
        _ => 1.0,
    };
    let mut db = selected_db(ctx);
    let Some(zset) = read(&mut db, &argv[1])? else {
        return Ok(Frame::Null);
    };
    let position = |member: &[u8]| zset.score(member).and_then(hash::position_of);
    match (position(&argv[2]), position(&argv[3])) {
        (Some((lon1, lat1)), Some((lon2, lat2))) => Ok(distance_reply(
            hash::distance(lon1, lat1, lon2, lat2) / to_meters,
        )),
        _ => Ok(Frame::Null),
    }
}

/// GEOHASH key member...
fn geohash(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let zset = read(&mut db, &argv[1])?;
    let zset = zset.as_deref();
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|member| {
                zset.and_then(|z| z.score(member))
                    .and_then(hash::geohash_string)
                    .map_or(Frame::Null, |text| Frame::Bulk(Bytes::from(text)))
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests;
