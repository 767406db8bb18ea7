//! C's number conversions as Redis's Lua sees them on glibc/x86-64:
//! `strtod` in the "C" locale (decimal, hexadecimal with `p` exponents,
//! `inf`/`infinity`/`nan`/`nan(...)`, correctly rounded), and the
//! truncating double-to-integer casts (`cvttsd2si`: out of range or NaN
//! gives the most negative integer).

/// `strtod` on `text` without its leading-whitespace skip: the value and
/// how many bytes it used, or `None` when no conversion can be performed
/// (strtod's `endptr == nptr`).
pub fn strtod_prefix(text: &[u8]) -> Option<(f64, usize)> {
    let (negative, start) = match text.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let rest = &text[start..];
    let (magnitude, used) = if starts_with_ignore_case(rest, b"inf") {
        let used = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        (f64::INFINITY, used)
    } else if starts_with_ignore_case(rest, b"nan") {
        let mut used = 3;
        if rest.get(3) == Some(&b'(') {
            let mut end = 4;
            while rest
                .get(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                end += 1;
            }
            if rest.get(end) == Some(&b')') {
                used = end + 1;
            }
        }
        (f64::NAN, used)
    } else if rest.len() > 2 && rest[0] == b'0' && rest[1] | 0x20 == b'x' && hex_follows(&rest[2..])
    {
        let (value, used) = hexadecimal(&rest[2..]);
        (value, used + 2)
    } else {
        decimal(rest)?
    };
    Some((if negative { -magnitude } else { magnitude }, start + used))
}

/// Lua 5.1's `luaO_str2d` (what `tonumber` and the `luaL_check*`
/// functions use on strings): the C string (up to a NUL) must be a number
/// with optional surrounding whitespace.
pub fn lua_str2d(text: &[u8]) -> Option<f64> {
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let text = &text[..end];
    let start = text.iter().position(|&b| !is_c_space(b))?;
    let (value, used) = strtod_prefix(&text[start..])?;
    // A trailing 'x' makes Lua retry with strtoul, which stops at the same
    // place: only whitespace may follow.
    text[start + used..]
        .iter()
        .all(|&b| is_c_space(b))
        .then_some(value)
}

/// `(long)x` as x86-64 computes it.
pub fn c_long(x: f64) -> i64 {
    if x.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// `(int)x` as x86-64 computes it.
pub fn c_int(x: f64) -> i32 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i32::MIN
    } else {
        x as i32
    }
}

/// C's `isspace` in the "C" locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn starts_with_ignore_case(text: &[u8], word: &[u8]) -> bool {
    text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word)
}

