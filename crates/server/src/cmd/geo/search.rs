//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO
//! forms: Redis's `georadiusGeneric`, with its argument order, its
//! checks in its order, the nine-cell scan ([`Search::score_ranges`]),
//! COUNT [ANY] and the STORE/STOREDIST results.

use super::hash::{Search, Shape};
use super::{coordinate_reply, distance_reply, parse_double, parse_lon_lat, parse_unit, read};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::pqsort::pqsort;
use crate::cmd::reply::{count, selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::{ScoreBound, ScoreRange, Value, ZSetValue};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;
use std::cmp::Ordering;

/// Where the centre comes from and what may be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    centre: Centre,
    /// The _RO forms: no STORE/STOREDIST.
    no_store: bool,
    /// GEOSEARCHSTORE: the destination is argv[1].
    search_store: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Centre {
    /// GEORADIUS: `lon lat radius unit` fixed arguments.
    Coordinates,
    /// GEORADIUSBYMEMBER: `member radius unit` fixed arguments.
    Member,
    /// GEOSEARCH(STORE): FROM*/BY* options.
    Options,
}

impl Form {
    pub const GEORADIUS: Form = Form {
        centre: Centre::Coordinates,
        no_store: false,
        search_store: false,
    };
    pub const GEORADIUS_RO: Form = Form {
        no_store: true,
        ..Form::GEORADIUS
    };
    pub const GEORADIUSBYMEMBER: Form = Form {
        centre: Centre::Member,
        no_store: false,
        search_store: false,
    };
    pub const GEORADIUSBYMEMBER_RO: Form = Form {
        no_store: true,
        ..Form::GEORADIUSBYMEMBER
    };
    pub const GEOSEARCH: Form = Form {
        centre: Centre::Options,
        no_store: false,
        search_store: false,
    };
    pub const GEOSEARCHSTORE: Form = Form {
        search_store: true,
        ..Form::GEOSEARCH
    };

    fn is_search(self) -> bool {
        self.centre == Centre::Options
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    None,
    Asc,
    Desc,
}

/// A match: member, distance from the centre in metres, score, position.
struct Point {
    member: Vec<u8>,
    distance: f64,
    score: f64,
    longitude: f64,
    latitude: f64,
}

/// `extractDistanceOrReply`: a radius and its unit.
fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), Frame> {
    let radius = parse_double(radius, Some("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(Frame::error("ERR radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// `extractBoxOrReply`: width, height and their unit.
fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), Frame> {
    let width = parse_double(width, Some("ERR need numeric width"))?;
    let height = parse_double(height, Some("ERR need numeric height"))?;
    if width < 0.0 || height < 0.0 {
        return Err(Frame::error("ERR height or width cannot be negative"));
    }
    Ok((width, height, parse_unit(unit)?))
}

fn undecodable_member() -> Frame {
    Frame::error("ERR could not decode requested zset member")
}

/// The position of `member`, or Redis's error for a missing one.
fn member_position(zset: &ZSetValue, member: &[u8]) -> Result<(f64, f64), Frame> {
    zset.score(member)
        .and_then(super::hash::position_of)
        .ok_or_else(undecodable_member)
}

pub fn run(ctx: &mut Ctx<'_>, argv: &[Bytes], form: Form) -> Reply {
    let limits = ctx.ks.thresholds;
    let source_at = if form.search_store { 2 } else { 1 };
    let mut db = selected_db(ctx);
    let zset: Option<&ZSetValue> = read(&mut db, &argv[source_at])?.map(|z| &*z);
    let mut store: Option<&[u8]> = None;
    let mut centre: Option<(f64, f64)> = None;
    let mut shape: Option<(Shape, f64)> = None;
    let base = match form.centre {
        Centre::Coordinates => {
            centre = Some(parse_lon_lat(&argv[2], &argv[3])?);
            let (radius, unit) = parse_radius(&argv[4], &argv[5])?;
            shape = Some((Shape::Radius(radius), unit));
            6
        }
        Centre::Member => {
            // Without a source key Redis goes on parsing, to know which
            // empty reply (array or 0) to give.
            if let Some(zset) = zset {
                centre = Some(member_position(zset, &argv[2])?);
                let (radius, unit) = parse_radius(&argv[3], &argv[4])?;
                shape = Some((Shape::Radius(radius), unit));
            }
            5
        }
        Centre::Options => {
            if form.search_store {
                store = Some(&argv[1]);
                3
            } else {
                2
            }
        }
    };
    let (mut with_dist, mut with_hash, mut with_coord) = (false, false, false);
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut store_dist = false;
    let mut order = Order::None;
    let mut any = false;
    let mut limit: usize = 0;
    let rest = &argv[base.min(argv.len())..];
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i][..];
        let left = rest.len() - i - 1;
        let search = form.is_search();
        if is(arg, "withdist") {
            with_dist = true;
        } else if is(arg, "withhash") {
            with_hash = true;
        } else if is(arg, "withcoord") {
            with_coord = true;
        } else if is(arg, "any") {
            any = true;
        } else if is(arg, "asc") {
            order = Order::Asc;
        } else if is(arg, "desc") {
            order = Order::Desc;
        } else if is(arg, "count") && left >= 1 {
            let n = parse_i64(&rest[i + 1])?;
            if n <= 0 {
                return Err(Frame::error("ERR COUNT must be > 0"));
            }
            limit = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist"))
            && left >= 1
            && !form.no_store
            && !search
        {
            store = Some(&rest[i + 1]);
            store_dist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && form.search_store {
            store_dist = true;
        } else if is(arg, "frommember") && left >= 1 && search && !from_lonlat {
            if let Some(zset) = zset {
                centre = Some(member_position(zset, &rest[i + 1])?);
            }
            from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && search && !from_member {
            centre = Some(parse_lon_lat(&rest[i + 1], &rest[i + 2])?);
            from_lonlat = true;
            i += 2;
        } else if is(arg, "byradius") && left >= 2 && search && !by_box {
            let (radius, unit) = parse_radius(&rest[i + 1], &rest[i + 2])?;
            shape = Some((Shape::Radius(radius), unit));
            by_radius = true;
            i += 2;
        } else if is(arg, "bybox") && left >= 3 && search && !by_radius {
            let (width, height, unit) = parse_box(&rest[i + 1], &rest[i + 2], &rest[i + 3])?;
            shape = Some((Shape::Box { width, height }, unit));
            by_box = true;
            i += 3;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if store.is_some() && (with_dist || with_hash || with_coord) {
        let what = if form.search_store {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Frame::error(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&argv[0]);
    if form.is_search() && !(from_member || from_lonlat) {
        return Err(Frame::error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if form.is_search() && !(by_radius || by_box) {
        return Err(Frame::error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && limit == 0 {
        return Err(Frame::error("ERR the ANY argument requires COUNT argument"));
    }
    let found = match (zset, centre, shape) {
        (Some(zset), Some((longitude, latitude)), Some((shape, conversion))) => {
            let search = Search {
                longitude,
                latitude,
                shape,
                conversion,
            };
            Some((
                collect(zset, &search, if any { limit } else { 0 }),
                conversion,
            ))
        }
        _ => None,
    };
    let Some((mut points, conversion)) = found else {
        // No source key.
        return Ok(match store {
            Some(target) => {
                remove_target(&mut db, target);
                Frame::Integer(0)
            }
            None => Frame::Array(Vec::new()),
        });
    };
    // COUNT without an order would return arbitrary members: Redis
    // sorts by distance then, unless ANY asked for whichever came first.
    if limit != 0 && order == Order::None && !any {
        order = Order::Asc;
    }
    if order != Order::None {
        let desc = order == Order::Desc;
        let mut compare = |a: &Point, b: &Point| {
            let order = a
                .distance
                .partial_cmp(&b.distance)
                .unwrap_or(Ordering::Equal);
            if desc {
                order.reverse()
            } else {
                order
            }
        };
        // All results: glibc's stable qsort. Only the first COUNT:
        // Redis's partial sort, whose order of equal distances clients see.
        if limit == 0 || limit >= points.len() {
            points.sort_by(compare);
        } else {
            pqsort(&mut points, 0, limit as i64 - 1, &mut compare);
        }
    }
    if limit != 0 {
        points.truncate(limit);
    }
    let Some(target) = store else {
        let options = usize::from(with_dist) + usize::from(with_hash) + usize::from(with_coord);
        let replies = points
            .iter()
            .map(|point| {
                let member = Frame::Bulk(Bytes::copy_from_slice(&point.member));
                if options == 0 {
                    return member;
                }
                let mut item = vec![member];
                if with_dist {
                    item.push(distance_reply(point.distance / conversion));
                }
                if with_hash {
                    item.push(Frame::Integer(point.score as i64));
                }
                if with_coord {
                    item.push(Frame::Array(vec![
                        coordinate_reply(point.longitude),
                        coordinate_reply(point.latitude),
                    ]));
                }
                Frame::Array(item)
            })
            .collect();
        return Ok(Frame::Array(replies));
    };
    if points.is_empty() {
        remove_target(&mut db, target);
        return Ok(Frame::Integer(0));
    }
    let max_len = points.iter().map(|p| p.member.len()).max().unwrap_or(0);
    let mut result = ZSetValue::create(points.len(), max_len, &limits);
    for point in &points {
        let score = if store_dist {
            point.distance / conversion
        } else {
            point.score
        };
        let _ = result.add(&point.member, score, Default::default(), &limits);
    }
    result.shrink_if_small(&limits);
    let stored = result.len();
    db.set(target, Value::ZSet(result), false);
    let event = if form.is_search() {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    db.notify(NotifyFlags::ZSET, event, target);
    // A change per member stored (an emptied target is one).
    db.count_changes(stored);
    Ok(count(stored))
}

fn remove_target(db: &mut crate::db::DbView<'_>, target: &[u8]) {
    if db.remove(target) {
        db.notify(NotifyFlags::GENERIC, "del", target);
    }
}

/// The members inside the shape, cell by cell in Redis's order, each
/// cell in score order; with `limit` (ANY), stopping once that many
/// matched.
fn collect(zset: &ZSetValue, search: &Search, limit: usize) -> Vec<Point> {
    let mut points = Vec::new();
    for (min, max) in search.score_ranges() {
        if limit != 0 && points.len() >= limit {
            break;
        }
        let range = ScoreRange {
            min: ScoreBound {
                value: min,
                exclusive: false,
            },
            max: ScoreBound {
                value: max,
                exclusive: true,
            },
        };
        for (member, score) in zset.score_range(range, false) {
            let Some((longitude, latitude)) = super::hash::position_of(score) else {
                continue;
            };
            if let Some(distance) = search.contains(longitude, latitude) {
                points.push(Point {
                    member: member.to_vec(),
                    distance,
                    score,
                    longitude,
                    latitude,
                });
            }
            if limit != 0 && points.len() >= limit {
                break;
            }
        }
    }
    points
}
