//! Lists in a rewritten base: `RPUSH key element ...`, in list order.

use super::Batches;
use crate::db::ListValue;

pub fn emit(out: &mut Vec<u8>, key: &[u8], list: &ListValue) {
    let mut batches = Batches::new(out, b"RPUSH", key, list.len(), 1);
    for element in list.iter() {
        batches.item(&[element]);
    }
}
