//! INCRBYFLOAT's number text.
//!
//! Redis does this arithmetic in C `long double` (x87 80-bit on x86-64):
//! it parses with `strtold` and prints the result with `%.17Lf`, then
//! strips trailing zeros (`ld2string(..., LD_STR_HUMAN)`). moat computes
//! in `f64` and prints the shortest text that reads back as the same
//! `f64`, in plain (never exponent) notation. The two agree whenever the
//! operands and the sum are exactly representable or round the same way
//! at 17 decimals, which covers the usual cases (`10.5 + 0.1 = 10.6`,
//! `1e20 + 1`); they differ where `long double`'s extra precision shows,
//! e.g. Redis prints `0.3` for `0.1 + 0.2` where `f64` gives
//! `0.30000000000000004`, and for magnitudes beyond `f64`'s range.

use crate::cmd::args::{not_a_float, parse_float_text};
use moat_resp::Frame;

/// `strtold`'s limit on input length in Redis (`MAX_LONG_DOUBLE_CHARS`).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// A number as `getLongDoubleFromObject` accepts it.
pub fn parse_long_double(text: &[u8]) -> Result<f64, Frame> {
    if text.len() > MAX_LONG_DOUBLE_CHARS {
        return Err(not_a_float());
    }
    let parsed = parse_float_text(text).ok_or_else(not_a_float)?;
    // Beyond a double's range: refused, though within a long double's
    // (see the module's note).
    if parsed.out_of_range {
        return Err(not_a_float());
    }
    Ok(parsed.value)
}

/// The human form of a result: plain decimal, no trailing zeros, no
/// negative zero.
pub fn format_human(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_redis_for_common_values() {
        assert_eq!(format_human(10.6), "10.6");
        assert_eq!(format_human(3.0), "3");
        assert_eq!(format_human(-0.0), "0");
        assert_eq!(format_human(1e20), "100000000000000000000");
        assert_eq!(format_human(1.5e-10), "0.00000000015");
    }

    #[test]
    fn parse_rejects_what_strtold_rejects() {
        assert_eq!(parse_long_double(b"1.5"), Ok(1.5));
        assert_eq!(parse_long_double(b"inf"), Ok(f64::INFINITY));
        assert_eq!(parse_long_double(b"0x10"), Ok(16.0));
        assert_eq!(parse_long_double(b"0x1p3"), Ok(8.0));
        assert_eq!(parse_long_double(b"1e999"), Err(not_a_float()));
        assert_eq!(parse_long_double(b" 1"), Err(not_a_float()));
        assert_eq!(parse_long_double(&[b'1'; 6000]), Err(not_a_float()));
    }
}
