use super::distance_text;
use crate::cmd::reply::testing::{bulk, err, int, Harness};
use bytes::Bytes;
use moat_resp::Frame;

fn sicily() -> Harness {
    let mut h = Harness::new();
    assert_eq!(
        h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"),
        int(2)
    );
    h
}

#[test]
fn distances_print_four_decimals() {
    assert_eq!(distance_text(0.0), "0.0000");
    assert_eq!(distance_text(166.274_151_4), "166.2742");
    assert_eq!(distance_text(0.000_04), "0.0000");
    assert_eq!(distance_text(1.5), "1.5000");
}

#[test]
fn geoadd_stores_redis_scores() {
    let mut h = sicily();
    assert_eq!(
        h.run("ZSCORE Sicily Palermo"),
        Frame::Double(3479099956230698.0)
    );
    assert_eq!(
        h.run("GEOADD Sicily 200 100 x"),
        err("ERR invalid longitude,latitude pair 200.000000,100.000000")
    );
    assert_eq!(h.run("GEOADD Sicily NX XX 1 2 x"), err("ERR syntax error"));
    assert_eq!(
        h.run("GEOADD Sicily CH 13.361389 38.115556 Palermo 1 1 x"),
        int(1)
    );
}

#[test]
fn geopos_geodist_geohash_match_redis() {
    let mut h = sicily();
    assert_eq!(
        h.run("GEOPOS Sicily Palermo nosuch"),
        Frame::Array(vec![
            Frame::Array(vec![
                Frame::DoubleText(Bytes::from_static(b"13.36138933897018433")),
                Frame::DoubleText(Bytes::from_static(b"38.11555639549629859")),
            ]),
            Frame::NullArray,
        ])
    );
    assert_eq!(h.run("GEODIST Sicily Palermo Catania km"), bulk("166.2742"));
    assert_eq!(h.run("GEODIST Sicily Palermo nosuch"), Frame::Null);
    assert_eq!(
        h.run("GEODIST Sicily Palermo Catania parsec"),
        err("ERR unsupported unit provided. please use M, KM, FT, MI")
    );
    assert_eq!(
        h.run("GEOHASH Sicily Palermo Catania"),
        Frame::Array(vec![bulk("sqc8b49rny0"), bulk("sqdtr74hyu0")])
    );
}

#[test]
fn searches_sort_count_and_store() {
    let mut h = sicily();
    assert_eq!(
        h.run("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST"),
        Frame::Array(vec![
            Frame::Array(vec![bulk("Catania"), bulk("56.4413")]),
            Frame::Array(vec![bulk("Palermo"), bulk("190.4424")]),
        ])
    );
    assert_eq!(
        h.run("GEORADIUS Sicily 15 37 200 km DESC COUNT 1"),
        Frame::Array(vec![bulk("Palermo")])
    );
    assert_eq!(
        h.run("GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYBOX 400 400 km STOREDIST"),
        int(2)
    );
    assert_eq!(h.run("ZSCORE dst Palermo"), Frame::Double(0.0));
    assert_eq!(
        h.run("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY"),
        err("ERR the ANY argument requires COUNT argument")
    );
    assert_eq!(
        h.run("GEORADIUS Sicily 15 37 200 km WITHDIST STORE x"),
        err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    );
    assert_eq!(
        h.run("GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 1 km"),
        err("ERR could not decode requested zset member")
    );
    assert_eq!(
        h.run("GEOSEARCH Sicily BYRADIUS 1 km"),
        err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH")
    );
    assert_eq!(
        h.run("GEORADIUS Sicily 15 37 200 km COUNT 0"),
        err("ERR COUNT must be > 0")
    );
}
