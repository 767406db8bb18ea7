//! Sets in a rewritten base: `SADD key member ...`, at most
//! [`super::ITEMS_PER_COMMAND`] members per command as Redis writes them.

use super::Batches;
use crate::db::SetValue;

pub fn emit(out: &mut Vec<u8>, key: &[u8], set: &SetValue) {
    let mut batches = Batches::new(out, b"SADD", key, set.len(), 1);
    for member in set.iter() {
        batches.item(&[&member]);
    }
}
