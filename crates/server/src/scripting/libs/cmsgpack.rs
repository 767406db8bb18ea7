//! `cmsgpack` (lua-cmsgpack 0.4 as bundled with Redis): `pack` and
//! `unpack`, with its integer/float width choices, array detection (keys
//! exactly 1..n) and nesting limit (deeper values pack as nil).

use super::{check_string, Answer, Primitive};
use mlua::{Lua, Table, Value};

pub const PRIMITIVES: &[(&str, Primitive)] = &[
    ("pack", pack),
    ("unpack", unpack),
    ("unpack_one", unpack_one),
    ("unpack_limit", unpack_limit),
];

const MAX_NESTING: usize = 16;

fn pack(lua: &Lua, args: &[Value]) -> Answer {
    if args.is_empty() {
        return super::arg_error(0, "pack", "MessagePack pack needs input.");
    }
    let mut out = Vec::new();
    for value in args {
        encode(value, 0, &mut out);
    }
    match lua.create_string(out) {
        Ok(s) => Answer::Value(Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

fn encode(value: &Value, level: usize, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => encode_int(*n, out),
        Value::Number(n) => {
            if n.fract() == 0.0 && *n >= i64::MIN as f64 && *n < i64::MAX as f64 {
                encode_int(*n as i64, out);
            } else {
                let f = *n as f32;
                if f as f64 == *n {
                    out.push(0xca);
                    out.extend_from_slice(&f.to_be_bytes());
                } else {
                    out.push(0xcb);
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
        }
        Value::Table(t) if level < MAX_NESTING => encode_table(t, level + 1, out),
        _ => out.push(0xc0),
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let len = bytes.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) {
    let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
    let mut max = 0usize;
    let mut array = true;
    for (key, _) in &pairs {
        let n = match key {
            Value::Number(n) => *n,
            Value::Integer(n) => *n as f64,
            _ => {
                array = false;
                break;
            }
        };
        if n.fract() != 0.0 || n < 1.0 {
            array = false;
            break;
        }
        max = max.max(n as usize);
    }
    if array && max == pairs.len() {
        let len = max;
        if len < 16 {
            out.push(0x90 | len as u8);
        } else if len <= 0xffff {
            out.push(0xdc);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0xdd);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        for i in 1..=len {
            let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
            encode(&v, level, out);
        }
        return;
    }
    let len = pairs.len();
    if len < 16 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0xde);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    for (key, value) in &pairs {
        encode(key, level, out);
        encode(value, level, out);
    }
}

const MISSING: &str = "Missing bytes in input.";
const BAD: &str = "Bad data format in input.";

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

/// Nesting beyond which decoding stops, where lua-cmsgpack runs out of
/// Lua stack.
const MAX_DECODE_DEPTH: usize = 1000;

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        if self.data.len() - self.pos < n {
            return Err(MISSING);
        }
        let slice = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, &'static str> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | *b as u64))
    }

    fn string(&mut self, len: usize) -> Result<Value, &'static str> {
        let bytes = self.take(len)?.to_vec();
        self.lua
            .create_string(bytes)
            .map(Value::String)
            .map_err(|_| BAD)
    }

    fn nest(&mut self, function: &'static str) -> Result<(), &'static str> {
        self.depth += 1;
        if self.depth > MAX_DECODE_DEPTH {
            return Err(function);
        }
        Ok(())
    }

    fn array(&mut self, len: usize) -> Result<Value, &'static str> {
        self.nest("stack overflow (in function mp_decode_to_lua_array)")?;
        let table = self.lua.create_table().map_err(|_| BAD)?;
        for i in 1..=len {
            let v = self.value()?;
            table.raw_set(i, v).map_err(|_| BAD)?;
        }
        self.depth -= 1;
        Ok(Value::Table(table))
    }

    fn map(&mut self, len: usize) -> Result<Value, &'static str> {
        self.nest("stack overflow (in function mp_decode_to_lua_hash)")?;
        let table = self.lua.create_table().map_err(|_| BAD)?;
        for _ in 0..len {
            let k = self.value()?;
            let v = self.value()?;
            // A nil key cannot be stored; lua-cmsgpack's lua_settable
            // would raise, Redis then reports the error.
            if matches!(k, Value::Nil) {
                return Err(BAD);
            }
            table.raw_set(k, v).map_err(|_| BAD)?;
        }
        self.depth -= 1;
        Ok(Value::Table(table))
    }

    fn value(&mut self) -> Result<Value, &'static str> {
        let tag = self.take(1)?[0];
        Ok(match tag {
            0x00..=0x7f => Value::Number(tag as f64),
            0x80..=0x8f => return self.map((tag & 0x0f) as usize),
            0x90..=0x9f => return self.array((tag & 0x0f) as usize),
            0xa0..=0xbf => return self.string((tag & 0x1f) as usize),
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4 | 0xd9 => {
                let n = self.uint(1)? as usize;
                return self.string(n);
            }
            0xc5 | 0xda => {
                let n = self.uint(2)? as usize;
                return self.string(n);
            }
            0xc6 | 0xdb => {
                let n = self.uint(4)? as usize;
                return self.string(n);
            }
            0xca => Value::Number(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Value::Number(f64::from_bits(self.uint(8)?)),
            0xcc => Value::Number(self.uint(1)? as f64),
            0xcd => Value::Number(self.uint(2)? as f64),
            0xce => Value::Number(self.uint(4)? as f64),
            0xcf => Value::Number(self.uint(8)? as f64),
            0xd0 => Value::Number(self.uint(1)? as u8 as i8 as f64),
            0xd1 => Value::Number(self.uint(2)? as u16 as i16 as f64),
            0xd2 => Value::Number(self.uint(4)? as u32 as i32 as f64),
            0xd3 => Value::Number(self.uint(8)? as i64 as f64),
            0xdc => {
                let n = self.uint(2)? as usize;
                return self.array(n);
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                return self.array(n);
            }
            0xde => {
                let n = self.uint(2)? as usize;
                return self.map(n);
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                return self.map(n);
            }
            0xe0..=0xff => Value::Number(tag as i8 as f64),
            _ => return Err(BAD),
        })
    }
}

