//! Redis 7.2's text form of a double.

/// Formats `v` as Redis 7.2 does in replies (`fpconv_dtoa`: the shortest
/// text that reads back as the same double, `%g` layout): `1.1`, `3`,
/// `1e+21`, `inf`, `-inf`, `nan`.
pub fn format_double(v: f64) -> String {
    let _ = v;
    todo!("moat-resp: format_double")
}
