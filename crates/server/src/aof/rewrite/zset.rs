//! Sorted sets in a rewritten base: `ZADD key score member ...`.
//!
//! Scores are written in the shortest text that parses back to the same
//! double (Redis writes `%.17g`, which also round-trips), `inf`/`-inf`
//! as such.

use super::Batches;
use crate::db::ZSetValue;

pub fn emit(out: &mut Vec<u8>, key: &[u8], zset: &ZSetValue) {
    let mut batches = Batches::new(out, b"ZADD", key, zset.len(), 2);
    for (member, score) in zset.iter() {
        let score = score_text(score);
        batches.item(&[score.as_bytes(), member]);
    }
}

fn score_text(score: f64) -> String {
    if score == f64::INFINITY {
        "inf".to_string()
    } else if score == f64::NEG_INFINITY {
        "-inf".to_string()
    } else {
        format!("{score:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::score_text;

    #[test]
    fn scores_round_trip() {
        for score in [
            0.0,
            -0.0,
            1.5,
            0.1,
            1e300,
            -3.0,
            f64::MIN_POSITIVE,
            123456789.0,
        ] {
            assert_eq!(
                score_text(score).parse::<f64>().unwrap().to_bits(),
                score.to_bits()
            );
        }
        assert_eq!(score_text(f64::INFINITY), "inf");
        assert_eq!(score_text(f64::NEG_INFINITY), "-inf");
    }
}
