//! Redis's geohash: how a longitude/latitude becomes a sorted-set score and
//! which score ranges a radius or box search must scan.
//!
//! Everything a client can observe depends on these exact computations:
//! the score GEOADD stores (52 interleaved bits, latitude in the even bits),
//! the coordinates GEOPOS prints (the centre of the cell, to 17 decimals),
//! GEODIST's haversine on Redis's earth radius, the 11-character GEOHASH
//! (re-encoded on the standard -90..90 latitude range, last character
//! always `0`), and the order of unsorted search results, which is the
//! order in which the nine cells are scanned. So this is Redis's algorithm
//! step for step, including its step estimate and the cells it skips.

/// Bits per coordinate in a stored score.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The ranges scores are encoded on (Web Mercator's latitude limits).
pub const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
/// The standard ranges GEOHASH strings use.
const STANDARD_LAT_RANGE: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// A cell: interleaved bits at a precision of `step` bits per coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

impl Cell {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// A cell's bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

fn squash(mut x: u64) -> u32 {
    x &= 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// Whether Redis accepts the pair (`ERR invalid longitude,latitude pair`).
pub fn valid_coordinates(longitude: f64, latitude: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&longitude) && (LAT_MIN..=LAT_MAX).contains(&latitude)
}

/// `geohashEncode`: `None` outside the ranges or for a bad step.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Cell> {
    if step == 0 || step > 32 || !valid_coordinates(longitude, latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    // C converts the doubles to uint32 by truncation.
    let bits = spread(lat_offset as u32) | (spread(long_offset as u32) << 1);
    Some(Cell { bits, step })
}

/// `geohashDecode`: the bounds of a cell.
pub fn decode(long_range: Range, lat_range: Range, cell: Cell) -> Option<Area> {
    if cell.is_zero() {
        return None;
    }
    let lat_cell = f64::from(squash(cell.bits));
    let long_cell = f64::from(squash(cell.bits >> 1));
    let scale = (1u64 << cell.step) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    Some(Area {
        latitude: Range {
            min: lat_range.min + (lat_cell / scale) * lat_scale,
            max: lat_range.min + ((lat_cell + 1.0) / scale) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (long_cell / scale) * long_scale,
            max: long_range.min + ((long_cell + 1.0) / scale) * long_scale,
        },
    })
}

/// The stored score of a position.
pub fn score_of(longitude: f64, latitude: f64) -> Option<f64> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, STEP_MAX).map(|c| align52(c) as f64)
}

/// The position a score stands for: the centre of its cell, clamped.
pub fn position_of(score: f64) -> Option<(f64, f64)> {
    let cell = Cell {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let area = decode(LONG_RANGE, LAT_RANGE, cell)?;
    let longitude = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((longitude, latitude))
}

/// C's `(uint64_t)` cast of a double as x86-64 compilers emit it, which is
/// what Redis applies to any sorted-set score GEOPOS or GEOHASH meets:
/// below 2^63 a signed conversion (so -1 is all ones), above it the signed
/// conversion of `d - 2^63` with the top bit flipped, and the "integer
/// indefinite" 2^63 for what fits neither (so +inf is 0 and -inf 2^63).
/// Rust's `as` saturates instead.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let cvttsd2si = |x: f64| -> i64 {
        if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
            i64::MIN
        } else {
            x as i64
        }
    };
    if d < TWO_63 {
        cvttsd2si(d) as u64
    } else {
        (cvttsd2si(d - TWO_63) as u64) ^ (1 << 63)
    }
}

/// `geohashAlign52Bits`.
pub fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - u32::from(cell.step) * 2)
}

