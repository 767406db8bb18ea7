//! JSON documents as RedisJSON 2.x stores them: a module value of type
//! `ReJSON-RL` (see `persist::rdb::module` for the framing), so a file
//! moat writes loads in a Redis with RedisJSON and the reverse.
//!
//! RedisJSON's `rdb_save` writes encoding version 3: the document's
//! compact JSON text (what `JSON.GET key $` prints, unwrapped) as one
//! `RedisModule_SaveStringBuffer`. Its `rdb_load` still reads:
//! - 2: the text, then an unsigned that, when not 0, is followed by two
//!   strings (a RediSearch index once kept there), which are skipped;
//! - 0: RedisJSON 1.x's node tree, each node a type mask (unsigned) then
//!   its payload: null; boolean as a string whose first byte is `1` for
//!   true; integer (signed); number (double); string; dict (count, then
//!   per member a key/value mask, the name and the value node); array
//!   (count, then the element nodes).
//!
//! The text is parsed as RedisJSON parses it (`doc::parse`), so a loaded
//! document is what `JSON.SET` of the same text would store.

use crate::cmd::json::doc::{self, Json, Object, MAX_NESTING};
use crate::db::Value;
use crate::persist::rdb::module::{self, ModuleItem, ModuleValue, JSON_TYPE_NAME};
use crate::persist::rdb::opcodes::TYPE_MODULE_2;
use crate::persist::rdb::RdbWriter;
use std::io::{self, Write};

/// `REDIS_JSON_TYPE_VERSION` of RedisJSON 2.x.
pub const ENCVER: u16 = 3;

/// `ReJSON-RL` at encoding version [`ENCVER`], as the file holds it.
pub const TYPE_ID: u64 = match module::encode_id(JSON_TYPE_NAME, ENCVER) {
    Some(id) => id,
    None => panic!("ReJSON-RL is a valid module type name"),
};

pub fn type_code(_: &Json) -> u8 {
    TYPE_MODULE_2
}

pub fn write<W: Write>(w: &mut RdbWriter<W>, document: &Json) -> io::Result<()> {
    let text = crate::cmd::json::document_text(document);
    module::write_id(w, TYPE_ID)?;
    module::write_string(w, text.as_bytes())?;
    module::write_eof(w)
}

/// The document a `ReJSON-RL` value holds, for the encoding versions
/// RedisJSON 2.x loads.
pub fn build(value: ModuleValue) -> Result<Value, String> {
    let items = value.items.as_slice();
    let document = match (value.encver, items) {
        (3, [ModuleItem::String(text)]) => parse(text)?,
        (2, [ModuleItem::String(text), ModuleItem::Int(0)]) => parse(text)?,
        (2, [ModuleItem::String(text), ModuleItem::Int(_), ModuleItem::String(_), ModuleItem::String(_)]) => {
            parse(text)?
        }
        (0, _) => {
            let mut legacy = Legacy { items, next: 0 };
            let document = legacy.node(0)?;
            if legacy.next != items.len() {
                return Err(not_terminated());
            }
            document
        }
        (2 | 3, _) => return Err(not_terminated()),
        (other, _) => {
            return Err(format!(
                "the RDB file holds {JSON_TYPE_NAME} values of encoding version {other}; RedisJSON 2.x writes {ENCVER} and loads 0, 2 and 3"
            ))
        }
    };
    Ok(Value::Json(Box::new(document)))
}

fn parse(text: &[u8]) -> Result<Json, String> {
    doc::parse(text).map_err(|e| format!("invalid {JSON_TYPE_NAME} document: {e}"))
}

/// Redis's words for a module value whose items are not what its type
/// reads before the EOF mark (too many, too few, of the wrong kind).
fn not_terminated() -> String {
    format!(
        "The RDB file contains module data for the module '{JSON_TYPE_NAME}' that is not terminated by the proper module value EOF marker"
    )
}

/// RedisJSON 1.x's node masks (`NodeType`).
const NODE_NULL: u64 = 0x1;
const NODE_STRING: u64 = 0x2;
const NODE_NUMBER: u64 = 0x4;
const NODE_INTEGER: u64 = 0x8;
const NODE_BOOLEAN: u64 = 0x10;
const NODE_DICT: u64 = 0x20;
const NODE_ARRAY: u64 = 0x40;
const NODE_KEYVAL: u64 = 0x80;

/// Reading encoding version 0's node tree from the value's items.
struct Legacy<'a> {
    items: &'a [ModuleItem],
    next: usize,
}

