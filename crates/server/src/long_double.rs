//! C's `long double`, for INCRBYFLOAT and HINCRBYFLOAT.
//!
//! Redis does this arithmetic in `long double` (80-bit x87 on x86-64,
//! 128-bit quad on aarch64) and prints the result with `%.17Lf`, trailing
//! zeros cut. Both matter to users: `0.1 + 0.2` is `0.3` there, where a
//! 64-bit double gives `0.30000000000000004`, and 64-bit integers such as
//! 9223372036854775807 survive exactly. Rust has no `long double`, so the
//! parse (`strtold`), the addition and the formatting run in a small C
//! helper (`csrc/long_double.c`), with the platform's C library, as
//! Redis's do; a value is opaque bytes on this side.

use std::os::raw::{c_char, c_int, c_longlong};

/// Bytes of the C type, padded (16 on every platform Redis runs on).
const BYTES: usize = 16;

/// Redis's `MAX_LONG_DOUBLE_CHARS`: the longest text parsed or printed.
const MAX_CHARS: usize = 5 * 1024;

unsafe extern "C" {
    fn moat_ld_parse(text: *const c_char, len: usize, out: *mut u8) -> c_int;
    fn moat_ld_add(a: *const u8, b: *const u8, out: *mut u8) -> c_int;
    fn moat_ld_is_finite(a: *const u8) -> c_int;
    fn moat_ld_format_human(a: *const u8, buf: *mut c_char, size: usize) -> usize;
    fn moat_ld_from_i64(v: c_longlong, out: *mut u8);
}

/// A C `long double`.
#[derive(Clone, Copy)]
pub struct LongDouble([u8; BYTES]);

impl LongDouble {
    /// The whole text as Redis's `string2ld` reads it: `strtold`, no
    /// leading space, nothing left over, no NaN, no overflow or underflow
    /// to zero, shorter than 5 KiB.
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        if text.is_empty() || text.len() >= MAX_CHARS {
            return None;
        }
        let mut out = [0u8; BYTES];
        // SAFETY: the helper reads `len` bytes of `text` (copying them
        // into a NUL-terminated buffer) and writes at most BYTES to `out`.
        let ok = unsafe { moat_ld_parse(text.as_ptr().cast(), text.len(), out.as_mut_ptr()) };
        (ok == 1).then_some(LongDouble(out))
    }

    /// An integer, exactly (a 64-bit mantissa holds any i64).
    pub fn from_i64(value: i64) -> LongDouble {
        let mut out = [0u8; BYTES];
        // SAFETY: writes at most BYTES to `out`.
        unsafe { moat_ld_from_i64(value, out.as_mut_ptr()) };
        LongDouble(out)
    }

    /// The sum, or `None` when it is NaN or infinite.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        let mut out = [0u8; BYTES];
        // SAFETY: reads BYTES from each operand, writes BYTES to `out`.
        let finite = unsafe { moat_ld_add(self.0.as_ptr(), other.0.as_ptr(), out.as_mut_ptr()) };
        (finite == 1).then_some(LongDouble(out))
    }

    /// Neither infinite nor NaN.
    pub fn is_finite(&self) -> bool {
        // SAFETY: reads BYTES from the value.
        unsafe { moat_ld_is_finite(self.0.as_ptr()) == 1 }
    }

    /// Redis's human form (`ld2string` with `LD_STR_HUMAN`): `%.17Lf`
    /// without trailing zeros, `-0` as `0`; `None` for a value that is
    /// not finite.
    pub fn to_human(&self) -> Option<String> {
        // On the stack: INCRBYFLOAT formats once per call.
        let mut buf = [0u8; MAX_CHARS];
        // SAFETY: the helper writes at most `buf.len()` bytes into `buf`.
        let len =
            unsafe { moat_ld_format_human(self.0.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if len == 0 {
            return None;
        }
        std::str::from_utf8(&buf[..len]).ok().map(str::to_owned)
    }
}

impl std::fmt::Debug for LongDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_human() {
            Some(text) => write!(f, "LongDouble({text})"),
            None => write!(f, "LongDouble(not finite)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &str, b: &str) -> Option<String> {
        let a = LongDouble::parse(a.as_bytes())?;
        let b = LongDouble::parse(b.as_bytes())?;
        a.checked_add(b)?.to_human()
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        assert_eq!(add("0.1", "0.2").as_deref(), Some("0.3"));
        assert_eq!(add("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(
            add("9223372036854775807", "0").as_deref(),
            Some("9223372036854775807")
        );
        assert_eq!(add("0", "1e-20").as_deref(), Some("0"));
        assert_eq!(add("0", "-1e-20").as_deref(), Some("0"));
        assert_eq!(add("0", "1.5e-17").as_deref(), Some("0.00000000000000002"));
        assert_eq!(add("3", "0").as_deref(), Some("3"));
        assert_eq!(add("5.0e3", "0").as_deref(), Some("5000"));
        assert_eq!(add("1e400", "1").map(|t| t.len()), Some(401));
        assert_eq!(add("1e4932", "1e4932"), None);
    }

    #[test]
    fn parse_follows_string2ld() {
        for text in [
            "1.5",
            "0x10",
            "0x1p3",
            "inf",
            "-Infinity",
            "1e400",
            "+.5",
            "5.",
        ] {
            assert!(LongDouble::parse(text.as_bytes()).is_some(), "{text}");
        }
        for text in [
            "", " 1", "1 ", "nan", "1e5000", "1e-5000", "abc", "1\u{0}", "0x", "--1",
        ] {
            assert!(LongDouble::parse(text.as_bytes()).is_none(), "{text:?}");
        }
        let long_one = |len: usize| format!("1.{}", "0".repeat(len - 2));
        assert!(LongDouble::parse(long_one(MAX_CHARS).as_bytes()).is_none());
        assert!(LongDouble::parse(long_one(MAX_CHARS - 1).as_bytes()).is_some());
        assert!(!LongDouble::parse(b"inf").unwrap().is_finite());
        assert_eq!(
            LongDouble::from_i64(i64::MIN).to_human().as_deref(),
            Some("-9223372036854775808")
        );
    }
}
