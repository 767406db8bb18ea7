//! Password hashes.
//!
//! Redis never keeps a cleartext password: `>pw` stores the lowercase hex
//! SHA-256 of `pw`, `#hex` stores a hash given directly, and AUTH compares
//! hashes in constant time so the comparison leaks nothing about how much
//! of a guess was right.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a hash in hex characters.
pub const HASH_HEX_LEN: usize = 64;

/// A SHA-256 password hash, kept as its 64 lowercase hex characters
/// (the form Redis stores, prints and compares).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordHash([u8; HASH_HEX_LEN]);

impl PasswordHash {
    /// Hashes a cleartext password (binary safe; empty is allowed).
    pub fn of_password(cleartext: &[u8]) -> PasswordHash {
        let digest = Sha256::digest(cleartext);
        let mut hex = [0u8; HASH_HEX_LEN];
        for (i, byte) in digest.iter().enumerate() {
            hex[2 * i] = HEX_DIGITS[(byte >> 4) as usize];
            hex[2 * i + 1] = HEX_DIGITS[(byte & 0x0f) as usize];
        }
        PasswordHash(hex)
    }

    /// Accepts a hash given as text: exactly 64 characters of `[0-9a-f]`
    /// (uppercase is refused, as Redis refuses it).
    pub fn from_hex(text: &[u8]) -> Option<PasswordHash> {
        let hex: [u8; HASH_HEX_LEN] = text.try_into().ok()?;
        hex.iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
            .then_some(PasswordHash(hex))
    }

    /// The 64 hex characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Constant-time equality, for authentication.
    pub fn ct_eq(&self, other: &PasswordHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({})", self.as_str())
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_sha256sum() {
        assert_eq!(
            PasswordHash::of_password(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            PasswordHash::of_password(b"secret").as_str(),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
    }

    #[test]
    fn accepts_only_lowercase_hex_of_64_chars() {
        let good = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
        assert_eq!(
            PasswordHash::from_hex(good.as_bytes()),
            Some(PasswordHash::of_password(b"secret"))
        );
        assert_eq!(PasswordHash::from_hex(good.to_uppercase().as_bytes()), None);
        assert_eq!(PasswordHash::from_hex(&good.as_bytes()[1..]), None);
        assert_eq!(PasswordHash::from_hex(format!("{good}0").as_bytes()), None);
        assert_eq!(
            PasswordHash::from_hex(good.replace('2', "g").as_bytes()),
            None
        );
    }

    #[test]
    fn constant_time_equality_agrees_with_eq() {
        let a = PasswordHash::of_password(b"a");
        let b = PasswordHash::of_password(b"b");
        assert!(a.ct_eq(&a));
        assert!(!a.ct_eq(&b));
    }
}
