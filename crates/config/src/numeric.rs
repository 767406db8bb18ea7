//! Number parsing with Redis's exact leniency and strictness.
//!
//! Redis uses three different parsers for config numbers (`string2ll`,
//! `memtoull`, `strtoll`) and accepts or rejects values accordingly; a
//! value valid in Redis must be valid here and the other way round, so
//! each one is reproduced separately.

pub use moat_resp::string2ll;

/// Redis's `memtoull`: digits followed by an optional unit (`b`, `k`,
/// `kb`, `m`, `mb`, `g`, `gb`, case-insensitive; `k` is 1000 and `kb`
/// 1024). Like Redis, an empty digit string counts as 0, too many digits
/// saturate (`strtoull`'s ERANGE is not checked) and the unit's product
/// wraps: `18446744073709551616` is `u64::MAX`, `17179869184gb` is 0.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits_end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits.len() >= 128 {
        return None;
    }
    let value = digits.iter().fold(0u64, |value, &d| {
        value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(value.wrapping_mul(multiplier))
}

/// C's `strtoll(s, &end, base)` followed by Redis's usual `*end == '\0'`
/// check: leading blanks and a sign are allowed, an empty number is 0, and
/// out-of-range values saturate (as `strtoll` does).
pub fn c_strtoll(s: &[u8], base: u32) -> Option<i64> {
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        if crate::tokenize::is_c_space(b) {
            rest = tail;
        } else {
            break;
        }
    }
    let negative = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    let mut magnitude: i128 = 0;
    for &b in rest {
        let digit = (b as char).to_digit(base)?;
        magnitude =
            (magnitude * i128::from(base) + i128::from(digit)).min(i128::from(u64::MAX) + 1);
    }
    let signed = if negative { -magnitude } else { magnitude };
    Some(signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Redis's `rewriteConfigFormatMemory`: the largest of `gb`/`mb`/`kb` that
/// divides the value, else plain bytes.
pub fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * KB;
    const GB: i64 = 1024 * MB;
    match bytes {
        0 => "0".to_owned(),
        b if b % GB == 0 => format!("{}gb", b / GB),
        b if b % MB == 0 => format!("{}mb", b / MB),
        b if b % KB == 0 => format!("{}kb", b / KB),
        b => b.to_string(),
    }
}

/// `printf("%f")` followed by Redis's `trimDoubleString` (drop trailing
/// zeros and a trailing dot).
pub fn format_percentile(value: f64) -> String {
    let fixed = format!("{value:.6}");
    if fixed.contains('.') {
        fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        fixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-12"), Some(-12));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1.5",
            b"9223372036854775808",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn memtoull_units() {
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2m"), Some(2_000_000));
        assert_eq!(memtoull(b"2mb"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull(b"1g"), Some(1_000_000_000));
        assert_eq!(memtoull(b"1Gb"), Some(1 << 30));
        assert_eq!(memtoull(b"5b"), Some(5));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"gb"), Some(0));
        // Redis neither checks strtoull's ERANGE nor the unit's product.
        assert_eq!(memtoull(b"18446744073709551616"), Some(u64::MAX));
        assert_eq!(memtoull(b"99999999999999999999999kb"), Some(u64::MAX << 10));
        assert_eq!(memtoull(b"17179869184gb"), Some(0));
        assert_eq!(memtoull(b"17179869185gb"), Some(1 << 30));
        for bad in [&b"-1"[..], b"+1", b" 1", b"1x", b"1 kb", b"1.5mb"] {
            assert_eq!(memtoull(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn strtoll_is_lenient() {
        assert_eq!(c_strtoll(b"  +12", 10), Some(12));
        assert_eq!(c_strtoll(b"", 10), Some(0));
        assert_eq!(c_strtoll(b"-7", 10), Some(-7));
        assert_eq!(c_strtoll(b"777", 8), Some(0o777));
        assert_eq!(c_strtoll(b"8", 8), None);
        assert_eq!(c_strtoll(b"1x", 10), None);
        assert_eq!(c_strtoll(b"99999999999999999999", 10), Some(i64::MAX));
    }

    #[test]
    fn memory_is_rewritten_with_the_largest_unit() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn percentiles_trim_like_redis() {
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(99.99), "99.99");
        assert_eq!(format_percentile(0.0), "0");
    }

    proptest! {
        #[test]
        fn string2ll_round_trips(n in any::<i64>()) {
            prop_assert_eq!(string2ll(n.to_string().as_bytes()), Some(n));
        }

        #[test]
        fn formatted_memory_parses_back(n in 0i64..(1 << 50)) {
            prop_assert_eq!(memtoull(format_memory(n).as_bytes()), Some(n as u64));
        }
    }
}
