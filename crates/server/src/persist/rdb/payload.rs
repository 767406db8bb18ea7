//! The frame around a DUMP or FUNCTION DUMP payload (`createDumpPayload`,
//! `verifyDumpPayload`): the RDB-encoded body, the RDB version it was
//! written in (2 bytes, little endian) and the CRC-64 of both (8 bytes,
//! little endian).

use super::crc64;

/// What RESTORE and FUNCTION RESTORE answer for a payload whose footer
/// does not check out.
pub const BAD_FOOTER: &str = "ERR DUMP payload version or checksum are wrong";

/// Appends the version and the checksum to `body`.
pub fn seal(mut body: Vec<u8>, version: u16) -> Vec<u8> {
    body.extend_from_slice(&version.to_le_bytes());
    let crc = crc64::checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// The body of a payload whose version is at most `max_version` and
/// whose checksum matches; `None` otherwise (too short included).
pub fn open(payload: &[u8], max_version: u32) -> Option<&[u8]> {
    let body_len = payload.len().checked_sub(10)?;
    let (body, footer) = payload.split_at(body_len);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if u32::from(version) > max_version
        || crc64::checksum(&payload[..payload.len() - 8]) != u64::from_le_bytes(crc)
    {
        return None;
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bodies_open_and_damage_is_refused() {
        let sealed = seal(b"\x00\x03abc".to_vec(), 10);
        assert_eq!(open(&sealed, 11), Some(&b"\x00\x03abc"[..]));
        assert_eq!(open(&sealed, 9), None, "newer than the reader");
        for at in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[at] ^= 0x20;
            assert_eq!(open(&bad, 11), None, "flip at {at}");
        }
        for cut in 0..sealed.len() {
            assert_eq!(open(&sealed[..cut], 11), None, "cut at {cut}");
        }
    }
}
