//! Lua BitOp (`bit`), as bundled with Redis: 32-bit operations on Lua
//! numbers, results as signed 32-bit values.

use super::{check_number, Answer, Primitive};
use mlua::{Lua, Value};

pub const PRIMITIVES: &[(&str, Primitive)] = &[
    ("tobit", tobit),
    ("bnot", bnot),
    ("band", band),
    ("bor", bor),
    ("bxor", bxor),
    ("lshift", lshift),
    ("rshift", rshift),
    ("arshift", arshift),
    ("rol", rol),
    ("ror", ror),
    ("bswap", bswap),
    ("tohex", tohex),
];

/// BitOp's `barg`: the number's low 32 bits after rounding, through the
/// same 2^52+2^51 addition trick so fractions round as BitOp rounds them.
fn to_bits(x: f64) -> u32 {
    let biased = x + 6_755_399_441_055_744.0;
    biased.to_bits() as u32
}

fn arg(args: &[Value], n: usize, name: &str) -> Result<u32, Answer> {
    check_number(args, n, name).map(to_bits)
}

fn number(bits: u32) -> Answer {
    Answer::Value(Value::Number(bits as i32 as f64))
}

macro_rules! try_arg {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(answer) => return answer,
        }
    };
}

fn tobit(_: &Lua, args: &[Value]) -> Answer {
    number(try_arg!(arg(args, 1, "tobit")))
}

fn bnot(_: &Lua, args: &[Value]) -> Answer {
    number(!try_arg!(arg(args, 1, "bnot")))
}

fn fold(args: &[Value], name: &str, op: fn(u32, u32) -> u32) -> Answer {
    let mut acc = try_arg!(arg(args, 1, name));
    for n in 2..=args.len() {
        acc = op(acc, try_arg!(arg(args, n, name)));
    }
    number(acc)
}

fn band(_: &Lua, args: &[Value]) -> Answer {
    fold(args, "band", |a, b| a & b)
}

fn bor(_: &Lua, args: &[Value]) -> Answer {
    fold(args, "bor", |a, b| a | b)
}

fn bxor(_: &Lua, args: &[Value]) -> Answer {
    fold(args, "bxor", |a, b| a ^ b)
}

fn shift(args: &[Value], name: &str, op: fn(u32, u32) -> u32) -> Answer {
    let value = try_arg!(arg(args, 1, name));
    let count = try_arg!(arg(args, 2, name)) & 31;
    number(op(value, count))
}

fn lshift(_: &Lua, args: &[Value]) -> Answer {
    shift(args, "lshift", |v, n| v << n)
}

fn rshift(_: &Lua, args: &[Value]) -> Answer {
    shift(args, "rshift", |v, n| v >> n)
}

fn arshift(_: &Lua, args: &[Value]) -> Answer {
    shift(args, "arshift", |v, n| ((v as i32) >> n) as u32)
}

fn rol(_: &Lua, args: &[Value]) -> Answer {
    shift(args, "rol", |v, n| v.rotate_left(n))
}

fn ror(_: &Lua, args: &[Value]) -> Answer {
    shift(args, "ror", |v, n| v.rotate_right(n))
}

fn bswap(_: &Lua, args: &[Value]) -> Answer {
    number(try_arg!(arg(args, 1, "bswap")).swap_bytes())
}

fn tohex(lua: &Lua, args: &[Value]) -> Answer {
    let value = try_arg!(arg(args, 1, "tohex"));
    let n = if args.len() < 2 || matches!(args[1], Value::Nil) {
        8i32
    } else {
        try_arg!(arg(args, 2, "tohex")) as i32
    };
    let upper = n < 0;
    let digits = n.unsigned_abs().min(8) as usize;
    let masked = if digits == 0 {
        0
    } else if digits == 8 {
        value
    } else {
        value & ((1u32 << (4 * digits)) - 1)
    };
    let text = if digits == 0 {
        String::new()
    } else if upper {
        format!("{masked:0digits$X}")
    } else {
        format!("{masked:0digits$x}")
    };
    match lua.create_string(text) {
        Ok(s) => Answer::Value(Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::to_bits;

    #[test]
    fn rounding_and_wrapping_match_bitop() {
        assert_eq!(to_bits(1.0), 1);
        assert_eq!(to_bits(-1.0), u32::MAX);
        assert_eq!(to_bits(4294967296.0 + 5.0), 5);
        assert_eq!(to_bits(2.5), 2);
        assert_eq!(to_bits(3.5), 4);
    }
}
