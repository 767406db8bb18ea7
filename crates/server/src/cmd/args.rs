//! Argument parsing with Redis's exact error texts.
//!
//! Redis parses numbers strictly (`string2ll`: no spaces, no `+`, no
//! leading zeros; floats via `strtold` without surrounding spaces or NaN)
//! and every handler author needs the same wording, so these helpers
//! return the finished error reply as the `Err` value.

use crate::db::canonical_i64;
use moat_resp::Frame;

/// `ERR value is not an integer or out of range`
pub fn not_an_integer() -> Frame {
    Frame::error("ERR value is not an integer or out of range")
}

/// `ERR value is not a valid float`
pub fn not_a_float() -> Frame {
    Frame::error("ERR value is not a valid float")
}

/// `ERR invalid expire time in '<command>' command`
pub fn invalid_expire(command: &str) -> Frame {
    Frame::error(format!("ERR invalid expire time in '{command}' command"))
}

/// An i64 as Redis's `getLongLongFromObjectOrReply` accepts it.
pub fn parse_i64(arg: &[u8]) -> Result<i64, Frame> {
    canonical_i64(arg).ok_or_else(not_an_integer)
}

/// A non-negative i64, with `error` as the reply for negative values.
pub fn parse_non_negative(arg: &[u8], error: &str) -> Result<i64, Frame> {
    let n = parse_i64(arg)?;
    if n < 0 {
        return Err(Frame::error(error));
    }
    Ok(n)
}

/// The float grammar of the long-double paths (INCRBYFLOAT, timeouts):
/// C's `strtod` over the whole argument (hexadecimal included), no
/// surrounding spaces, no NaN; out-of-range text reads as infinity or
/// zero, for the caller to judge ([`crate::cmd::c_float`]).
pub fn parse_float_text(arg: &[u8]) -> Option<crate::cmd::c_float::CFloat> {
    let text = std::str::from_utf8(arg).ok()?;
    let first = *text.as_bytes().first()?;
    let last = *text.as_bytes().last()?;
    if crate::cmd::c_float::is_c_space(first) || crate::cmd::c_float::is_c_space(last) {
        return None;
    }
    let parsed = crate::cmd::c_float::strtod_whole(text)?;
    (!parsed.value.is_nan()).then_some(parsed)
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], option: &str) -> bool {
    arg.eq_ignore_ascii_case(option.as_bytes())
}

/// An `int` as Redis's `getIntFromObjectOrReply` accepts it: an i64
/// that also fits in 32 bits; `error` replaces the default message.
pub fn parse_i32(arg: &[u8], error: Option<&str>) -> Result<i32, Frame> {
    let custom = || error.map(|text| Frame::error(format!("ERR {text}")));
    let n = canonical_i64(arg).ok_or_else(|| custom().unwrap_or_else(not_an_integer))?;
    i32::try_from(n).map_err(|_| {
        custom().unwrap_or_else(|| {
            Frame::error("ERR value is out of range, value must between -2147483648 and 2147483647")
        })
    })
}

/// A database index as SELECT, MOVE and COPY parse it.
pub fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, Frame> {
    let index = parse_i32(arg, None)?;
    db_in_range(index, databases)
}

/// `ERR DB index is out of range` unless `index` names a database.
pub fn db_in_range(index: i32, databases: usize) -> Result<usize, Frame> {
    usize::try_from(index)
        .ok()
        .filter(|&i| i < databases)
        .ok_or_else(|| Frame::error("ERR DB index is out of range"))
}

/// The TTL forms shared by SET and GETEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireUnit {
    /// EX: relative seconds.
    Seconds,
    /// PX: relative milliseconds.
    Millis,
    /// EXAT: absolute Unix seconds.
    UnixSeconds,
    /// PXAT: absolute Unix milliseconds.
    UnixMillis,
}

