//! The CRC64 Redis appends to RDB files (Jones polynomial, reflected,
//! `crc64.c`), which the `crc` crate catalogues as `CRC_64_REDIS`.

use crc::{Crc, Digest, CRC_64_REDIS};

pub static REDIS_CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// The checksum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    REDIS_CRC64.checksum(bytes)
}

/// A running checksum, for writers that stream.
pub fn digest() -> Digest<'static, u64> {
    REDIS_CRC64.digest()
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_redis_test_vector() {
        // crc64.c's own test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
        assert_eq!(super::checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
    }
}