/// After `0x`: a hex digit, or a point and a hex digit.
fn hex_follows(text: &[u8]) -> bool {
    match text.first() {
        Some(c) if c.is_ascii_hexdigit() => true,
        Some(b'.') => text.get(1).is_some_and(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// `[digits][.digits][(e|E)[sign]digits]` with at least one digit.
fn decimal(text: &[u8]) -> Option<(f64, usize)> {
    let digits = |from: usize| {
        text[from.min(text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let int_len = digits(0);
    let point = text.get(int_len) == Some(&b'.');
    let frac_len = if point { digits(int_len + 1) } else { 0 };
    if int_len + frac_len == 0 {
        return None;
    }
    let int_part = &text[..int_len];
    let frac_part = if point {
        &text[int_len + 1..int_len + 1 + frac_len]
    } else {
        &b""[..]
    };
    let mut used = if point {
        int_len + 1 + frac_len
    } else {
        int_len
    };
    let mut exponent: i64 = 0;
    if matches!(text.get(used), Some(b'e' | b'E')) {
        let (negative, sign_len) = match text.get(used + 1) {
            Some(b'-') => (true, 1),
            Some(b'+') => (false, 1),
            _ => (false, 0),
        };
        let exp_len = digits(used + 1 + sign_len);
        if exp_len > 0 {
            for &d in &text[used + 1 + sign_len..used + 1 + sign_len + exp_len] {
                exponent = (exponent * 10 + (d - b'0') as i64).min(1_000_000_000);
            }
            if negative {
                exponent = -exponent;
            }
            used += 1 + sign_len + exp_len;
        }
    }
    let mut normalized = String::with_capacity(int_len + frac_len + 16);
    normalized.push_str(if int_len == 0 {
        "0"
    } else {
        std::str::from_utf8(int_part).ok()?
    });
    normalized.push('.');
    normalized.push_str(if frac_part.is_empty() {
        "0"
    } else {
        std::str::from_utf8(frac_part).ok()?
    });
    normalized.push('e');
    normalized.push_str(&exponent.to_string());
    Some((normalized.parse::<f64>().ok()?, used))
}

/// The part after `0x` (known to hold a digit): value and length.
fn hexadecimal(text: &[u8]) -> (f64, usize) {
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut seen_point = false;
    let mut used = 0;
    while let Some(&c) = text.get(used) {
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            if mantissa >> 60 == 0 {
                mantissa = mantissa * 16 + d as u64;
                if seen_point {
                    exponent -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_point {
                    exponent += 4;
                }
            }
        } else {
            break;
        }
        used += 1;
    }
    if matches!(text.get(used), Some(b'p' | b'P')) {
        let (negative, sign_len) = match text.get(used + 1) {
            Some(b'-') => (true, 1),
            Some(b'+') => (false, 1),
            _ => (false, 0),
        };
        let digits_from = used + 1 + sign_len;
        let count = text[digits_from.min(text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if count > 0 {
            let mut p: i64 = 0;
            for &d in &text[digits_from..digits_from + count] {
                p = (p * 10 + (d - b'0') as i64).min(1_000_000_000);
            }
            exponent += if negative { -p } else { p };
            used = digits_from + count;
        }
    }
    (round_binary(mantissa, sticky, exponent), used)
}

/// `(mantissa + ε) · 2^exponent` rounded to the nearest double, ties to
/// even (`sticky`: ε > 0, some nonzero bits were dropped).
fn round_binary(mantissa: u64, sticky: bool, exponent: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let bits = 64 - mantissa.leading_zeros() as i64;
    let top = bits - 1 + exponent;
    if top > 1023 {
        return f64::INFINITY;
    }
    let precision = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    let shift = bits - precision;
    if shift <= 0 {
        return scale(mantissa as f64, exponent);
    }
    if shift > 64 {
        return 0.0;
    }
    let wide = mantissa as u128;
    let kept = wide >> shift;
    let dropped = wide & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let up = dropped > half || (dropped == half && (sticky || kept & 1 == 1));
    let rounded = kept + up as u128;
    scale(rounded as f64, exponent + shift)
}

/// `x · 2^exponent` for an exactly representable result.
fn scale(mut x: f64, mut exponent: i64) -> f64 {
    let power = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    while exponent > 1000 {
        x *= power(1000);
        exponent -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while exponent < -1000 {
        x *= power(-1000);
        exponent += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * power(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<(f64, usize)> {
        strtod_prefix(text.as_bytes())
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(parse("1"), Some((1.0, 1)));
        assert_eq!(parse("1."), Some((1.0, 2)));
        assert_eq!(parse(".5"), Some((0.5, 2)));
        assert_eq!(parse("-.5x"), Some((-0.5, 3)));
        assert_eq!(parse("1e5x"), Some((1e5, 3)));
        assert_eq!(parse("1e"), Some((1.0, 1)));
        assert_eq!(parse("1e+"), Some((1.0, 1)));
        assert_eq!(parse("1.5E-2"), Some((0.015, 6)));
        assert_eq!(parse("01"), Some((1.0, 2)));
        assert_eq!(parse("1e400"), Some((f64::INFINITY, 5)));
        assert_eq!(parse("1e-400"), Some((0.0, 6)));
        assert_eq!(parse("1e99999999999999999999"), Some((f64::INFINITY, 22)));
        assert_eq!(parse("0.1"), Some((0.1, 3)));
        assert_eq!(parse("."), None);
        assert_eq!(parse("-"), None);
        assert_eq!(parse("+"), None);
        assert_eq!(parse("- 1"), None);
        assert_eq!(parse("x"), None);
        assert_eq!(parse(""), None);
        let (z, _) = parse("-0").unwrap();
        assert!(z == 0.0 && z.is_sign_negative());
    }

    #[test]
    fn special_forms() {
        assert_eq!(parse("inf"), Some((f64::INFINITY, 3)));
        assert_eq!(parse("-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(parse("infinit"), Some((f64::INFINITY, 3)));
        assert_eq!(parse("+INF"), Some((f64::INFINITY, 4)));
        let (n, used) = parse("nan(12_ab)x").unwrap();
        assert!(n.is_nan() && !n.is_sign_negative() && used == 10);
        let (n, used) = parse("-NaN(").unwrap();
        assert!(n.is_nan() && n.is_sign_negative() && used == 4);
        assert_eq!(parse("in"), None);
        assert_eq!(parse("na"), None);
    }

    #[test]
    fn hexadecimal_forms() {
        assert_eq!(parse("0x10"), Some((16.0, 4)));
        assert_eq!(parse("-0x10"), Some((-16.0, 5)));
        assert_eq!(parse("0x1p4"), Some((16.0, 5)));
        assert_eq!(parse("0X1P-1"), Some((0.5, 6)));
        assert_eq!(parse("0x1.8p1"), Some((3.0, 7)));
        assert_eq!(parse("0x.8"), Some((0.5, 4)));
        assert_eq!(parse("0x1p"), Some((1.0, 3)));
        assert_eq!(parse("0x"), Some((0.0, 1)));
        assert_eq!(parse("0xg"), Some((0.0, 1)));
        assert_eq!(parse("0x."), Some((0.0, 1)));
        assert_eq!(parse("0x1p-1074"), Some((f64::from_bits(1), 9)));
        assert_eq!(parse("0x1p-1075"), Some((0.0, 9)));
        assert_eq!(parse("0x1.8p-1075"), Some((f64::from_bits(1), 11)));
        assert_eq!(parse("0x1p1024"), Some((f64::INFINITY, 8)));
        assert_eq!(parse("0x1fffffffffffff"), Some((9007199254740991.0, 16)));
        // 2^53 + 1 is a tie: to even.
        assert_eq!(parse("0x20000000000001"), Some((9007199254740992.0, 16)));
        assert_eq!(parse("0x20000000000003"), Some((9007199254740996.0, 16)));
        assert_eq!(
            parse("0x200000000000010000001"),
            Some((f64::from_bits(0x4500000000000001), 23))
        );
        // Beyond 16 digits the dropped ones still break ties.
        assert_eq!(
            parse("0x20000000000001000000000000000001"),
            Some((f64::from_bits(0x47c0000000000001), 34))
        );
        assert_eq!(
            parse("0x1.000000000000080000000001p0"),
            Some((f64::from_bits(0x3ff0000000000001), 30))
        );
        assert_eq!(
            parse("0xffffffffffffffffffff"),
            Some((1208925819614629174706176.0, 22))
        );
    }

    #[test]
    fn lua_numbers() {
        assert_eq!(lua_str2d(b" 10 "), Some(10.0));
        assert_eq!(lua_str2d(b"0x10"), Some(16.0));
        assert_eq!(lua_str2d(b"5\0abc"), Some(5.0));
        assert_eq!(lua_str2d(b"1e"), None);
        assert_eq!(lua_str2d(b"0x"), None);
        assert_eq!(lua_str2d(b""), None);
        assert_eq!(lua_str2d(b"  "), None);
        assert_eq!(lua_str2d(b"\x0b1\x0c"), Some(1.0));
        assert_eq!(lua_str2d(b"inf"), Some(f64::INFINITY));
    }

    #[test]
    fn casts() {
        assert_eq!(c_long(1.9), 1);
        assert_eq!(c_long(-1.9), -1);
        assert_eq!(c_long(f64::NAN), i64::MIN);
        assert_eq!(c_long(1e300), i64::MIN);
        assert_eq!(c_int(4294967310.0), i32::MIN);
        assert_eq!(c_int(-2147483648.5), -2147483648);
        assert_eq!(c_int(2147483647.9), 2147483647);
    }
}
