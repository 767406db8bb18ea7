//! Floating-point arguments as C's `strtod` and `strtold` read them.
//!
//! Redis reads every float argument with the C library: scores, weights
//! and coordinates with `strtod` (`string2d`), INCRBYFLOAT and blocking
//! timeouts with `strtold` (`string2ld`), each over the whole argument.
//! Besides the decimal forms Rust's `f64::from_str` knows, C accepts
//! hexadecimal numbers (`0x10`, `0x1.8p3`), and it tells a value beyond
//! the type's range (`errno == ERANGE`) from infinity spelled out. One
//! reader here serves all of them, so that `ZADD z 0x10 m`,
//! `INCRBYFLOAT k 0x1p3` and `BLPOP k 0x10` agree with Redis and with
//! each other.

/// What `strtod` made of a whole text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CFloat {
    pub value: f64,
    /// `ERANGE` with a result of ±HUGE_VAL or zero: the text's magnitude
    /// is beyond a double's (overflow to infinity, underflow to zero).
    pub out_of_range: bool,
}

/// C's `isspace` in the C locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `strtod` over the whole of `text` (after any leading whitespace the
/// caller allows): decimal, exponent, `inf`/`infinity`/`nan` in any
/// case, and hexadecimal with an optional fraction and binary exponent.
/// `None` when any of the text is left unread.
pub(crate) fn strtod_whole(text: &str) -> Option<CFloat> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let parsed = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(hex) => hex_float(hex)?,
        None => decimal(body)?,
    };
    Some(CFloat {
        value: if negative {
            -parsed.value
        } else {
            parsed.value
        },
        ..parsed
    })
}

fn decimal(body: &str) -> Option<CFloat> {
    // A second sign, or Rust's own spellings C lacks, are not numbers.
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == 'i' || c == 'I')
        && !body.starts_with(['n', 'N'])
    {
        return None;
    }
    let Ok(value) = body.parse::<f64>() else {
        // C's `nan(n-char-sequence)`, which Rust does not spell.
        let chars = body
            .get(..4)
            .filter(|head| head.eq_ignore_ascii_case("nan("))
            .and_then(|_| body[4..].strip_suffix(')'))?;
        return chars
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            .then_some(CFloat {
                value: f64::NAN,
                out_of_range: false,
            });
    };
    // Only infinities and zeros need the text (overflow is an infinity
    // not spelled out, underflow a zero with a non-zero digit), so the
    // common case allocates nothing.
    let out_of_range = if value.is_infinite() {
        !body.bytes().any(|b| b.eq_ignore_ascii_case(&b'i'))
    } else if value == 0.0 {
        let mantissa = body.split(['e', 'E']).next().unwrap_or("");
        mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
    } else {
        false
    };
    Some(CFloat {
        value,
        out_of_range,
    })
}

/// The digits after `0x`: `h*[.h*][p[+-]d+]` with at least one hex digit.
fn hex_float(hex: &str) -> Option<CFloat> {
    let (mantissa, exponent) = match hex.find(['p', 'P']) {
        Some(at) => (&hex[..at], Some(&hex[at + 1..])),
        None => (hex, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let hex_digits = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    if (int.is_empty() && frac.is_empty()) || !hex_digits(int) || !hex_digits(frac) {
        return None;
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Far beyond any double: only the sign of the magnitude matters.
            let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX).min(1 << 20);
            if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    // Up to 15 significant hex digits (60 bits) are kept exactly; the
    // rest only round, through a sticky low bit below a double's 53.
    let mut significand: u64 = 0;
    let mut scale: i64 = 0;
    let mut sticky = false;
    let digit = |b: u8| u64::from((b as char).to_digit(16).unwrap_or(0));
    for b in int.bytes() {
        if significand >> 56 == 0 {
            significand = significand * 16 + digit(b);
        } else {
            scale += 4;
            sticky |= b != b'0';
        }
    }
    for b in frac.bytes() {
        if significand >> 56 == 0 {
            significand = significand * 16 + digit(b);
            scale -= 4;
        } else {
            sticky |= b != b'0';
        }
    }
    if sticky {
        significand |= 1;
    }
    if significand == 0 {
        return Some(CFloat {
            value: 0.0,
            out_of_range: false,
        });
    }
    let power = (scale + exponent).clamp(-(1 << 21), 1 << 21) as i32;
    // In two steps, so that neither factor overflows or underflows on its
    // own where the product does not.
    let half = power / 2;
    let value = significand as f64 * 2f64.powi(half) * 2f64.powi(power - half);
    Some(CFloat {
        value,
        out_of_range: value.is_infinite() || value == 0.0,
    })
}

/// Where a text `strtod` read as out of range stands against a `long
/// double` (x87 80-bit, Redis's INCRBYFLOAT and timeouts): its decimal
/// order of magnitude, from the digits and the exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongDoubleRange {
    /// Within a `long double`'s range, though not a double's.
    Within,
    /// Beyond it: `strtold` reports `ERANGE` too.
    Beyond,
}

/// `long double`s reach about 1.19e4932 and, subnormal, 3.6e-4951.
const LONG_DOUBLE_MAX_EXP10: f64 = 4932.07;
const LONG_DOUBLE_MIN_EXP10: f64 = -4950.56;

/// For a text [`strtod_whole`] found out of a double's range.
pub(crate) fn long_double_range(text: &str) -> LongDoubleRange {
    let body = text.trim_start_matches(['+', '-']);
    let order = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        // Hex digits, and a binary exponent after `p`.
        Some(hex) => order_of_magnitude(hex, 16, 'p', std::f64::consts::LOG10_2),
        None => order_of_magnitude(body, 10, 'e', 1.0),
    };
    if (LONG_DOUBLE_MIN_EXP10..=LONG_DOUBLE_MAX_EXP10).contains(&order) {
        LongDoubleRange::Within
    } else {
        LongDoubleRange::Beyond
    }
}

