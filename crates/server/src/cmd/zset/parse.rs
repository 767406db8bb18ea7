//! Number and range arguments of the sorted set commands, parsed as
//! Redis parses them: scores with `string2d` (strict `strtod`), range
//! ends with plain `strtod` (leading spaces and overflow to infinity
//! allowed, an empty string is 0), lexicographic ends with `[`, `(`,
//! `+` and `-`.

use crate::cmd::c_float::{is_c_space, strtod_whole};
use crate::db::{LexBound, LexRange, ScoreBound, ScoreRange};
use moat_resp::Frame;

/// A score as `getDoubleFromObject` reads it (`string2d`): no leading
/// space, the whole text, no NaN, no overflow or underflow to zero.
pub fn parse_score_text(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty() || is_c_space(text.as_bytes()[0]) {
        return None;
    }
    let parsed = strtod_whole(text)?;
    (!parsed.value.is_nan() && !parsed.out_of_range).then_some(parsed.value)
}

/// A score argument, or `ERR value is not a valid float`.
pub fn parse_score(arg: &[u8]) -> Result<f64, Frame> {
    parse_score_text(arg).ok_or_else(crate::cmd::args::not_a_float)
}

/// One end of a score range as `zslParseRange` reads it.
fn score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (exclusive, rest) = match arg.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, arg),
    };
    let text = std::str::from_utf8(rest).ok()?;
    let value = if text.is_empty() {
        0.0
    } else {
        let trimmed = text.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
        if trimmed.is_empty() {
            return None;
        }
        strtod_whole(trimmed)?.value
    };
    (!value.is_nan()).then_some(ScoreBound { value, exclusive })
}

/// `min max`, or `ERR min or max is not a float`.
pub fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Frame> {
    match (score_bound(min), score_bound(max)) {
        (Some(min), Some(max)) => Ok(ScoreRange { min, max }),
        _ => Err(Frame::error("ERR min or max is not a float")),
    }
}

fn lex_bound(arg: &[u8]) -> Option<LexBound> {
    match arg {
        [b'+'] => Some(LexBound::Max),
        [b'-'] => Some(LexBound::Min),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.into())),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.into())),
        _ => None,
    }
}

/// `min max` of the BYLEX forms, or `ERR min or max not valid string
/// range item`.
pub fn lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Frame> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(Frame::error("ERR min or max not valid string range item")),
    }
}

/// Rank arguments made absolute and clamped the way Redis does for
/// ZRANGE, ZREMRANGEBYRANK and LRANGE: `None` when the range is empty.
pub fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    let start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    }
    .max(0);
    let end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
    if start > end || start >= len {
        return None;
    }
    let end = end.min(len - 1);
    Some((start as usize, end as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_strict() {
        assert_eq!(parse_score_text(b"1.5"), Some(1.5));
        assert_eq!(parse_score_text(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score_text(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score_text(b"0x10"), Some(16.0));
        assert_eq!(parse_score_text(b" 1"), None);
        assert_eq!(parse_score_text(b"1 "), None);
        assert_eq!(parse_score_text(b"1e400"), None);
        assert_eq!(parse_score_text(b"1e-400"), None);
        assert_eq!(parse_score_text(b"0e5"), Some(0.0));
        assert_eq!(parse_score_text(b"nan"), None);
        assert_eq!(parse_score_text(b""), None);
    }

    #[test]
    fn range_ends_follow_strtod() {
        assert_eq!(
            score_bound(b"(1"),
            Some(ScoreBound {
                value: 1.0,
                exclusive: true
            })
        );
        assert_eq!(
            score_bound(b""),
            Some(ScoreBound {
                value: 0.0,
                exclusive: false
            })
        );
        assert_eq!(score_bound(b" 2").map(|b| b.value), Some(2.0));
        assert_eq!(score_bound(b"  "), None);
        assert_eq!(score_bound(b"1e400").map(|b| b.value), Some(f64::INFINITY));
        assert_eq!(score_bound(b"nan"), None);
        assert_eq!(score_bound(b"1x"), None);
    }

    #[test]
    fn rank_ranges_clamp() {
        assert_eq!(rank_range(0, -1, 3), Some((0, 2)));
        assert_eq!(rank_range(-10, 1, 3), Some((0, 1)));
        assert_eq!(rank_range(2, 1, 3), None);
        assert_eq!(rank_range(3, 5, 3), None);
        assert_eq!(rank_range(0, -1, 0), None);
        assert_eq!(rank_range(i64::MIN, i64::MAX, 2), Some((0, 1)));
    }
}