/// Converts an expire argument into an absolute time in milliseconds,
/// rejecting what Redis rejects: non-integers, values not above zero and
/// arithmetic overflow (`getExpireMillisecondsOrReply`).
pub fn absolute_expire_ms(
    arg: &[u8],
    unit: ExpireUnit,
    now_ms: i64,
    command: &str,
) -> Result<i64, Frame> {
    let amount = parse_i64(arg)?;
    if amount <= 0 {
        return Err(invalid_expire(command));
    }
    let in_ms = match unit {
        ExpireUnit::Seconds | ExpireUnit::UnixSeconds => amount.checked_mul(1000),
        ExpireUnit::Millis | ExpireUnit::UnixMillis => Some(amount),
    };
    let absolute = match unit {
        ExpireUnit::Seconds | ExpireUnit::Millis => in_ms.and_then(|ms| ms.checked_add(now_ms)),
        ExpireUnit::UnixSeconds | ExpireUnit::UnixMillis => in_ms,
    };
    absolute
        .filter(|&at| at > 0)
        .ok_or_else(|| invalid_expire(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_i64(b"-42"), Ok(-42));
        assert_eq!(parse_i64(b"+1"), Err(not_an_integer()));
        assert_eq!(parse_i64(b"1.0"), Err(not_an_integer()));
        assert_eq!(
            parse_non_negative(b"-1", "ERR offset is out of range"),
            Err(Frame::error("ERR offset is out of range"))
        );
    }

    #[test]
    fn floats_follow_strtod_without_spaces_or_nan() {
        let value = |text: &[u8]| parse_float_text(text).map(|f| f.value);
        assert_eq!(value(b"1.5"), Some(1.5));
        assert_eq!(value(b"-1e3"), Some(-1000.0));
        assert_eq!(value(b".5"), Some(0.5));
        assert_eq!(value(b"inf"), Some(f64::INFINITY));
        assert_eq!(value(b"0x1p3"), Some(8.0));
        assert_eq!(value(b" 1"), None);
        assert_eq!(value(b"1 "), None);
        assert_eq!(value(b"nan"), None);
        assert_eq!(value(b""), None);
        assert_eq!(value(b"abc"), None);
        assert!(parse_float_text(b"1e400").unwrap().out_of_range);
    }

    #[test]
    fn db_index_range() {
        assert_eq!(parse_db_index(b"15", 16), Ok(15));
        assert_eq!(
            parse_db_index(b"16", 16),
            Err(Frame::error("ERR DB index is out of range"))
        );
        assert_eq!(
            parse_db_index(b"-1", 16),
            Err(Frame::error("ERR DB index is out of range"))
        );
        assert_eq!(parse_db_index(b"x", 16), Err(not_an_integer()));
        assert_eq!(
            parse_db_index(b"4294967296", 16),
            Err(Frame::error(
                "ERR value is out of range, value must between -2147483648 and 2147483647"
            ))
        );
        assert_eq!(
            parse_i32(b"x", Some("invalid first DB index")),
            Err(Frame::error("ERR invalid first DB index"))
        );
    }

    #[test]
    fn expire_times_are_validated_like_redis() {
        assert_eq!(
            absolute_expire_ms(b"10", ExpireUnit::Seconds, 1000, "set"),
            Ok(11_000)
        );
        assert_eq!(
            absolute_expire_ms(b"10", ExpireUnit::Millis, 1000, "set"),
            Ok(1010)
        );
        assert_eq!(
            absolute_expire_ms(b"10", ExpireUnit::UnixSeconds, 1000, "set"),
            Ok(10_000)
        );
        assert_eq!(
            absolute_expire_ms(b"10", ExpireUnit::UnixMillis, 1000, "set"),
            Ok(10)
        );
        assert_eq!(
            absolute_expire_ms(b"0", ExpireUnit::Seconds, 1000, "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(
            absolute_expire_ms(b"-5", ExpireUnit::UnixMillis, 1000, "getex"),
            Err(invalid_expire("getex"))
        );
        let huge = i64::MAX.to_string();
        assert_eq!(
            absolute_expire_ms(huge.as_bytes(), ExpireUnit::Seconds, 1, "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(
            absolute_expire_ms(huge.as_bytes(), ExpireUnit::Millis, 1, "set"),
            Err(invalid_expire("set"))
        );
        assert_eq!(
            absolute_expire_ms(b"x", ExpireUnit::Millis, 1, "set"),
            Err(not_an_integer())
        );
    }
}