/// log10 of a number's text in `radix` whose exponent (after
/// `exponent_mark`) counts powers of `10^exponent_log10`: from its
/// leading digits and the position of the point, closely enough for a
/// range test.
fn order_of_magnitude(body: &str, radix: u32, exponent_mark: char, exponent_log10: f64) -> f64 {
    let lower = body.to_ascii_lowercase();
    let (mantissa, exponent) = lower.split_once(exponent_mark).unwrap_or((&lower, "0"));
    let exponent = exponent.parse::<i64>().map_or(0.0, |e| e as f64);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u32> = int
        .chars()
        .chain(frac.chars())
        .filter_map(|c| c.to_digit(radix))
        .collect();
    let Some(first) = digits.iter().position(|&d| d != 0) else {
        return f64::NEG_INFINITY;
    };
    // The leading digits as a number, then scaled to where the point is.
    let lead = &digits[first..digits.len().min(first + 12)];
    let leading = lead
        .iter()
        .fold(0.0, |acc, &d| acc * f64::from(radix) + f64::from(d));
    let point = int.len() as f64 - first as f64 - lead.len() as f64;
    leading.log10() + point * f64::from(radix).log10() + exponent * exponent_log10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<f64> {
        strtod_whole(text).map(|f| f.value)
    }

    #[test]
    fn decimal_forms_are_c_s() {
        assert_eq!(value("1.5"), Some(1.5));
        assert_eq!(value("-1e3"), Some(-1000.0));
        assert_eq!(value(".5"), Some(0.5));
        assert_eq!(value("5."), Some(5.0));
        assert_eq!(value("+5"), Some(5.0));
        assert_eq!(value("Infinity"), Some(f64::INFINITY));
        assert!(value("nan").unwrap().is_nan());
        assert_eq!(value("+-5"), None);
        assert_eq!(value("1e"), None);
        assert_eq!(value(""), None);
        assert_eq!(value("1_0"), None);
    }

    #[test]
    fn hexadecimal_forms_are_c_s() {
        assert_eq!(value("0x10"), Some(16.0));
        assert_eq!(value("0X1A"), Some(26.0));
        assert_eq!(value("-0x10"), Some(-16.0));
        assert_eq!(value("0x1p3"), Some(8.0));
        assert_eq!(value("0x1.8"), Some(1.5));
        assert_eq!(value("0x.8p1"), Some(1.0));
        assert_eq!(value("0x1P-2"), Some(0.25));
        assert_eq!(value("0x1p+2"), Some(4.0));
        assert_eq!(value("0x0"), Some(0.0));
        assert_eq!(value("0x"), None);
        assert_eq!(value("0x1p"), None);
        assert_eq!(value("0xp3"), None);
        assert_eq!(value("0x1g"), None);
        assert_eq!(value("0x1.8.1"), None);
        // 17 digits: the last ones round.
        assert_eq!(value("0x1fffffffffffff8"), Some(1.4411518807585587e17));
        assert_eq!(value("0x20000000000000100"), Some(3.6893488147419103e19));
        assert_eq!(value("0x1fffffffffffff7ff"), Some(3.68934881474191e19));
        assert_eq!(value("0x1.fffffffffffff8p0"), Some(2.0));
    }

    #[test]
    fn out_of_range_is_told_from_infinity_spelled_out() {
        assert!(strtod_whole("1e400").unwrap().out_of_range);
        assert!(strtod_whole("1e-400").unwrap().out_of_range);
        assert!(strtod_whole("0x1p2000").unwrap().out_of_range);
        assert!(strtod_whole("0x1p-2000").unwrap().out_of_range);
        assert!(!strtod_whole("inf").unwrap().out_of_range);
        assert!(!strtod_whole("0e5").unwrap().out_of_range);
        assert!(!strtod_whole("1e-310").unwrap().out_of_range);
    }

    /// The C library's own `strtod` over the whole text: the value and
    /// whether it set `ERANGE` with ±HUGE_VAL or zero, or `None` when it
    /// left part of the text unread.
    fn libc_strtod(text: &str) -> Option<(f64, bool)> {
        let c_text = std::ffi::CString::new(text).ok()?;
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: a NUL-terminated string and a valid out-pointer; errno
        // is this thread's.
        let (value, errno) = unsafe {
            *libc::__errno_location() = 0;
            let value = libc::strtod(c_text.as_ptr(), &mut end);
            (value, *libc::__errno_location())
        };
        // SAFETY: strtod points `end` into the string it was given.
        let read = unsafe { end.offset_from(c_text.as_ptr()) } as usize;
        if text.is_empty() || read != text.len() {
            return None;
        }
        let out_of_range = errno == libc::ERANGE && (value.is_infinite() || value == 0.0);
        Some((value, out_of_range))
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_c_library(
            text in "[+-]?(0[xX])?[0-9a-fA-F]{0,20}(\\.[0-9a-fA-F]{0,20})?([pPeE][+-]?[0-9]{0,5})?"
        ) {
            let ours = strtod_whole(&text).map(|f| (f.value, f.out_of_range));
            let theirs = libc_strtod(&text);
            match (ours, theirs) {
                (Some((a, ra)), Some((b, rb))) => {
                    proptest::prop_assert!(
                        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                        "{text}: {a:e} against C's {b:e}"
                    );
                    proptest::prop_assert_eq!(ra, rb, "{}", text);
                }
                (ours, theirs) => proptest::prop_assert_eq!(ours.is_some(), theirs.is_some(), "{}", text),
            }
        }
    }

    #[test]
    fn words_agree_with_the_c_library() {
        for word in [
            "inf",
            "-inf",
            "+INF",
            "Infinity",
            "-infinity",
            "infin",
            "infinityx",
            "nan",
            "NaN",
            "-nan",
            "nanx",
            "nan(1)",
            "in",
            "i",
            "n",
            ".",
            "-.",
            "+",
            "e5",
            ".e5",
            "0x.",
            "0x.p1",
            "1e+",
            "1e-",
            "00",
            "-0",
            "0x-1",
            "1.5e308",
            "2e308",
            "4.9e-324",
            "2e-324",
            "0x1p1023",
            "0x1p1024",
            "0x1p-1074",
            "0x1p-1075",
            "0x1.8p-1075",
        ] {
            let ours = strtod_whole(word).map(|f| (f.value.to_bits(), f.out_of_range));
            let theirs = libc_strtod(word).map(|(v, r)| (v.to_bits(), r));
            let both_nan = ours.zip(theirs).is_some_and(|((a, _), (b, _))| {
                f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan()
            });
            assert!(
                ours == theirs || both_nan,
                "{word}: {ours:?} against C's {theirs:?}"
            );
        }
    }

    #[test]
    fn long_double_ranges() {
        assert_eq!(long_double_range("1e400"), LongDoubleRange::Within);
        assert_eq!(long_double_range("-1e4932"), LongDoubleRange::Within);
        assert_eq!(long_double_range("2e4932"), LongDoubleRange::Beyond);
        assert_eq!(long_double_range("123.4e4931"), LongDoubleRange::Beyond);
        assert_eq!(long_double_range("0.0001e4936"), LongDoubleRange::Within);
        assert_eq!(long_double_range("1e-4950"), LongDoubleRange::Within);
        assert_eq!(long_double_range("1e-5000"), LongDoubleRange::Beyond);
        assert_eq!(long_double_range("0x1p16000"), LongDoubleRange::Within);
        assert_eq!(long_double_range("0x1p16400"), LongDoubleRange::Beyond);
    }
}