/// Decodes up to `limit` objects (0: all) starting at byte `offset`.
fn decode(
    lua: &Lua,
    args: &[Value],
    name: &str,
    limit: usize,
    offset: usize,
) -> Result<(Vec<Value>, usize), Answer> {
    let data = check_string(args, 1, name)?;
    let mut decoder = Decoder {
        lua,
        data: &data,
        pos: offset.min(data.len()),
        depth: 0,
    };
    let mut values = Vec::new();
    while decoder.pos < data.len() && (limit == 0 || values.len() < limit) {
        match decoder.value() {
            Ok(v) => values.push(v),
            Err(message) => return Err(Answer::Error(message.to_string())),
        }
    }
    Ok((values, decoder.pos))
}

fn unpack(lua: &Lua, args: &[Value]) -> Answer {
    match decode(lua, args, "unpack", 0, 0) {
        Ok((values, _)) => Answer::Values(values),
        Err(answer) => answer,
    }
}

/// `unpack_one(s [, offset])` / `unpack_limit(s, limit [, offset])`: the
/// next offset (-1 at the end) followed by the objects.
fn limited(lua: &Lua, args: &[Value], name: &str, limit: usize, offset_arg: usize) -> Answer {
    let offset = match args.get(offset_arg - 1) {
        None | Some(Value::Nil) => 0,
        Some(_) => match super::check_number(args, offset_arg, name) {
            Ok(n) => n.max(0.0) as usize,
            Err(answer) => return answer,
        },
    };
    match decode(lua, args, name, limit, offset) {
        Ok((mut values, pos)) => {
            let len = match &args[0] {
                Value::String(s) => s.as_bytes().len(),
                _ => 0,
            };
            let next = if pos >= len { -1.0 } else { pos as f64 };
            values.insert(0, Value::Number(next));
            Answer::Values(values)
        }
        Err(answer) => answer,
    }
}

fn unpack_one(lua: &Lua, args: &[Value]) -> Answer {
    limited(lua, args, "unpack_one", 1, 2)
}

fn unpack_limit(lua: &Lua, args: &[Value]) -> Answer {
    let limit = match super::check_number(args, 2, "unpack_limit") {
        Ok(n) => n.max(0.0) as usize,
        Err(answer) => return answer,
    };
    limited(lua, args, "unpack_limit", limit, 3)
}
