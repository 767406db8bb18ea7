//! Module values (`RDB_TYPE_MODULE_2`), the framing Redis puts around
//! what a module type's `rdb_save` writes:
//!
//! ```text
//! 7 <module type id as an RDB length> (<opcode> <payload>)* 0
//! ```
//!
//! The 64-bit id is `moduleTypeEncodeId`: the type's 9-character name,
//! each character as its index in [`CHARSET`] (6 bits, first character
//! highest), then the type's 10-bit encoding version. Every
//! `RedisModule_Save*` call writes an opcode (an RDB length) before its
//! payload, and Redis writes [`OPCODE_EOF`] after `rdb_save` returns, so
//! a value can be walked without knowing the module (as
//! `redis-check-rdb`'s `rdbLoadCheckModuleValue` does). What the items
//! mean is the module's business (`persist::types::json` for
//! RedisJSON's `ReJSON-RL`).
//!
//! `RDB_TYPE_MODULE_PRE_GA` (6, Redis 4.0 release candidates) had no
//! opcodes and cannot be walked; it is refused as Redis refuses it.

use super::error::RdbError;
use super::reader::Reader;
use super::writer::RdbWriter;
use std::io::{self, Write};

/// The characters of module type names, in id order
/// (`ModuleTypeNameCharSet`).
pub const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `RDB_MODULE_OPCODE_*`: what follows in a module value.
pub const OPCODE_EOF: u64 = 0;
pub const OPCODE_SINT: u64 = 1;
pub const OPCODE_UINT: u64 = 2;
pub const OPCODE_FLOAT: u64 = 3;
pub const OPCODE_DOUBLE: u64 = 4;
pub const OPCODE_STRING: u64 = 5;

/// RedisJSON's data type name (`MODULE_TYPE_NAME`).
pub const JSON_TYPE_NAME: &str = "ReJSON-RL";

/// The module types whose values moat can rebuild: a value of any other
/// type stops the load before its items are read, as in a Redis without
/// that module.
const LOADABLE_TYPES: &[&str] = &[JSON_TYPE_NAME];

/// Redis's answer to a module value whose type is not registered
/// (`rdbLoadObject`).
pub fn no_matching_type(name: &str) -> String {
    format!("The RDB file contains module data I can't load: no matching module type '{name}'")
}

/// `moduleTypeEncodeId`: `None` when the name is not 9 characters of
/// [`CHARSET`] or `encver` does not fit 10 bits.
pub const fn encode_id(name: &str, encver: u16) -> Option<u64> {
    let name = name.as_bytes();
    if name.len() != 9 || encver > 1023 {
        return None;
    }
    let mut id = 0u64;
    let mut i = 0;
    while i < 9 {
        let mut pos = 0;
        while pos < 64 && CHARSET[pos] != name[i] {
            pos += 1;
        }
        if pos == 64 {
            return None;
        }
        id = (id << 6) | pos as u64;
        i += 1;
    }
    Some((id << 10) | encver as u64)
}

/// `moduleTypeNameByID` and the encoding version: every id decodes to
/// some name, since all 64 bits are used.
pub fn decode_id(id: u64) -> (String, u16) {
    let mut name = [0u8; 9];
    let mut rest = id >> 10;
    for slot in name.iter_mut().rev() {
        *slot = CHARSET[(rest & 63) as usize];
        rest >>= 6;
    }
    let name = name.iter().map(|&b| char::from(b)).collect();
    (name, (id & 1023) as u16)
}

/// One `RedisModule_Save*` call as the file holds it. `SaveSigned` is
/// written as `SaveUnsigned` of the same 64 bits, so both read back as
/// [`ModuleItem::Int`].
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleItem {
    Int(u64),
    Float(f32),
    Double(f64),
    String(Vec<u8>),
}

/// A module value: its type (one of the types moat loads), encoding
/// version and items, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleValue {
    pub type_name: &'static str,
    pub encver: u16,
    pub items: Vec<ModuleItem>,
}

/// Reads a `RDB_TYPE_MODULE_2` value after its type byte: the id (a type
/// moat cannot rebuild is refused by name before anything else is read),
/// then items up to the EOF opcode. Each item takes at least one byte,
/// so a hostile value ends with the input.
pub fn decode(r: &mut Reader<'_>) -> Result<ModuleValue, RdbError> {
    let at = r.pos();
    let id = r.length()?;
    let (name, encver) = decode_id(id);
    let Some(&type_name) = LOADABLE_TYPES.iter().find(|&&known| known == name) else {
        return Err(RdbError::new(at, no_matching_type(&name)));
    };
    let mut items = Vec::new();
    loop {
        let opcode_at = r.pos();
        let item = match r.length()? {
            OPCODE_EOF => break,
            OPCODE_SINT | OPCODE_UINT => ModuleItem::Int(r.length()?),
            OPCODE_FLOAT => ModuleItem::Float(f32::from_bits(r.u32_le("a module float")?)),
            OPCODE_DOUBLE => ModuleItem::Double(r.binary_double()?),
            OPCODE_STRING => ModuleItem::String(r.string()?),
            other => {
                return Err(RdbError::new(
                    opcode_at,
                    format!("unknown module opcode {other} in a '{type_name}' value"),
                ))
            }
        };
        items.push(item);
    }
    Ok(ModuleValue {
        type_name,
        encver,
        items,
    })
}

