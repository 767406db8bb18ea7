//! Geo commands over sorted sets (wired to the sorted set type once it
//! exists; the geohash math lives in [`hash`]).

pub mod hash;
