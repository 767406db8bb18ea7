//! `struct` (Roberto Ierusalimschy's struct library as bundled with
//! Redis): `pack`, `unpack`, `size` with its format language (`<` `>` `!n`
//! endianness and alignment, `b B h H l L T i[n] I[n] f d c[n] s x`) and
//! the sizes of an LP64 C ABI, in the version with Redis's security fixes
//! (offset and size checks, `integral size overflow`).

use super::{arg_error, check_integer, check_number, check_string, Answer, Primitive};
use mlua::{Lua, Value};

pub const PRIMITIVES: &[(&str, Primitive)] = &[("pack", pack), ("unpack", unpack), ("size", size)];

const MAX_INT_SIZE: usize = 32;
const MAX_ALIGN: usize = 8;
/// How many values `unpack` can push before its `luaL_checkstack` fails.
const MAX_RESULTS: usize = 7996;

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: cfg!(target_endian = "little"),
            align: 1,
        }
    }
}

struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    /// `getnum`: digits as an `int`, with struct.c's overflow error.
    fn num(&mut self, default: usize) -> Result<usize, Answer> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: i32 = 0;
        while let Some(d) = self.fmt.get(self.pos).filter(|d| d.is_ascii_digit()) {
            let digit = (d - b'0') as i32;
            if n > i32::MAX / 10 || n * 10 > i32::MAX - digit {
                return Err(Answer::Error("integral size overflow".to_string()));
            }
            n = n * 10 + digit;
            self.pos += 1;
        }
        Ok(n as usize)
    }

    fn next(&mut self) -> Option<u8> {
        let c = *self.fmt.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    fn opt_size(&mut self, opt: u8) -> Result<usize, Answer> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(1)?,
            b'i' | b'I' => {
                let size = self.num(4)?;
                if size > MAX_INT_SIZE {
                    return Err(Answer::Error(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                size
            }
            _ => 0,
        })
    }

    /// The non-data options; anything else is an invalid option.
    fn control(&mut self, opt: u8, header: &mut Header) -> Result<(), Answer> {
        match opt {
            b' ' => {}
            b'>' => header.little = false,
            b'<' => header.little = true,
            b'!' => {
                let a = self.num(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(Answer::Error(format!("alignment {a} is not a power of 2")));
                }
                header.align = a;
            }
            other => {
                return Err(arg_error(
                    1,
                    "pack",
                    &format!("invalid format option '{}'", other as char),
                ));
            }
        }
        Ok(())
    }
}

fn to_align(len: usize, header: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let value: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut bytes = vec![0u8; size];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = if i < 8 { (value >> (8 * i)) as u8 } else { 0 };
    }
    if !little {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn get_integer(data: &[u8], little: bool, signed: bool, size: usize) -> f64 {
    let mut value: u64 = 0;
    let ordered: Vec<u8> = if little {
        data.iter().rev().copied().collect()
    } else {
        data.to_vec()
    };
    for b in ordered {
        value = (value << 8) | b as u64;
    }
    if signed && size < 8 && size > 0 {
        let shift = 64 - 8 * size as u32;
        return ((value << shift) as i64 >> shift) as f64;
    }
    if signed {
        value as i64 as f64
    } else {
        value as f64
    }
}

macro_rules! attempt {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(answer) => return answer,
        }
    };
}

