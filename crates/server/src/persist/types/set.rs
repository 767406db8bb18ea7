//! Sets: intsets as `RDB_TYPE_SET_INTSET`, others as plain `RDB_TYPE_SET`
//! (never `SET_LISTPACK`, which Redis 7.0 cannot read); loaded as Redis
//! 7.2's `rdbLoadObject` loads each payload: a compact one keeps its
//! encoding unless it holds too many members for it, a plain one starts
//! as a hashtable when it is bigger than an intset may be and otherwise
//! grows from an intset as SADD would grow it.

use crate::db::{SetValue, Thresholds, Value};
use crate::persist::rdb::object::SetPayload;
use crate::persist::rdb::opcodes::{TYPE_SET, TYPE_SET_INTSET};
use crate::persist::rdb::{intset, RdbWriter};
use std::io::{self, Write};

pub fn type_code(s: &SetValue) -> u8 {
    match s.encoding() {
        "intset" => TYPE_SET_INTSET,
        _ => TYPE_SET,
    }
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, s: &SetValue) -> io::Result<()> {
    match type_code(s) {
        TYPE_SET_INTSET => {
            let values: Vec<i64> = s
                .iter()
                .filter_map(|member| crate::db::canonical_i64(&member))
                .collect();
            w.string(&intset::encode(&values))
        }
        _ => {
            w.length(s.len() as u64)?;
            for member in s.iter() {
                w.string(&member)?;
            }
            Ok(())
        }
    }
}

pub fn build(
    members: Vec<Vec<u8>>,
    payload: SetPayload,
    limits: &Thresholds,
) -> Result<Value, String> {
    if members.is_empty() {
        return Err("empty set".into());
    }
    let duplicate = || "duplicate set members detected".to_string();
    let set = match payload {
        SetPayload::Listpack => {
            let set = SetValue::listpack_of(&members).ok_or_else(duplicate)?;
            if members.len() > limits.set_max_listpack_entries {
                set.into_table()
            } else {
                set
            }
        }
        // An intset's members are integers: added to an intset, it
        // becomes a hashtable once past set-max-intset-entries.
        SetPayload::Intset => grown(SetValue::new_intset(), &members, limits)?,
        SetPayload::Members if members.len() > limits.set_max_intset_entries.min(1 << 30) => {
            grown(SetValue::new_table(members.len()), &members, limits)?
        }
        SetPayload::Members => grown(SetValue::new_intset(), &members, limits)?,
    };
    Ok(Value::Set(set))
}

/// `set` with `members` added one by one, as SADD adds them.
fn grown(mut set: SetValue, members: &[Vec<u8>], limits: &Thresholds) -> Result<SetValue, String> {
    for member in members {
        if !set.add(member, limits) {
            return Err("duplicate set members detected".into());
        }
    }
    Ok(set)
}
