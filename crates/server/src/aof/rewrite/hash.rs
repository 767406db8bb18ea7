//! Hashes in a rewritten base: `HMSET key field value ...`, at most
//! [`super::ITEMS_PER_COMMAND`] pairs per command as Redis writes them.

use super::Batches;
use crate::db::HashValue;

pub fn emit(out: &mut Vec<u8>, key: &[u8], hash: &HashValue) {
    let mut batches = Batches::new(out, b"HMSET", key, hash.len(), 2);
    for (field, value) in hash.iter() {
        batches.item(&[field, value]);
    }
}