/// The 11-character GEOHASH string of a stored score.
pub fn geohash_string(score: f64) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (longitude, latitude) = position_of(score)?;
    let cell = encode(
        LONG_RANGE,
        STANDARD_LAT_RANGE,
        longitude,
        latitude,
        STEP_MAX,
    )?;
    Some(
        (0..11)
            .map(|i| {
                // 52 bits make 10.4 characters; Redis pads with a zero.
                let index = if i == 10 {
                    0
                } else {
                    (cell.bits >> (52 - (i + 1) * 5)) & 0x1f
                };
                char::from(ALPHABET[index as usize])
            })
            .collect(),
    )
}

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// Distance along a meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine distance in metres, with Redis's shortcut for equal longitudes.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// What a search covers, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: centre, shape in the request's unit, and that unit in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Search {
    pub longitude: f64,
    pub latitude: f64,
    pub shape: Shape,
    pub conversion: f64,
}

impl Search {
    /// The distance to a point if it lies inside the shape.
    pub fn contains(&self, longitude: f64, latitude: f64) -> Option<f64> {
        match self.shape {
            Shape::Radius(radius) => {
                let d = distance(self.longitude, self.latitude, longitude, latitude);
                (d <= radius * self.conversion).then_some(d)
            }
            Shape::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                if lat_distance(latitude, self.latitude) > height_m / 2.0 {
                    return None;
                }
                if distance(longitude, latitude, self.longitude, latitude) > width_m / 2.0 {
                    return None;
                }
                Some(distance(self.longitude, self.latitude, longitude, latitude))
            }
        }
    }

    /// `geohashBoundingBox`: [min long, min lat, max long, max lat].
    fn bounding_box(&self) -> [f64; 4] {
        let (half_height, half_width) = match self.shape {
            Shape::Radius(r) => (r, r),
            Shape::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.latitude - lat_delta).cos());
        let long_delta = if self.latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            self.longitude - long_delta,
            self.latitude - lat_delta,
            self.longitude + long_delta,
            self.latitude + lat_delta,
        ]
    }

    /// The score ranges `[min, max)` to scan, in Redis's order (centre,
    /// N, S, E, W, NE, NW, SE, SW), useless cells and repeats left out.
    pub fn score_ranges(&self) -> Vec<(f64, f64)> {
        let cells = self.cells();
        let mut ranges = Vec::with_capacity(9);
        // Index of the last cell scanned; Redis tests it for repeats only
        // once it is not the centre (`if (last_processed && ...)`).
        let mut last_processed = 0;
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_zero() || (last_processed != 0 && cells[last_processed] == *cell) {
                continue;
            }
            let min = align52(*cell);
            let max = align52(Cell {
                bits: cell.bits + 1,
                step: cell.step,
            });
            ranges.push((min as f64, max as f64));
            last_processed = i;
        }
        ranges
    }

    /// `geohashCalculateAreasByShapeWGS84`: the centre cell and its eight
    /// neighbours, zeroed where they cannot hold a match.
    fn cells(&self) -> [Cell; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let radius_meters = match self.shape {
            Shape::Radius(r) => r,
            Shape::Box { width, height } => ((width / 2.0).powi(2) + (height / 2.0).powi(2)).sqrt(),
        } * self.conversion;
        let mut steps = estimate_steps(radius_meters, self.latitude);
        let encode_at = |steps| {
            encode(LONG_RANGE, LAT_RANGE, self.longitude, self.latitude, steps).unwrap_or_default()
        };
        let mut centre = encode_at(steps);
        let mut around = neighbours(centre);
        let bounds = |cell| decode(LONG_RANGE, LAT_RANGE, cell);
        let decrease = [
            bounds(around[0]).is_some_and(|a| a.latitude.max < max_lat),
            bounds(around[1]).is_some_and(|a| a.latitude.min > min_lat),
            bounds(around[2]).is_some_and(|a| a.longitude.max < max_lon),
            bounds(around[3]).is_some_and(|a| a.longitude.min > min_lon),
        ]
        .contains(&true);
        if steps > 1 && decrease {
            steps -= 1;
            centre = encode_at(steps);
            around = neighbours(centre);
        }
        let [mut n, mut s, mut e, mut w, mut ne, mut nw, mut se, mut sw] = around;
        if steps >= 2 {
            if let Some(area) = bounds(centre) {
                let zero = Cell::default();
                if area.latitude.min < min_lat {
                    (s, sw, se) = (zero, zero, zero);
                }
                if area.latitude.max > max_lat {
                    (n, ne, nw) = (zero, zero, zero);
                }
                if area.longitude.min < min_lon {
                    (w, sw, nw) = (zero, zero, zero);
                }
                if area.longitude.max > max_lon {
                    (e, se, ne) = (zero, zero, zero);
                }
            }
        }
        [centre, n, s, e, w, ne, nw, se, sw]
    }
}