impl<'a> Legacy<'a> {
    fn item(&mut self) -> Result<&'a ModuleItem, String> {
        let item = self.items.get(self.next).ok_or_else(not_terminated)?;
        self.next += 1;
        Ok(item)
    }

    fn unsigned(&mut self) -> Result<u64, String> {
        match self.item()? {
            ModuleItem::Int(n) => Ok(*n),
            _ => Err(not_terminated()),
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        match self.item()? {
            ModuleItem::String(s) => Ok(s),
            _ => Err(not_terminated()),
        }
    }

    fn text(&mut self) -> Result<String, String> {
        String::from_utf8(self.bytes()?.to_vec())
            .map_err(|_| format!("a {JSON_TYPE_NAME} string is not UTF-8"))
    }

    /// A count of nodes still to come: each takes at least one item, so
    /// a count beyond the items left is corruption, refused before any
    /// allocation.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.unsigned()?;
        let left = (self.items.len() - self.next) as u64;
        if n > left {
            return Err(format!(
                "a {JSON_TYPE_NAME} container claims {n} members, more than the value holds"
            ));
        }
        Ok(n as usize)
    }

    /// One node; `depth` is the containers around it, bounded as every
    /// document is so that hostile input cannot exhaust the stack.
    fn node(&mut self, depth: usize) -> Result<Json, String> {
        let mask = self.unsigned()?;
        if matches!(mask, NODE_DICT | NODE_ARRAY) && depth >= MAX_NESTING {
            return Err(format!(
                "a {JSON_TYPE_NAME} document nests deeper than {MAX_NESTING} levels"
            ));
        }
        Ok(match mask {
            NODE_NULL => Json::Null,
            NODE_BOOLEAN => match self.bytes()?.first() {
                Some(b) => Json::Bool(*b == b'1'),
                None => return Err(format!("an empty {JSON_TYPE_NAME} boolean")),
            },
            NODE_INTEGER => Json::Int(self.unsigned()? as i64),
            NODE_NUMBER => match self.item()? {
                ModuleItem::Double(d) if d.is_finite() => Json::Float(*d),
                ModuleItem::Double(_) => {
                    return Err(format!("a {JSON_TYPE_NAME} number is not finite"))
                }
                _ => return Err(not_terminated()),
            },
            NODE_STRING => Json::Str(self.text()?),
            NODE_DICT => {
                let n = self.count()?;
                let mut members = Object::with_capacity(n);
                for _ in 0..n {
                    if self.unsigned()? != NODE_KEYVAL {
                        return Err(format!(
                            "a {JSON_TYPE_NAME} dict member is not a key/value node"
                        ));
                    }
                    let name = self.text()?;
                    let value = self.node(depth + 1)?;
                    members.insert(name, value);
                }
                Json::Object(members)
            }
            NODE_ARRAY => {
                let n = self.count()?;
                let mut elements = Vec::with_capacity(n);
                for _ in 0..n {
                    elements.push(self.node(depth + 1)?);
                }
                Json::Array(elements)
            }
            other => {
                return Err(format!(
                    "unknown {JSON_TYPE_NAME} node type {other:#x} (encoding version 0)"
                ))
            }
        })
    }
}

