//! BITFIELD and BITFIELD_RO: integers of any width from 1 to 64 bits at
//! arbitrary bit offsets, with Redis's overflow policies.
//!
//! All operations are parsed (and every argument validated) before the
//! key is touched, so a bad argument anywhere means nothing is changed.

use super::{parse_bit_offset, string_for_bit_write};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{selected_db, syntax_error, wrong_type, Reply};
use crate::cmd::Ctx;
use crate::db::Access;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// What to do when a write does not fit the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A field type: `i1`..`i64` or `u1`..`u63`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    signed: bool,
    bits: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Debug, Clone, Copy)]
struct Op {
    kind: OpKind,
    field: Field,
    offset: u64,
    overflow: Overflow,
}

fn parse_field(arg: &[u8]) -> Result<Field, Frame> {
    let bad = || Frame::error(BAD_TYPE);
    let (signed, digits) = match arg.split_first() {
        Some((b'i', rest)) => (true, rest),
        Some((b'u', rest)) => (false, rest),
        _ => return Err(bad()),
    };
    let bits = parse_i64(digits).map_err(|_| bad())?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(bad());
    }
    Ok(Field {
        signed,
        bits: bits as u32,
    })
}

fn parse_ops(args: &[Bytes], max_bytes: usize) -> Result<Vec<Op>, Frame> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 0;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        let name = &args[i][..];
        let takes_value = is(name, "set") || is(name, "incrby");
        if is(name, "overflow") && remaining >= 1 {
            overflow = match &args[i + 1] {
                kind if is(kind, "wrap") => Overflow::Wrap,
                kind if is(kind, "sat") => Overflow::Sat,
                kind if is(kind, "fail") => Overflow::Fail,
                _ => return Err(Frame::error("ERR Invalid OVERFLOW type specified")),
            };
            i += 2;
            continue;
        }
        if !((is(name, "get") && remaining >= 2) || (takes_value && remaining >= 3)) {
            return Err(syntax_error());
        }
        let field = parse_field(&args[i + 1])?;
        let offset = parse_bit_offset(&args[i + 2], Some(field.bits), max_bytes)?;
        let kind = if takes_value {
            let value = parse_i64(&args[i + 3])?;
            if is(name, "set") {
                OpKind::Set(value)
            } else {
                OpKind::IncrBy(value)
            }
        } else {
            OpKind::Get
        };
        ops.push(Op {
            kind,
            field,
            offset,
            overflow,
        });
        i += if takes_value { 4 } else { 3 };
    }
    Ok(ops)
}

/// Reads `bits` bits at `offset` (bytes past the end read as zero).
fn read_bits(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, i| {
        (acc << 1) | u64::from(super::bit_at(bytes, offset + i))
    })
}

fn write_bits(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let bit = (value >> (u64::from(bits) - 1 - i)) & 1;
        let position = offset + i;
        let mask = 1u8 << (7 - (position & 7));
        let byte = &mut bytes[(position >> 3) as usize];
        *byte = if bit == 1 {
            *byte | mask
        } else {
            *byte & !mask
        };
    }
}