/// `geohashEstimateStepsByRadius`.
fn estimate_steps(mut range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

fn move_x(cell: Cell, d: i8) -> Cell {
    let shift = 64 - u32::from(cell.step) * 2;
    let mut x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    Cell {
        bits: x | y,
        step: cell.step,
    }
}

fn move_y(cell: Cell, d: i8) -> Cell {
    let shift = 64 - u32::from(cell.step) * 2;
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    Cell {
        bits: x | y,
        step: cell.step,
    }
}

/// N, S, E, W, NE, NW, SE, SW.
fn neighbours(cell: Cell) -> [Cell; 8] {
    [
        move_y(cell, 1),
        move_y(cell, -1),
        move_x(cell, 1),
        move_x(cell, -1),
        move_y(move_x(cell, 1), 1),
        move_y(move_x(cell, -1), 1),
        move_y(move_x(cell, 1), -1),
        move_y(move_x(cell, -1), -1),
    ]
}

/// Redis's `%.17Lf` with trailing zeros removed, for coordinates
/// (`ld2string` in `LD_STR_HUMAN` mode, which also turns `-0` into `0`).
pub fn human_coordinate(value: f64) -> String {
    let text = format!("{value:.17}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        return "0".to_string();
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scores_convert_to_bits_as_c_on_x86_64() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1e16), 10_000_000_000_000_000);
        assert_eq!(c_double_to_u64(1.5), 1);
        assert_eq!(c_double_to_u64(1.8e19), 18_000_000_000_000_000_000);
    }

    use super::*;

    #[test]
    fn palermo_and_catania_match_redis() {
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698.0));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909.0));
        let (lon, lat) = position_of(3479099956230698.0).unwrap();
        assert_eq!(human_coordinate(lon), "13.36138933897018433");
        assert_eq!(human_coordinate(lat), "38.11555639549629859");
        assert_eq!(geohash_string(3479099956230698.0).unwrap(), "sqc8b49rny0");
        assert_eq!(geohash_string(3479447370796909.0).unwrap(), "sqdtr74hyu0");
        let (lon2, lat2) = position_of(3479447370796909.0).unwrap();
        assert_eq!(
            format!("{:.4}", distance(lon, lat, lon2, lat2) / 1000.0),
            "166.2742"
        );
    }

    #[test]
    fn human_coordinates_trim_zeros_and_negative_zero() {
        assert_eq!(human_coordinate(-0.0), "0");
        assert_eq!(human_coordinate(-1e-20), "0");
        assert_eq!(human_coordinate(2.5), "2.5");
        assert_eq!(human_coordinate(-180.0), "-180");
    }

    #[test]
    fn out_of_range_positions_have_no_score() {
        assert_eq!(score_of(181.0, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn the_centre_cell_is_always_scanned() {
        let search = Search {
            longitude: 15.0,
            latitude: 37.0,
            shape: Shape::Radius(200.0),
            conversion: 1000.0,
        };
        let ranges = search.score_ranges();
        let score = score_of(15.0, 37.0).unwrap();
        assert!(
            ranges
                .iter()
                .any(|(min, max)| *min <= score && score < *max),
            "{ranges:?}"
        );
    }
}
