//! Each data type's side of persistence: how a [`Value`] is written as an
//! RDB record and how a decoded [`RdbObject`] becomes a value with the
//! encoding Redis would give it after loading. One file per type; JSON
//! documents are RedisJSON's module values (`json.rs`).

mod hash;
mod json;
mod list;
mod set;
mod stream;
mod string;
mod zset;

use super::rdb::{RdbObject, RdbWriter, RecordMeta};
use crate::db::{Thresholds, Value};
use std::io::{self, Write};

/// Writes one key: expiry and access data, type code, key, value.
pub fn write_record<W: Write>(
    w: &mut RdbWriter<W>,
    key: &[u8],
    meta: &RecordMeta,
    value: &Value,
) -> io::Result<()> {
    w.record_header(meta, type_code(value), key)?;
    write_value(w, value)
}

/// Writes a value as DUMP does (`rdbSaveObjectType` + `rdbSaveObject`):
/// its type code, then the value, with no key or expiry around it.
pub fn write_object<W: Write>(w: &mut RdbWriter<W>, value: &Value) -> io::Result<()> {
    w.u8(type_code(value))?;
    write_value(w, value)
}

/// The RDB type code a value is written with.
fn type_code(value: &Value) -> u8 {
    match value {
        Value::Str(s) => string::type_code(s),
        Value::Hash(h) => hash::type_code(h),
        Value::Set(s) => set::type_code(s),
        Value::List(l) => list::type_code(l),
        Value::ZSet(z) => zset::type_code(z),
        Value::Stream(s) => stream::type_code(s),
        Value::Json(j) => json::type_code(j),
    }
}

/// The value after its type code (`rdbSaveObject`).
fn write_value<W: Write>(w: &mut RdbWriter<W>, value: &Value) -> io::Result<()> {
    match value {
        Value::Str(s) => string::write(w, s),
        Value::Hash(h) => hash::write(w, h),
        Value::Set(s) => set::write(w, s),
        Value::List(l) => list::write(w, l),
        Value::ZSet(z) => zset::write(w, z),
        Value::Stream(s) => stream::write(w, s),
        Value::Json(j) => json::write(w, j),
    }
}

/// The value a decoded object becomes, or why it cannot be loaded.
pub fn build_value(object: RdbObject, limits: &Thresholds) -> Result<Value, String> {
    match object {
        RdbObject::String(bytes) => Ok(string::build(&bytes)),
        RdbObject::Hash(pairs) => hash::build(pairs, limits),
        RdbObject::Set(members, payload) => set::build(members, payload, limits),
        RdbObject::List(elements) => list::build(elements, limits),
        RdbObject::ZSet(members) => zset::build(members, limits),
        RdbObject::Stream(s) => stream::build(*s),
        // `module::decode` reads only the types it can load (JSON).
        RdbObject::Module(m) => json::build(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{AddFlags, End, ListValue, ZSetValue};
    use crate::persist::rdb::{parse, ParsedRecord, RdbError, Visitor, WriteOptions};
    use proptest::prelude::*;

    struct Objects(Vec<RdbObject>);

    impl Visitor for Objects {
        fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError> {
            self.0.push(record.object);
            Ok(())
        }
    }

    /// Writes `value` as a file, parses it back and rebuilds the value.
    fn round_trip(value: &Value, limits: &Thresholds) -> Value {
        let mut w = RdbWriter::new(Vec::new(), WriteOptions::default()).unwrap();
        w.select_db(0, 1, 0).unwrap();
        write_record(&mut w, b"k", &RecordMeta::default(), value).unwrap();
        let file = w.finish().unwrap();
        let mut seen = Objects(Vec::new());
        parse(&file, &mut seen).unwrap();
        build_value(seen.0.pop().unwrap(), limits).unwrap()
    }

    fn element() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..40),
            (8000usize..20000).prop_map(|n| vec![b'x'; n]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn lists_keep_elements_order_and_encoding(
            elements in proptest::collection::vec(element(), 1..600),
            fill in prop_oneof![Just(-2i64), Just(-1), Just(5), Just(128)],
        ) {
            let limits = Thresholds { list_max_listpack_size: fill, ..Thresholds::default() };
            let mut list = ListValue::default();
            list.prepare_for(elements.iter().map(Vec::len), &limits);
            for e in &elements {
                list.push(End::Tail, e, &limits);
            }
            let Value::List(back) = round_trip(&Value::List(list.clone()), &limits) else {
                panic!("not a list");
            };
            prop_assert_eq!(back.iter().collect::<Vec<_>>(), list.iter().collect::<Vec<_>>());
            prop_assert_eq!(back.encoding(), list.encoding());
        }

        #[test]
        fn sorted_sets_keep_members_scores_and_encoding(
            members in proptest::collection::btree_map(
                proptest::collection::vec(any::<u8>(), 0..70),
                prop_oneof![
                    any::<f64>().prop_filter("not NaN", |s| !s.is_nan()),
                    Just(f64::INFINITY),
                    Just(f64::NEG_INFINITY),
                    (-1000i64..1000).prop_map(|n| n as f64 / 8.0),
                ],
                1..300,
            ),
        ) {
            let limits = Thresholds::default();
            let max_len = members.keys().map(Vec::len).max().unwrap_or(0);
            let mut z = ZSetValue::create(members.len(), max_len, &limits);
            for (m, s) in &members {
                z.add(m, *s, AddFlags::default(), &limits).unwrap();
            }
            let Value::ZSet(back) = round_trip(&Value::ZSet(z.clone()), &limits) else {
                panic!("not a sorted set");
            };
            let pairs = |z: &ZSetValue| {
                z.iter().map(|(m, s)| (m.to_vec(), s.to_bits())).collect::<Vec<_>>()
            };
            prop_assert_eq!(pairs(&back), pairs(&z));
            prop_assert_eq!(back.encoding(), z.encoding());
        }
    }
}