/// The id after the type byte (`rdbSaveObject` for `OBJ_MODULE`).
pub fn write_id<W: Write>(w: &mut RdbWriter<W>, id: u64) -> io::Result<()> {
    w.length(id)
}

/// `RedisModule_SaveStringBuffer`: the opcode, then the string as
/// `rdbSaveRawString` writes it (integer encodings, LZF).
pub fn write_string<W: Write>(w: &mut RdbWriter<W>, s: &[u8]) -> io::Result<()> {
    w.length(OPCODE_STRING)?;
    w.string(s)
}

/// `RedisModule_SaveUnsigned` (and `SaveSigned`, as its bits).
#[cfg(test)]
pub fn write_unsigned<W: Write>(w: &mut RdbWriter<W>, n: u64) -> io::Result<()> {
    w.length(OPCODE_UINT)?;
    w.length(n)
}

/// `RedisModule_SaveDouble`.
#[cfg(test)]
pub fn write_double<W: Write>(w: &mut RdbWriter<W>, d: f64) -> io::Result<()> {
    w.length(OPCODE_DOUBLE)?;
    w.binary_double(d)
}

/// The EOF mark Redis writes after the module's `rdb_save`.
pub fn write_eof<W: Write>(w: &mut RdbWriter<W>) -> io::Result<()> {
    w.length(OPCODE_EOF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::rdb::WriteOptions;

    /// `moduleTypeEncodeId("ReJSON-RL", 3)` worked out by hand: the
    /// characters' places in the charset, 6 bits each, then 10 bits of
    /// encoding version.
    #[test]
    fn rejson_encver_3_has_redis_id() {
        // R=17 e=30 J=9 S=18 O=14 N=13 -=62 R=17 L=11
        let places = [17u64, 30, 9, 18, 14, 13, 62, 17, 11];
        let by_hand = places.iter().fold(0u64, |id, &p| (id << 6) | p);
        let by_hand = (by_hand << 10) | 3;
        assert_eq!(by_hand, 0x45e2_5238_df91_2c03);
        assert_eq!(encode_id("ReJSON-RL", 3), Some(by_hand));
        assert_eq!(decode_id(by_hand), ("ReJSON-RL".to_owned(), 3));
    }

    #[test]
    fn bad_names_and_versions_have_no_id() {
        assert_eq!(encode_id("ReJSON", 3), None);
        assert_eq!(encode_id("ReJSON.RL", 3), None);
        assert_eq!(encode_id("ReJSON-RL", 1024), None);
        assert_eq!(
            encode_id("_________", 1023),
            Some(u64::MAX),
            "all 64 bits are the id"
        );
    }

    fn value(items: impl FnOnce(&mut RdbWriter<Vec<u8>>)) -> Vec<u8> {
        let mut w = RdbWriter::without_header(Vec::new(), WriteOptions::default());
        items(&mut w);
        w.into_inner()
    }

    #[test]
    fn items_are_walked_to_the_eof_opcode() {
        let id = encode_id(JSON_TYPE_NAME, 0).unwrap();
        let bytes = value(|w| {
            write_id(w, id).unwrap();
            write_unsigned(w, 0x40).unwrap();
            write_string(w, b"key").unwrap();
            write_double(w, 2.5).unwrap();
            write_eof(w).unwrap();
        });
        let mut r = Reader::new(&bytes);
        let decoded = decode(&mut r).unwrap();
        assert_eq!(r.remaining(), 0);
        assert_eq!(decoded.type_name, JSON_TYPE_NAME);
        assert_eq!(decoded.encver, 0);
        assert_eq!(
            decoded.items,
            [
                ModuleItem::Int(0x40),
                ModuleItem::String(b"key".to_vec()),
                ModuleItem::Double(2.5)
            ]
        );
    }

    #[test]
    fn unknown_types_are_refused_by_name_before_their_items() {
        let id = encode_id("graphdata", 2).unwrap();
        // Whatever follows the id is not read.
        let bytes = value(|w| write_id(w, id).unwrap());
        let err = decode(&mut Reader::new(&[bytes, vec![0xff]].concat())).unwrap_err();
        assert_eq!(
            err.what,
            "The RDB file contains module data I can't load: no matching module type 'graphdata'"
        );
    }

    #[test]
    fn damaged_framing_is_an_error() {
        let id = encode_id(JSON_TYPE_NAME, 3).unwrap();
        let good = value(|w| {
            write_id(w, id).unwrap();
            write_string(w, b"[1,2]").unwrap();
            write_eof(w).unwrap();
        });
        for cut in 0..good.len() {
            assert!(decode(&mut Reader::new(&good[..cut])).is_err(), "cut {cut}");
        }
        let mut bad_opcode = good.clone();
        let at = good.len() - 8;
        assert_eq!(bad_opcode[at], OPCODE_STRING as u8);
        bad_opcode[at] = 9;
        assert!(decode(&mut Reader::new(&bad_opcode))
            .unwrap_err()
            .what
            .contains("unknown module opcode 9"));
    }
}
