//! Redis 7.2's text form of a double (`d2string`).
//!
//! Redis 7.2 replies with doubles (ZSCORE, RESP3 `,` frames, ACL LOG's
//! `age-seconds`...) through `d2string`:
//!
//! * `nan`, `inf`, `-inf`, and `0` / `-0` for the zeros;
//! * integral values within ±2^62 as plain integers (`100000000000000000`);
//! * everything else through `fpconv_dtoa`: the shortest digits that read
//!   back as the same double, laid out by fpconv's own rules, which are
//!   *not* `%g`'s: plain digits while the exponent is small relative to the
//!   digit count (`123456789012345680000`), a decimal point for exponents
//!   down to -7 (`0.000015`), and otherwise `d.ddde±X` with an unpadded
//!   exponent (`1e-7`, `9.3e+18`, `1.7976931348623157e+308`).
//!
//! The digits come from Rust's shortest round-trip formatting. fpconv uses
//! Grisu2, which in rare cases picks a longer (still round-tripping) digit
//! string than the shortest one; for those doubles the text can differ in
//! the last digits from what Redis prints.

/// Formats `v` as Redis 7.2 does in replies (`fpconv_dtoa`: the shortest
/// text that reads back as the same double): `1.1`, `3`, `1e+21`,
/// `0.000015`, `inf`, `-inf`, `nan`, `-0`.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_owned();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    if let Some(integer) = exact_integer(v) {
        return integer.to_string();
    }
    let (digits, exponent) = shortest_digits(v.abs());
    let mut text = String::with_capacity(digits.len() + 8);
    if v < 0.0 {
        text.push('-');
    }
    lay_out_like_fpconv(&digits, exponent, &mut text);
    text
}

/// `double2ll`: the value as an `i64` when it is integral and within the
/// range Redis trusts the conversion for (±`LLONG_MAX / 2`).
fn exact_integer(v: f64) -> Option<i64> {
    let limit = (i64::MAX / 2) as f64;
    if !(-limit..=limit).contains(&v) {
        return None;
    }
    // In range, so the cast is exact for integral values; the comparison
    // rejects anything with a fractional part.
    let integer = v as i64;
    (integer as f64 == v).then_some(integer)
}

/// The shortest round-trip decimal digits of a positive finite `v` and the
/// decimal exponent of the first digit (`v = d.ddd × 10^exponent`).
fn shortest_digits(v: f64) -> (String, i32) {
    let scientific = format!("{v:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// fpconv's `emit_digits`. `k` there is the power of ten of the last digit.
fn lay_out_like_fpconv(digits: &str, first_digit_exponent: i32, out: &mut String) {
    let digit_count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let last_digit_exponent = first_digit_exponent - (digit_count - 1);
    let exponent_magnitude = first_digit_exponent.abs();

    if last_digit_exponent >= 0 && exponent_magnitude < digit_count + 7 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n(
            '0',
            last_digit_exponent.unsigned_abs() as usize,
        ));
        return;
    }
    if last_digit_exponent < 0 && (last_digit_exponent > -7 || exponent_magnitude < 4) {
        let integer_digits = digit_count + last_digit_exponent;
        if integer_digits <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n(
                '0',
                integer_digits.unsigned_abs() as usize,
            ));
            out.push_str(digits);
        } else {
            let (integer, fraction) = digits.split_at(integer_digits.unsigned_abs() as usize);
            out.push_str(integer);
            out.push('.');
            out.push_str(fraction);
        }
        return;
    }
    let (first, rest) = digits.split_at(1);
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    out.push(if first_digit_exponent < 0 { '-' } else { '+' });
    out.push_str(&exponent_magnitude.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Each case was read from a live server (`ZADD z <input> a`,
    /// `ZSCORE z a`) with Redis 7.2 reply semantics.
    #[test]
    fn matches_the_reference_server() {
        let cases: &[(f64, &str)] = &[
            (1.1, "1.1"),
            (1e17, "100000000000000000"),
            (1e18, "1000000000000000000"),
            (4611686018427387904.0, "4611686018427387904"),
            (9.3e18, "9.3e+18"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (123456789012345678901.0, "123456789012345680000"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "0.00001"),
            (1.5e-5, "0.000015"),
            (3.0000000000000004, "3.0000000000000004"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (12345678901234567.0, "12345678901234568"),
            (0.000123, "0.000123"),
            (1e-7, "1e-7"),
            (1234567.1234567, "1.2345671234567e+6"),
            (12345.678901234, "1.2345678901234e+4"),
            (0.1234567, "0.1234567"),
            (1e-6, "0.000001"),
            (1.5e-6, "1.5e-6"),
            (4.2e-5, "0.000042"),
            (1e22, "1e+22"),
            (-9.3e18, "-9.3e+18"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_double(value), expected, "{value:e}");
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(format_double(f64::NAN), "nan");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(0.0), "0");
        assert_eq!(format_double(-0.0), "-0");
    }

    proptest! {
        #[test]
        fn reads_back_as_the_same_double(bits: u64) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            let text = format_double(value);
            let parsed: f64 = text.parse().unwrap();
            prop_assert_eq!(parsed.to_bits(), value.to_bits(), "{}", text);
        }
    }
}