fn sign_extend(raw: u64, bits: u32) -> i64 {
    if bits < 64 && raw & (1 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// The field's value as a signed or unsigned integer, widened to i128 so
/// overflow checks are plain comparisons.
fn decode(raw: u64, field: Field) -> i128 {
    if field.signed {
        i128::from(sign_extend(raw, field.bits))
    } else {
        i128::from(raw)
    }
}

fn bounds(field: Field) -> (i128, i128) {
    if field.signed {
        let max = (1i128 << (field.bits - 1)) - 1;
        (-max - 1, max)
    } else {
        (0, (1i128 << field.bits) - 1)
    }
}

/// Fits `wanted` into the field under `overflow`; `None` when FAIL
/// refuses. Wrapping keeps the low bits, as two's complement does.
fn fit(wanted: i128, field: Field, overflow: Overflow) -> Option<i128> {
    let (min, max) = bounds(field);
    if (min..=max).contains(&wanted) {
        return Some(wanted);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if wanted > max { max } else { min }),
        Overflow::Wrap => {
            let low = (wanted as u128 & ((1u128 << field.bits) - 1)) as u64;
            Some(decode(low, field))
        }
    }
}

pub fn bitfield(ctx: &mut Ctx<'_>, argv: &[Bytes], read_only: bool) -> Reply {
    let limit = ctx.ks.proto_max_bulk_len;
    let ops = parse_ops(&argv[2..], limit)?;
    let key = &argv[1][..];
    let writes = ops.iter().filter(|op| op.kind != OpKind::Get);
    let Some(highest_bit) = writes
        .map(|op| op.offset + u64::from(op.field.bits) - 1)
        .max()
    else {
        return read_fields(ctx, key, &ops);
    };
    if read_only {
        return Err(Frame::error(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let mut db = selected_db(ctx);
    let (buffer, grown) = string_for_bit_write(&mut db, key, (highest_bit >> 3) as usize + 1)?;
    // Redis counts a change for each write performed on a key it created
    // or grew, or that moved a value; creating the key counts none.
    let mut changes = 0;
    let replies = ops
        .iter()
        .map(|op| {
            let raw = read_bits(buffer, op.offset, op.field.bits);
            let old = decode(raw, op.field);
            let wanted = match op.kind {
                OpKind::Get => return Frame::Integer(old as i64),
                OpKind::Set(value) => i128::from(value),
                OpKind::IncrBy(delta) => old + i128::from(delta),
            };
            let Some(new) = fit(wanted, op.field, op.overflow) else {
                return Frame::Null;
            };
            write_bits(buffer, op.offset, op.field.bits, new as u64);
            changes += usize::from(grown || new != old);
            Frame::Integer(if matches!(op.kind, OpKind::Set(_)) {
                old
            } else {
                new
            } as i64)
        })
        .collect();
    if changes > 0 {
        db.modified(key);
        db.notify(NotifyFlags::STRING, "setbit", key);
    }
    db.count_changes(changes);
    Ok(Frame::Array(replies))
}

/// The all-GET case: the key may be missing (zeros) but must be a string.
fn read_fields(ctx: &mut Ctx<'_>, key: &[u8], ops: &[Op]) -> Reply {
    let mut db = selected_db(ctx);
    let bytes = match db.lookup(key, Access::Read) {
        None => Bytes::new(),
        Some(value) => value.as_str().ok_or_else(wrong_type)?.to_bytes(),
    };
    let replies = ops
        .iter()
        .map(|op| {
            Frame::Integer(decode(read_bits(&bytes, op.offset, op.field.bits), op.field) as i64)
        })
        .collect();
    Ok(Frame::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::*;

    const U2: Field = Field {
        signed: false,
        bits: 2,
    };
    const I8: Field = Field {
        signed: true,
        bits: 8,
    };

    #[test]
    fn fit_follows_overflow_policies() {
        assert_eq!(fit(5, U2, Overflow::Wrap), Some(1));
        assert_eq!(fit(5, U2, Overflow::Sat), Some(3));
        assert_eq!(fit(5, U2, Overflow::Fail), None);
        assert_eq!(fit(-1, U2, Overflow::Wrap), Some(3));
        assert_eq!(fit(-1, U2, Overflow::Sat), Some(0));
        assert_eq!(fit(128, I8, Overflow::Wrap), Some(-128));
        assert_eq!(fit(-129, I8, Overflow::Sat), Some(-128));
        let i64_field = Field {
            signed: true,
            bits: 64,
        };
        assert_eq!(
            fit(i128::from(i64::MAX) + 1, i64_field, Overflow::Wrap),
            Some(i128::from(i64::MIN))
        );
    }

    #[test]
    fn bits_round_trip_across_bytes() {
        let mut buffer = vec![0u8; 3];
        write_bits(&mut buffer, 5, 12, 0xabc);
        assert_eq!(read_bits(&buffer, 5, 12), 0xabc);
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(read_bits(&buffer, 20, 8), 0);
    }

    #[test]
    fn field_types() {
        assert_eq!(
            parse_field(b"i64"),
            Ok(Field {
                signed: true,
                bits: 64
            })
        );
        assert_eq!(
            parse_field(b"u63"),
            Ok(Field {
                signed: false,
                bits: 63
            })
        );
        for bad in [&b"u64"[..], b"I8", b"i0", b"i", b"x8", b"i65"] {
            assert_eq!(parse_field(bad), Err(Frame::error(BAD_TYPE)));
        }
        assert_eq!(parse_bit_offset(b"#2", Some(8), 1 << 29), Ok(16));
        assert_eq!(
            parse_bit_offset(b"#2", None, 1 << 29),
            Err(super::super::bad_offset())
        );
        assert_eq!(
            parse_bit_offset(b"-1", Some(8), 1 << 29),
            Err(super::super::bad_offset())
        );
    }
}