/// Interop with Redis + RedisJSON is checked against the format as
/// RedisJSON's source specifies it (`redisjson.rs` `rdb_save`/`rdb_load`,
/// `backward.rs`, Redis's `module.c` and `rdb.c`): no RedisJSON-enabled
/// redis-server is available to these tests.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::rdb::module::{
        write_double, write_eof, write_id, write_string, write_unsigned,
    };
    use crate::persist::rdb::reader::Reader;
    use crate::persist::rdb::{object, WriteOptions};
    use crate::persist::types::{build_value, write_object};
    use proptest::prelude::*;

    const EVERY_TYPE: &str = r#"{"obj":{"nested":{"deep":[[],{},[{"x":[1,[2,[3]]]}]]}},"str":"caf\u00e9 \u263a \ud83d\ude00 \"q\" \\ / \n\t\u0001","ints":[0,-1,9223372036854775807,-9223372036854775808,42],"big":18446744073709551615,"floats":[2.5,-0.125,1e300,1.0,3.0e-10],"bools":[true,false],"null":null,"empty":""}"#;

    fn json(text: &str) -> Json {
        doc::parse(text.as_bytes()).unwrap()
    }

    /// What DUMP writes for the value (type byte, module value).
    fn object_bytes(document: &Json, compression: bool) -> Vec<u8> {
        let options = WriteOptions {
            compression,
            checksum: false,
        };
        let mut w = RdbWriter::without_header(Vec::new(), options);
        write_object(&mut w, &Value::Json(Box::new(document.clone()))).unwrap();
        w.into_inner()
    }

    /// The value the bytes after the type byte decode to.
    fn load(code: u8, bytes: &[u8]) -> Result<Value, String> {
        let mut r = Reader::new(bytes);
        let decoded = object::decode(code, &mut r).map_err(|e| e.what)?;
        assert_eq!(r.remaining(), 0, "the value ends where its EOF mark does");
        build_value(decoded, &crate::db::Thresholds::default())
    }

    fn module_value(encver: u16, items: impl FnOnce(&mut RdbWriter<Vec<u8>>)) -> Vec<u8> {
        let mut w = RdbWriter::without_header(Vec::new(), WriteOptions::default());
        write_id(&mut w, module::encode_id(JSON_TYPE_NAME, encver).unwrap()).unwrap();
        items(&mut w);
        write_eof(&mut w).unwrap();
        w.into_inner()
    }

    #[test]
    fn every_json_type_round_trips() {
        for compression in [false, true] {
            for text in [
                EVERY_TYPE,
                "1",
                "-7",
                "12345678901",
                "2.5",
                "\"s\"",
                "null",
                "true",
                "[]",
                "{}",
            ] {
                let document = json(text);
                let bytes = object_bytes(&document, compression);
                assert_eq!(bytes[0], TYPE_MODULE_2);
                let back = load(bytes[0], &bytes[1..]).unwrap();
                let Value::Json(back) = back else {
                    panic!("not a document")
                };
                assert_eq!(*back, document, "{text}");
                assert_eq!(
                    crate::cmd::json::document_text(&back),
                    crate::cmd::json::document_text(&document)
                );
            }
        }
    }

    /// `{"a":1}` byte by byte, as a Redis with RedisJSON 2.x dumps it.
    #[test]
    fn small_document_layout() {
        let mut expected = vec![7, 0x81];
        expected.extend_from_slice(&0x45e2_5238_df91_2c03u64.to_be_bytes());
        expected.extend_from_slice(&[5, 7]);
        expected.extend_from_slice(br#"{"a":1}"#);
        expected.push(0);
        assert_eq!(object_bytes(&json(r#"{"a":1}"#), true), expected);
        // rdbSaveRawString's integer encoding applies to the text `42`.
        let mut int = vec![7, 0x81];
        int.extend_from_slice(&TYPE_ID.to_be_bytes());
        int.extend_from_slice(&[5, 0xc0, 42, 0]);
        assert_eq!(object_bytes(&Json::Int(42), true), int);
    }

    #[test]
    fn long_texts_are_compressed_like_any_rdb_string() {
        let text = format!("[{}]", vec!["\"abcabc\""; 200].join(","));
        let bytes = object_bytes(&json(&text), true);
        assert!(bytes.len() < text.len() / 4);
        assert_eq!(bytes[11], 0xc3, "LZF string after the STRING opcode");
        assert_eq!(
            load(bytes[0], &bytes[1..]).unwrap(),
            Value::Json(Box::new(json(&text)))
        );
    }

    #[test]
    fn encoding_version_2_skips_its_search_fields() {
        let plain = module_value(2, |w| {
            write_string(w, br#"{"a":[1]}"#).unwrap();
            write_unsigned(w, 0).unwrap();
        });
        let with_fields = module_value(2, |w| {
            write_string(w, br#"{"a":[1]}"#).unwrap();
            write_unsigned(w, 1).unwrap();
            write_string(w, b"idx").unwrap();
            write_string(w, b"schema").unwrap();
        });
        for bytes in [plain, with_fields] {
            assert_eq!(
                load(TYPE_MODULE_2, &bytes).unwrap(),
                Value::Json(Box::new(json(r#"{"a":[1]}"#)))
            );
        }
    }

    /// RedisJSON 1.x's node tree for `{"a":[-3,2.5,"x",true,false,null],"b":{}}`.
    #[test]
    fn encoding_version_0_node_trees_load() {
        let bytes = module_value(0, |w| {
            for n in [NODE_DICT, 2, NODE_KEYVAL] {
                write_unsigned(w, n).unwrap();
            }
            write_string(w, b"a").unwrap();
            for n in [NODE_ARRAY, 6, NODE_INTEGER, (-3i64) as u64, NODE_NUMBER] {
                write_unsigned(w, n).unwrap();
            }
            write_double(w, 2.5).unwrap();
            write_unsigned(w, NODE_STRING).unwrap();
            write_string(w, b"x").unwrap();
            write_unsigned(w, NODE_BOOLEAN).unwrap();
            write_string(w, b"1").unwrap();
            write_unsigned(w, NODE_BOOLEAN).unwrap();
            write_string(w, b"0").unwrap();
            for n in [NODE_NULL, NODE_KEYVAL] {
                write_unsigned(w, n).unwrap();
            }
            write_string(w, b"b").unwrap();
            write_unsigned(w, NODE_DICT).unwrap();
            write_unsigned(w, 0).unwrap();
        });
        assert_eq!(
            load(TYPE_MODULE_2, &bytes).unwrap(),
            Value::Json(Box::new(json(
                r#"{"a":[-3,2.5,"x",true,false,null],"b":{}}"#
            )))
        );
    }

    #[test]
    fn bad_values_are_errors() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                module_value(4, |w| write_string(w, b"1").unwrap()),
                "encoding version 4",
            ),
            (
                module_value(1, |w| write_string(w, b"1").unwrap()),
                "encoding version 1",
            ),
            (
                module_value(3, |w| {
                    write_string(w, b"1").unwrap();
                    write_string(w, b"2").unwrap();
                }),
                "not terminated by the proper module value EOF marker",
            ),
            (module_value(3, |_| {}), "not terminated"),
            (
                module_value(3, |w| write_unsigned(w, 1).unwrap()),
                "not terminated",
            ),
            (
                module_value(3, |w| write_string(w, b"{\"a\":").unwrap()),
                "invalid ReJSON-RL document",
            ),
            (
                module_value(3, |w| write_string(w, b"\"\xff\"").unwrap()),
                "invalid ReJSON-RL document",
            ),
            (
                module_value(2, |w| write_string(w, b"1").unwrap()),
                "not terminated",
            ),
            (
                module_value(0, |w| {
                    write_unsigned(w, NODE_ARRAY).unwrap();
                    write_unsigned(w, 1 << 40).unwrap();
                }),
                "claims 1099511627776 members",
            ),
            (
                module_value(0, |w| {
                    write_unsigned(w, NODE_NUMBER).unwrap();
                    write_double(w, f64::NAN).unwrap();
                }),
                "not finite",
            ),
            (
                module_value(0, |w| {
                    write_unsigned(w, NODE_STRING).unwrap();
                    write_string(w, b"\xc3").unwrap();
                }),
                "not UTF-8",
            ),
            (
                module_value(0, |w| write_unsigned(w, 0x100).unwrap()),
                "unknown ReJSON-RL node type 0x100",
            ),
            (
                module_value(0, |w| {
                    write_unsigned(w, NODE_NULL).unwrap();
                    write_unsigned(w, NODE_NULL).unwrap();
                }),
                "not terminated",
            ),
        ];
        for (bytes, expected) in cases {
            let err = load(TYPE_MODULE_2, &bytes).unwrap_err();
            assert!(err.contains(expected), "{err} / {expected}");
        }
    }

    /// A node tree nested far deeper than any document: refused, with the
    /// recursion bounded.
    #[test]
    fn deep_legacy_trees_are_refused() {
        let bytes = module_value(0, |w| {
            for _ in 0..10_000 {
                write_unsigned(w, NODE_ARRAY).unwrap();
                write_unsigned(w, 1).unwrap();
            }
            write_unsigned(w, NODE_NULL).unwrap();
        });
        assert!(load(TYPE_MODULE_2, &bytes)
            .unwrap_err()
            .contains("nests deeper than 127"));
    }

    proptest! {
        /// Any items behind a valid `ReJSON-RL` id, for each encoding
        /// version: a document or an error, never a panic.
        #[test]
        fn hostile_items_never_panic(
            encver in prop_oneof![Just(0u16), Just(2), Just(3), 0u16..1024],
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = module_value(encver, |_| {});
            bytes.pop();
            bytes.extend_from_slice(&tail);
            let mut r = Reader::new(&bytes);
            if let Ok(decoded) = object::decode(TYPE_MODULE_2, &mut r) {
                let _ = build_value(decoded, &crate::db::Thresholds::default());
            }
        }
    }
}