fn pack(lua: &Lua, args: &[Value]) -> Answer {
    let fmt = attempt!(check_string(args, 1, "pack"));
    // struct.c pushes a nil after the arguments before packing, so a
    // missing argument is reported as "got nil".
    let mut marked = args.to_vec();
    marked.push(Value::Nil);
    let args = &marked[..];
    let mut format = Format { fmt: &fmt, pos: 0 };
    let mut header = Header::default();
    let mut arg = 2;
    let mut out = Vec::new();
    while let Some(opt) = format.next() {
        let mut size = attempt!(format.opt_size(opt));
        let align = to_align(out.len(), &header, opt, size);
        out.resize(out.len() + align, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = attempt!(check_number(args, arg, "pack"));
                arg += 1;
                put_integer(&mut out, n, header.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = attempt!(check_number(args, arg, "pack")) as f32;
                arg += 1;
                out.extend_from_slice(&if header.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                });
            }
            b'd' => {
                let d = attempt!(check_number(args, arg, "pack"));
                arg += 1;
                out.extend_from_slice(&if header.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = attempt!(check_string(args, arg, "pack"));
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return arg_error(arg, "pack", "string too short");
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            other => attempt!(format.control(other, &mut header)),
        }
    }
    match lua.create_string(out) {
        Ok(s) => Answer::Value(Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

fn unpack(lua: &Lua, args: &[Value]) -> Answer {
    let fmt = attempt!(check_string(args, 1, "unpack"));
    let data = attempt!(check_string(args, 2, "unpack"));
    // `size_t pos = luaL_optinteger(L, 3, 1)`: a negative offset wraps
    // and passes the check, failing at the first option (or coming back
    // as it was when there is none).
    let offset = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => attempt!(check_integer(args, 3, "unpack")),
    };
    if offset == 0 {
        return arg_error(3, "unpack", "offset must be 1 or greater");
    }
    let mut pos = (offset as u64 as usize).wrapping_sub(1);
    let mut format = Format { fmt: &fmt, pos: 0 };
    let mut header = Header::default();
    let mut values: Vec<Value> = Vec::new();
    let text = |bytes: &[u8]| lua.create_string(bytes).map(Value::String);
    while let Some(opt) = format.next() {
        let mut size = attempt!(format.opt_size(opt));
        pos = pos.wrapping_add(to_align(pos, &header, opt, size));
        if !fits(pos, size, data.len()) {
            return arg_error(2, "unpack", "data string too short");
        }
        // luaL_checkstack(L, 1, "too many results"), at the depth Redis's
        // stack allows.
        if values.len() > MAX_RESULTS {
            return Answer::Error("stack overflow (too many results)".to_string());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                values.push(Value::Number(get_integer(
                    &data[pos..pos + size],
                    header.little,
                    signed,
                    size,
                )));
            }
            b'x' => {}
            b'f' => {
                let bytes: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or([0; 4]);
                let f = if header.little {
                    f32::from_le_bytes(bytes)
                } else {
                    f32::from_be_bytes(bytes)
                };
                values.push(Value::Number(f as f64));
            }
            b'd' => {
                let bytes: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or([0; 8]);
                let d = if header.little {
                    f64::from_le_bytes(bytes)
                } else {
                    f64::from_be_bytes(bytes)
                };
                values.push(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let previous = match values.pop() {
                        Some(Value::Number(n)) => Some(n),
                        Some(Value::String(s)) => super::parse_lua_number(&s.as_bytes()),
                        _ => None,
                    };
                    let Some(previous) = previous else {
                        return Answer::Error("format 'c0' needs a previous size".to_string());
                    };
                    // A negative size wraps, as C's size_t conversion does.
                    size = super::strtod::c_long(previous) as usize;
                    if !fits(pos, size, data.len()) {
                        return arg_error(2, "unpack", "data string too short");
                    }
                }
                values.push(attempt!(
                    text(&data[pos..pos + size]).map_err(|e| Answer::Error(e.to_string()))
                ));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Answer::Error("unfinished string in data".to_string());
                };
                size = end + 1;
                values.push(attempt!(
                    text(&data[pos..pos + end]).map_err(|e| Answer::Error(e.to_string()))
                ));
            }
            other => attempt!(format.control(other, &mut header)),
        }
        pos = pos.wrapping_add(size);
    }
    values.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Answer::Values(values)
}

/// `size <= ld && pos <= ld - size`.
fn fits(pos: usize, size: usize, len: usize) -> bool {
    size <= len && pos <= len - size
}

fn size(_: &Lua, args: &[Value]) -> Answer {
    let fmt = attempt!(check_string(args, 1, "size"));
    let mut format = Format { fmt: &fmt, pos: 0 };
    let mut header = Header::default();
    let mut total = 0usize;
    while let Some(opt) = format.next() {
        let size = attempt!(format.opt_size(opt));
        total = total.saturating_add(to_align(total, &header, opt, size));
        if opt == b's' {
            return arg_error(1, "size", "option 's' has no fixed size");
        }
        if opt == b'c' && size == 0 {
            return arg_error(1, "size", "option 'c0' has no fixed size");
        }
        // Letters struct.size does not know count for nothing.
        if !opt.is_ascii_alphanumeric() {
            attempt!(format.control(opt, &mut header));
        }
        total = total.saturating_add(size);
    }
    Answer::Value(Value::Number(total as f64))
}
