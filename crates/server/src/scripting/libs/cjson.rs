//! `cjson` (lua-cjson 2.1.0 as bundled with Redis): `encode`, `decode`,
//! `null`, `new`, `_NAME`, `_VERSION` and the configuration functions,
//! with lua-cjson's number format (`%.<precision>g`), escapes (including
//! `\/`), sparse-array rule, strtod number syntax and error texts.
//!
//! As in lua-cjson, the configuration belongs to one `cjson` table (the
//! functions share it as their upvalue): it lives as long as the VM, so it
//! persists across scripts until `SCRIPT FLUSH` makes a new VM, and each
//! `cjson.new()` starts another one with the defaults.

use super::strtod::{c_int as c_int_of, strtod_prefix};
use super::{arg_error, check_integer, check_string, format_g, Answer};
use mlua::{ffi, Lua, Table, Value};
use parking_lot::Mutex;
use std::os::raw::{c_char, c_int};
use std::sync::Arc;

/// lua-cjson's `json_config_t`, settings as `json_enum_option` and
/// `json_integer_option` store them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// 0 or 1: encode excessively sparse arrays as objects.
    pub sparse_convert: i32,
    pub sparse_ratio: i32,
    pub sparse_safe: i32,
    pub encode_max_depth: i32,
    pub decode_max_depth: i32,
    /// 0 off (an error), 1 on (`inf`, `nan`), 2 `null`.
    pub encode_invalid_numbers: i32,
    pub encode_number_precision: i32,
    pub encode_keep_buffer: i32,
    /// 0 or 1: accept hex numbers, `inf`, `nan`, `+1`, `01`...
    pub decode_invalid_numbers: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            decode_invalid_numbers: 1,
        }
    }
}

type Shared = Arc<Mutex<Config>>;
type Method = fn(&Lua, &Shared, &[Value]) -> Answer;

/// `lua_cjson_new`'s registrations, in its order (which `pairs` shows).
const FUNCTIONS: &[(&str, Method)] = &[
    ("encode", encode),
    ("decode", decode),
    ("encode_sparse_array", encode_sparse_array),
    ("encode_max_depth", encode_max_depth),
    ("decode_max_depth", decode_max_depth),
    ("encode_number_precision", encode_number_precision),
    ("encode_keep_buffer", encode_keep_buffer),
    ("encode_invalid_numbers", encode_invalid_numbers),
    ("decode_invalid_numbers", decode_invalid_numbers),
    ("new", new),
];

/// `cjson.null` is a light userdata holding NULL.
pub fn null() -> Value {
    Value::LightUserData(mlua::LightUserData(std::ptr::null_mut()))
}

/// A `cjson` table with a configuration of its own (`lua_cjson_new`).
pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let config: Shared = Arc::default();
    let table = lua.create_table()?;
    for (name, function) in FUNCTIONS {
        let (config, function) = (config.clone(), *function);
        let lifted = super::lifted(lua, move |lua, args| function(lua, &config, args))?;
        table.raw_set(*name, lifted)?;
    }
    table.raw_set("null", null())?;
    table.raw_set("_NAME", "cjson")?;
    table.raw_set("_VERSION", "2.1.0")?;
    Ok(table)
}

fn new(lua: &Lua, _: &Shared, _: &[Value]) -> Answer {
    match library(lua) {
        Ok(table) => Answer::Value(Value::Table(table)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

// ===== Configuration =====

/// What a configuration function answers for one setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Bool(bool),
    Name(&'static str),
    Int(i32),
}

/// `json_arg_init`: at most `count` arguments, missing ones are nil.
fn arg_init(args: &[Value], count: usize) -> Result<Vec<Value>, Answer> {
    if args.len() > count {
        return Err(arg_error(count + 1, "", "found too many arguments"));
    }
    let mut padded = args.to_vec();
    padded.resize(count, Value::Nil);
    Ok(padded)
}

/// `json_enum_option`: `options[setting]` names the settings; with
/// `bool_true`, a boolean sets 0 or `bool_true` and those two settings
/// read back as booleans.
fn enum_option(
    args: &[Value],
    index: usize,
    setting: &mut i32,
    options: &[&'static str],
    bool_true: i32,
) -> Result<Reply, Answer> {
    match &args[index - 1] {
        Value::Nil => {}
        Value::Boolean(b) if bool_true != 0 => *setting = *b as i32 * bool_true,
        _ => {
            // luaL_checkoption: the C string, compared with strcmp.
            let text = check_string(args, index, "")?;
            let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
            match options.iter().position(|o| o.as_bytes() == text) {
                Some(i) => *setting = i as i32,
                None => {
                    let message = format!("invalid option '{}'", String::from_utf8_lossy(text));
                    return Err(arg_error(index, "", &message));
                }
            }
        }
    }
    Ok(
        if bool_true != 0 && (*setting == 0 || *setting == bool_true) {
            Reply::Bool(*setting != 0)
        } else {
            Reply::Name(options[*setting as usize])
        },
    )
}

const BOOL_OPTIONS: &[&str] = &["off", "on"];
const INVALID_NUMBER_OPTIONS: &[&str] = &["off", "on", "null"];

/// `json_integer_option`: the range error names argument 1 whichever
/// argument it is, as lua-cjson does.
fn integer_option(
    args: &[Value],
    index: usize,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> Result<Reply, Answer> {
    if !matches!(args[index - 1], Value::Nil) {
        // `int value = luaL_checkinteger(...)` keeps the low 32 bits.
        let value = check_integer(args, index, "")? as i32;
        if !(min..=max).contains(&value) {
            let message = format!("expected integer between {min} and {max}");
            return Err(arg_error(1, "", &message));
        }
        *setting = value;
    }
    Ok(Reply::Int(*setting))
}

/// Which configuration function.
#[derive(Clone, Copy, Debug)]
pub enum Setting {
    EncodeSparseArray,
    EncodeMaxDepth,
    DecodeMaxDepth,
    EncodeNumberPrecision,
    EncodeKeepBuffer,
    EncodeInvalidNumbers,
    DecodeInvalidNumbers,
}

/// Runs a configuration function on `config`. Settings applied before an
/// argument error stay, as in lua-cjson.
pub fn configure(
    option: Setting,
    config: &mut Config,
    args: &[Value],
) -> Result<Vec<Reply>, Answer> {
    use Setting::*;
    let count = if matches!(option, EncodeSparseArray) {
        3
    } else {
        1
    };
    let args = arg_init(args, count)?;
    let c = config;
    Ok(match option {
        EncodeSparseArray => vec![
            enum_option(&args, 1, &mut c.sparse_convert, BOOL_OPTIONS, 1)?,
            integer_option(&args, 2, &mut c.sparse_ratio, 0, i32::MAX)?,
            integer_option(&args, 3, &mut c.sparse_safe, 0, i32::MAX)?,
        ],
        EncodeMaxDepth => vec![integer_option(
            &args,
            1,
            &mut c.encode_max_depth,
            1,
            i32::MAX,
        )?],
        DecodeMaxDepth => vec![integer_option(
            &args,
            1,
            &mut c.decode_max_depth,
            1,
            i32::MAX,
        )?],
        EncodeNumberPrecision => {
            vec![integer_option(
                &args,
                1,
                &mut c.encode_number_precision,
                1,
                14,
            )?]
        }
        // Only the setting: there is no encoding buffer to keep.
        EncodeKeepBuffer => vec![enum_option(
            &args,
            1,
            &mut c.encode_keep_buffer,
            BOOL_OPTIONS,
            1,
        )?],
        EncodeInvalidNumbers => vec![enum_option(
            &args,
            1,
            &mut c.encode_invalid_numbers,
            INVALID_NUMBER_OPTIONS,
            1,
        )?],
        DecodeInvalidNumbers => vec![enum_option(
            &args,
            1,
            &mut c.decode_invalid_numbers,
            BOOL_OPTIONS,
            1,
        )?],
    })
}

fn configuration(lua: &Lua, option: Setting, config: &Shared, args: &[Value]) -> Answer {
    let replies = match configure(option, &mut config.lock(), args) {
        Ok(replies) => replies,
        Err(answer) => return answer,
    };
    let mut values = Vec::with_capacity(replies.len());
    for reply in replies {
        values.push(match reply {
            Reply::Bool(b) => Value::Boolean(b),
            Reply::Int(n) => Value::Number(n as f64),
            Reply::Name(name) => match lua.create_string(name) {
                Ok(s) => Value::String(s),
                Err(e) => return Answer::Error(e.to_string()),
            },
        });
    }
    Answer::Values(values)
}

macro_rules! configuration_functions {
    ($($name:ident => $option:ident),* $(,)?) => {
        $(fn $name(lua: &Lua, config: &Shared, args: &[Value]) -> Answer {
            configuration(lua, Setting::$option, config, args)
        })*
    };
}

configuration_functions! {
    encode_sparse_array => EncodeSparseArray,
    encode_max_depth => EncodeMaxDepth,
    decode_max_depth => DecodeMaxDepth,
    encode_number_precision => EncodeNumberPrecision,
    encode_keep_buffer => EncodeKeepBuffer,
    encode_invalid_numbers => EncodeInvalidNumbers,
    decode_invalid_numbers => DecodeInvalidNumbers,
}

// ===== Encoding =====
//
// The encoder and the decoder work on the Lua stack as lua-cjson does, in
// a C frame of their own (`exec_raw`) holding what lua-cjson's holds (the
// one argument): their `lua_checkstack` calls fail at the same nesting as
// Redis's, and deep documents use no registry references.

fn encode(lua: &Lua, config: &Shared, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return arg_error(1, "encode", "expected 1 argument");
    }
    let config = *config.lock();
    let mut out = Vec::new();
    let mut failure = None;
    // SAFETY: the closure runs in a protected C frame holding the one
    // argument; it uses balanced stack operations on that frame and leaves
    // it empty. A Lua error there (out of memory only: no metamethod or
    // hook runs) is caught by exec_raw; the frames it skips own nothing.
    let done = unsafe {
        lua.exec_raw::<()>(args[0].clone(), |state| {
            let mut encoder = Encoder {
                state,
                config,
                out: &mut out,
            };
            if let Err(message) = encoder.value(0) {
                failure = Some(message);
            }
            ffi::lua_settop(state, 0);
        })
    };
    if let Err(e) = done {
        return Answer::Error(e.to_string());
    }
    if let Some(message) = failure {
        return Answer::Error(message);
    }
    match lua.create_string(out) {
        Ok(s) => Answer::Value(Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

struct Encoder<'a> {
    state: *mut ffi::lua_State,
    config: Config,
    out: &'a mut Vec<u8>,
}

/// `lua_typename` of a type tag.
fn type_name_of(kind: c_int) -> &'static str {
    match kind {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "userdata",
    }
}

impl Encoder<'_> {
    /// `json_append_data`: the value on top of the stack.
    unsafe fn value(&mut self, depth: i32) -> Result<(), String> {
        let l = self.state;
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => self.string(-1),
            ffi::LUA_TNUMBER => self.number(ffi::lua_tonumber(l, -1))?,
            ffi::LUA_TBOOLEAN => {
                let text: &[u8] = if ffi::lua_toboolean(l, -1) != 0 {
                    b"true"
                } else {
                    b"false"
                };
                self.out.extend_from_slice(text);
            }
            ffi::LUA_TTABLE => {
                let depth = depth + 1;
                if depth > self.config.encode_max_depth || ffi::lua_checkstack(l, 3) == 0 {
                    return Err(format!("Cannot serialise, excessive nesting ({depth})"));
                }
                let length = self.array_length()?;
                if length > 0 {
                    self.array(depth, length)?;
                } else {
                    self.object(depth)?;
                }
            }
            ffi::LUA_TNIL => self.out.extend_from_slice(b"null"),
            ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
                self.out.extend_from_slice(b"null")
            }
            kind => {
                return Err(format!(
                    "Cannot serialise {}: type not supported",
                    type_name_of(kind)
                ))
            }
        }
        Ok(())
    }

    unsafe fn string(&mut self, index: c_int) {
        let mut len = 0usize;
        let data = ffi::lua_tolstring(self.state, index, &mut len);
        let bytes: &[u8] = if data.is_null() {
            &[]
        } else {
            std::slice::from_raw_parts(data as *const u8, len)
        };
        escape(bytes, self.out);
    }

    /// `json_append_number`.
    fn number(&mut self, x: f64) -> Result<(), String> {
        match self.config.encode_invalid_numbers {
            0 if !x.is_finite() => {
                return Err("Cannot serialise number: must not be NaN or Inf".to_string())
            }
            1 if x.is_nan() => {
                // Never "-nan".
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            2 if !x.is_finite() => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let precision = self.config.encode_number_precision.max(1) as usize;
        self.out
            .extend_from_slice(format_g(x, precision).as_bytes());
        Ok(())
    }

    /// `lua_array_length` of the table on top: its length, or -1 for an
    /// object (a key other than an integral number >= 1, or an excessively
    /// sparse array when those convert). The maximum is a C `int`: a huge
    /// key makes it negative, the table an object.
    unsafe fn array_length(&mut self) -> Result<i32, String> {
        let l = self.state;
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER {
                let k = ffi::lua_tonumber(l, -2);
                if k != 0.0 && k.floor() == k && k >= 1.0 {
                    if k > max as f64 {
                        max = c_int_of(k);
                    }
                    items = items.wrapping_add(1);
                    ffi::lua_pop(l, 1);
                    continue;
                }
            }
            ffi::lua_pop(l, 2);
            return Ok(-1);
        }
        let c = &self.config;
        if c.sparse_ratio > 0 && max > items.wrapping_mul(c.sparse_ratio) && max > c.sparse_safe {
            if c.sparse_convert == 0 {
                return Err("Cannot serialise table: excessively sparse array".to_string());
            }
            return Ok(-1);
        }
        Ok(max)
    }

    unsafe fn array(&mut self, depth: i32, length: i32) -> Result<(), String> {
        let l = self.state;
        self.out.push(b'[');
        for i in 1..=length {
            if i > 1 {
                self.out.push(b',');
            }
            ffi::lua_rawgeti_(l, -1, i);
            self.value(depth)?;
            ffi::lua_pop(l, 1);
        }
        self.out.push(b']');
        Ok(())
    }

    unsafe fn object(&mut self, depth: i32) -> Result<(), String> {
        let l = self.state;
        self.out.push(b'{');
        ffi::lua_pushnil(l);
        let mut comma = false;
        while ffi::lua_next(l, -2) != 0 {
            if comma {
                self.out.push(b',');
            }
            comma = true;
            match ffi::lua_type(l, -2) {
                ffi::LUA_TNUMBER => {
                    self.out.push(b'"');
                    self.number(ffi::lua_tonumber(l, -2))?;
                    self.out.extend_from_slice(b"\":");
                }
                ffi::LUA_TSTRING => {
                    self.string(-2);
                    self.out.push(b':');
                }
                kind => {
                    return Err(format!(
                        "Cannot serialise {}: table key must be a number or string",
                        type_name_of(kind)
                    ))
                }
            }
            self.value(depth)?;
            ffi::lua_pop(l, 1);
        }
        self.out.push(b'}');
        Ok(())
    }
}

fn escape(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in text {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

// ===== Decoding =====

fn decode(lua: &Lua, config: &Shared, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return arg_error(1, "decode", "expected 1 argument");
    }
    let text = match check_string(args, 1, "decode") {
        Ok(text) => text,
        Err(answer) => return answer,
    };
    // RFC 4627's encoding detection: only the first character is sure to
    // be ASCII.
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Answer::Error("JSON parser does not support UTF-16 or UTF-32".to_string());
    }
    // lua-cjson reads a C string: a NUL ends the document.
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let config = *config.lock();
    let mut tmp = Vec::new();
    let mut failure = None;
    // SAFETY: as in `encode`; the frame holds one placeholder (where
    // lua-cjson's holds the string), the document's value replaces it.
    let decoded = unsafe {
        lua.exec_raw::<Value>(Value::Nil, |state| {
            let mut parser = Parser {
                state,
                config,
                text: &text[..end],
                pos: 0,
                depth: 0,
                tmp: &mut tmp,
            };
            match parser.document() {
                Ok(()) => {
                    ffi::lua_replace(state, 1);
                    ffi::lua_settop(state, 1);
                }
                Err(message) => {
                    failure = Some(message);
                    ffi::lua_settop(state, 0);
                }
            }
        })
    };
    match (decoded, failure) {
        (Err(e), _) => Answer::Error(e.to_string()),
        (Ok(_), Some(message)) => Answer::Error(message),
        (Ok(value), None) => Answer::Value(value),
    }
}

struct Parser<'a> {
    state: *mut ffi::lua_State,
    config: Config,
    text: &'a [u8],
    pos: usize,
    depth: i32,
    /// The last string token's bytes (lua-cjson's `json->tmp`).
    tmp: &'a mut Vec<u8>,
}

/// lua-cjson's tokens, named as its error messages name them.
#[derive(Clone, Copy)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    /// In `Parser::tmp`.
    Str,
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str => "T_STRING",
            Token::Num(_) => "T_NUMBER",
            Token::Bool(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(message) => message,
        }
    }
}

impl Parser<'_> {
    /// Leaves the document's value on the stack.
    unsafe fn document(&mut self) -> Result<(), String> {
        let (start, token) = self.next_token();
        self.value(start, token)?;
        let (at, token) = self.next_token();
        if !matches!(token, Token::End) {
            return Err(expected("the end", &token, at));
        }
        Ok(())
    }

    /// `json_process_value`: pushes the value `token` starts.
    unsafe fn value(&mut self, at: usize, token: Token) -> Result<(), String> {
        let l = self.state;
        match token {
            Token::Str => {
                ffi::lua_pushlstring(l, self.tmp.as_ptr() as *const c_char, self.tmp.len());
            }
            Token::Num(n) => ffi::lua_pushnumber(l, n),
            Token::Bool(b) => ffi::lua_pushboolean(l, b as c_int),
            Token::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
            Token::ObjBegin => self.object()?,
            Token::ArrBegin => self.array()?,
            other => return Err(expected("value", &other, at)),
        }
        Ok(())
    }

    /// `json_decode_descend`: `slots` for the table and what it holds
    /// while a value is parsed.
    unsafe fn descend(&mut self, slots: c_int) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.config.decode_max_depth || ffi::lua_checkstack(self.state, slots) == 0
        {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            ));
        }
        Ok(())
    }

    unsafe fn object(&mut self) -> Result<(), String> {
        let l = self.state;
        self.descend(3)?;
        ffi::lua_newtable(l);
        let (mut at, mut token) = self.next_token();
        if matches!(token, Token::ObjEnd) {
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if !matches!(token, Token::Str) {
                return Err(expected("object key string", &token, at));
            }
            ffi::lua_pushlstring(l, self.tmp.as_ptr() as *const c_char, self.tmp.len());
            let (at_colon, colon) = self.next_token();
            if !matches!(colon, Token::Colon) {
                return Err(expected("colon", &colon, at_colon));
            }
            let (at_value, value) = self.next_token();
            self.value(at_value, value)?;
            ffi::lua_rawset(l, -3);
            let (at_sep, sep) = self.next_token();
            match sep {
                Token::ObjEnd => break,
                Token::Comma => {}
                other => return Err(expected("comma or object end", &other, at_sep)),
            }
            (at, token) = self.next_token();
        }
        self.depth -= 1;
        Ok(())
    }

    unsafe fn array(&mut self) -> Result<(), String> {
        let l = self.state;
        self.descend(2)?;
        ffi::lua_newtable(l);
        let (mut at, mut token) = self.next_token();
        if matches!(token, Token::ArrEnd) {
            self.depth -= 1;
            return Ok(());
        }
        let mut i: c_int = 1;
        loop {
            self.value(at, token)?;
            ffi::lua_rawseti_(l, -2, i);
            i = i.wrapping_add(1);
            let (at_sep, sep) = self.next_token();
            match sep {
                Token::ArrEnd => break,
                Token::Comma => {}
                other => return Err(expected("comma or array end", &other, at_sep)),
            }
            (at, token) = self.next_token();
        }
        self.depth -= 1;
        Ok(())
    }

    /// `json_next_token`: the token and where it is. An error token is
    /// where scanning stopped: a string's bad escape is located at its
    /// backslash, an unterminated string at its end.
    fn next_token(&mut self) -> (usize, Token) {
        while self.pos < self.text.len()
            && matches!(self.text[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(&c) = self.text.get(self.pos) else {
            return (at, Token::End);
        };
        let token = match c {
            b'{' => Token::ObjBegin,
            b'}' => Token::ObjEnd,
            b'[' => Token::ArrBegin,
            b']' => Token::ArrEnd,
            b':' => Token::Colon,
            b',' => Token::Comma,
            b'"' => return self.string(),
            b'-' | b'0'..=b'9' => {
                if self.config.decode_invalid_numbers == 0 && self.invalid_number() {
                    return (at, Token::Error("invalid number"));
                }
                return self.number();
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let rest = &self.text[self.pos..];
                for (word, token) in [
                    (&b"true"[..], Token::Bool(true)),
                    (b"false", Token::Bool(false)),
                    (b"null", Token::Null),
                ] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return (at, token);
                    }
                }
                // Inf, NaN and '+': numbers only when invalid numbers are
                // allowed.
                if self.config.decode_invalid_numbers != 0 && self.invalid_number() {
                    return self.number();
                }
                return (at, Token::Error("invalid token"));
            }
            _ => return (at, Token::Error("invalid token")),
        };
        self.pos += 1;
        (at, token)
    }

    /// `json_is_invalid_number`: what strtod accepts beyond JSON (a
    /// leading '+', hex, leading zeros, inf, nan), judged by the start.
    fn invalid_number(&self) -> bool {
        let p = &self.text[self.pos..];
        let at = |i: usize| p.get(i).copied().unwrap_or(0);
        if at(0) == b'+' {
            return true;
        }
        let i = usize::from(at(0) == b'-');
        if at(i) == b'0' {
            let next = at(i + 1);
            return next | 0x20 == b'x' || next.is_ascii_digit();
        }
        if at(i) <= b'9' {
            return false;
        }
        let rest = &p[i..];
        rest.len() >= 3
            && (rest[..3].eq_ignore_ascii_case(b"inf") || rest[..3].eq_ignore_ascii_case(b"nan"))
    }

    /// `json_next_number_token`: whatever strtod takes.
    fn number(&mut self) -> (usize, Token) {
        let at = self.pos;
        match strtod_prefix(&self.text[self.pos..]) {
            Some((n, used)) => {
                self.pos += used;
                (at, Token::Num(n))
            }
            None => (at, Token::Error("invalid number")),
        }
    }

    /// `json_next_string_token`, at the opening quote.
    fn string(&mut self) -> (usize, Token) {
        let at = self.pos;
        self.pos += 1;
        self.tmp.clear();
        loop {
            let Some(&c) = self.text.get(self.pos) else {
                return (self.pos, Token::Error("unexpected end of string"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return (at, Token::Str);
                }
                b'\\' => {
                    let translated = match self.text.get(self.pos + 1) {
                        Some(b'u') => {
                            if self.unicode_escape() {
                                continue;
                            }
                            return (self.pos, Token::Error("invalid unicode escape code"));
                        }
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => 8,
                        Some(b'f') => 12,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        _ => return (self.pos, Token::Error("invalid escape code")),
                    };
                    self.tmp.push(translated);
                    self.pos += 2;
                }
                _ => {
                    self.tmp.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn hex4(&self, from: usize) -> Option<u32> {
        let digits = self.text.get(from..from + 4)?;
        digits.iter().try_fold(0u32, |value, &d| {
            (d as char).to_digit(16).map(|d| (value << 4) | d)
        })
    }

    /// `json_append_unicode_escape` at a `\u`: appends the UTF-8 and moves
    /// past the escape (two for a surrogate pair), or fails in place.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut codepoint) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut length = 6;
        if codepoint & 0xF800 == 0xD800 {
            // A low surrogate first, or a high one alone, is an error.
            if codepoint & 0x400 != 0
                || self.text.get(self.pos + 6..self.pos + 8) != Some(&b"\\u"[..])
            {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            length = 12;
        }
        let Some(ch) = char::from_u32(codepoint) else {
            return false;
        };
        let mut buf = [0u8; 4];
        self.tmp
            .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        self.pos += length;
        true
    }
}

fn expected(what: &str, found: &Token, at: usize) -> String {
    format!(
        "Expected {what} but found {} at character {}",
        found.name(),
        at + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lua: &Lua, s: &[u8]) -> Value {
        Value::String(lua.create_string(s).unwrap())
    }

    fn arg_error_of(result: Result<Vec<Reply>, Answer>) -> (usize, String) {
        match result {
            Err(Answer::ArgError(n, message)) => (n, message),
            Err(_) => panic!("not an argument error"),
            Ok(replies) => panic!("no error: {replies:?}"),
        }
    }

    #[test]
    fn reading_the_defaults() {
        let mut c = Config::default();
        let read = |c: &mut Config, setting| configure(setting, c, &[]).unwrap();
        assert_eq!(
            read(&mut c, Setting::EncodeSparseArray),
            [Reply::Bool(false), Reply::Int(2), Reply::Int(10)]
        );
        assert_eq!(read(&mut c, Setting::EncodeMaxDepth), [Reply::Int(1000)]);
        assert_eq!(read(&mut c, Setting::DecodeMaxDepth), [Reply::Int(1000)]);
        assert_eq!(
            read(&mut c, Setting::EncodeNumberPrecision),
            [Reply::Int(14)]
        );
        assert_eq!(
            read(&mut c, Setting::EncodeInvalidNumbers),
            [Reply::Bool(false)]
        );
        assert_eq!(
            read(&mut c, Setting::DecodeInvalidNumbers),
            [Reply::Bool(true)]
        );
        assert_eq!(read(&mut c, Setting::EncodeKeepBuffer), [Reply::Bool(true)]);
        assert_eq!(c, Config::default());
    }

    #[test]
    fn enum_options_take_booleans_and_names() {
        let lua = Lua::new();
        let mut c = Config::default();
        let set = |c: &mut Config, setting, arg: Value| configure(setting, c, &[arg]);
        assert_eq!(
            set(&mut c, Setting::EncodeSparseArray, text(&lua, b"on")).unwrap(),
            [Reply::Bool(true), Reply::Int(2), Reply::Int(10)]
        );
        assert_eq!(c.sparse_convert, 1);
        let result = set(&mut c, Setting::EncodeKeepBuffer, Value::Boolean(false));
        assert_eq!(result.unwrap(), [Reply::Bool(false)]);
        // strcmp on the C string: what follows a NUL does not count.
        let result = set(&mut c, Setting::EncodeKeepBuffer, text(&lua, b"on\0x"));
        assert_eq!(result.unwrap(), [Reply::Bool(true)]);
        let result = set(&mut c, Setting::EncodeInvalidNumbers, text(&lua, b"null"));
        assert_eq!(result.unwrap(), [Reply::Name("null")]);
        assert_eq!(c.encode_invalid_numbers, 2);
        let result = set(&mut c, Setting::EncodeInvalidNumbers, Value::Boolean(true));
        assert_eq!(result.unwrap(), [Reply::Bool(true)]);
        // Nil leaves the setting as it is.
        let result = set(&mut c, Setting::EncodeInvalidNumbers, Value::Nil);
        assert_eq!(result.unwrap(), [Reply::Bool(true)]);
    }

    #[test]
    fn enum_option_errors() {
        let lua = Lua::new();
        let mut c = Config::default();
        let result = configure(
            Setting::DecodeInvalidNumbers,
            &mut c,
            &[text(&lua, b"null")],
        );
        assert_eq!(
            arg_error_of(result),
            (1, "invalid option 'null'".to_string())
        );
        let result = configure(Setting::EncodeKeepBuffer, &mut c, &[Value::Number(1.0)]);
        assert_eq!(arg_error_of(result), (1, "invalid option '1'".to_string()));
        let table = Value::Table(lua.create_table().unwrap());
        let result = configure(Setting::EncodeKeepBuffer, &mut c, &[table]);
        assert_eq!(
            arg_error_of(result),
            (1, "string expected, got table".to_string())
        );
        let args = [Value::Boolean(true), Value::Nil];
        let result = configure(Setting::EncodeKeepBuffer, &mut c, &args);
        assert_eq!(
            arg_error_of(result),
            (2, "found too many arguments".to_string())
        );
        let args = [Value::Nil, Value::Nil, Value::Nil, Value::Nil];
        let result = configure(Setting::EncodeSparseArray, &mut c, &args);
        assert_eq!(
            arg_error_of(result),
            (4, "found too many arguments".to_string())
        );
        assert_eq!(c, Config::default());
    }

    #[test]
    fn integer_options() {
        let lua = Lua::new();
        let mut c = Config::default();
        let precision =
            |c: &mut Config, arg: Value| configure(Setting::EncodeNumberPrecision, c, &[arg]);
        assert_eq!(
            precision(&mut c, Value::Number(3.9)).unwrap(),
            [Reply::Int(3)]
        );
        assert_eq!(
            precision(&mut c, text(&lua, b" 0x5 ")).unwrap(),
            [Reply::Int(5)]
        );
        // `int value = luaL_checkinteger(...)`: the low 32 bits.
        let wrapped = Value::Number(4294967296.0 + 7.0);
        assert_eq!(precision(&mut c, wrapped).unwrap(), [Reply::Int(7)]);
        assert_eq!(
            arg_error_of(precision(&mut c, Value::Number(15.0))),
            (1, "expected integer between 1 and 14".to_string())
        );
        assert_eq!(
            arg_error_of(precision(&mut c, Value::Number(f64::NAN))),
            (1, "expected integer between 1 and 14".to_string())
        );
        assert_eq!(
            arg_error_of(precision(&mut c, text(&lua, b"x"))),
            (1, "number expected, got string".to_string())
        );
        assert_eq!(
            arg_error_of(precision(&mut c, Value::Boolean(true))),
            (1, "number expected, got boolean".to_string())
        );
        assert_eq!(c.encode_number_precision, 7);
        let result = configure(Setting::EncodeMaxDepth, &mut c, &[Value::Number(0.0)]);
        assert_eq!(
            arg_error_of(result),
            (1, "expected integer between 1 and 2147483647".to_string())
        );
    }

    #[test]
    fn sparse_array_errors_keep_earlier_arguments() {
        let mut c = Config::default();
        let args = [Value::Boolean(true), Value::Number(-1.0)];
        let result = configure(Setting::EncodeSparseArray, &mut c, &args);
        // The range error always names argument 1.
        assert_eq!(
            arg_error_of(result),
            (1, "expected integer between 0 and 2147483647".to_string())
        );
        assert_eq!(c.sparse_convert, 1);
        assert_eq!(c.sparse_ratio, 2);
        let args = [Value::Nil, Value::Number(0.0), Value::Number(3.0)];
        let result = configure(Setting::EncodeSparseArray, &mut c, &args).unwrap();
        assert_eq!(result, [Reply::Bool(true), Reply::Int(0), Reply::Int(3)]);
    }

    /// Runs `code` with a fresh `cjson` global.
    fn run(code: &str) -> Result<String, String> {
        let lua = Lua::new();
        lua.globals().set("cjson", library(&lua).unwrap()).unwrap();
        lua.load(code)
            .eval::<mlua::LuaString>()
            .map(|s| s.to_string_lossy())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn configuration_changes_encode_and_decode() {
        let ok = |code: &str| run(code).unwrap();
        assert_eq!(ok("return cjson.encode({1000, 0.5})"), "[1000,0.5]");
        assert_eq!(
            ok("cjson.encode_number_precision(3) return cjson.encode({1000, 0.5})"),
            "[1e+03,0.5]"
        );
        assert_eq!(
            ok("cjson.encode_sparse_array(true) return cjson.encode({[1]=1,[2]=2,[15]=4})"),
            r#"{"1":1,"2":2,"15":4}"#
        );
        assert_eq!(
            ok("cjson.encode_sparse_array(false, 0) return cjson.encode({[1]=1,[4]=4})"),
            "[1,null,null,4]"
        );
        assert_eq!(
            ok("cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})"),
            "[inf,-inf,nan]"
        );
        assert_eq!(
            ok("cjson.encode_invalid_numbers('null') return cjson.encode({[1/0]=1})"),
            r#"{"null":1}"#
        );
        assert_eq!(ok("return tostring(cjson.decode('0x10'))"), "16");
        assert_eq!(
            ok("return tostring(cjson.decode('[-Infinity]')[1])"),
            "-inf"
        );
        // Each table has its own configuration.
        assert_eq!(
            ok("local c = cjson.new() c.encode_number_precision(1) \
                return cjson.encode(25) .. ' ' .. c.encode(25)"),
            "25 2e+01"
        );
    }

    #[test]
    fn decode_errors() {
        let err = |code: &str| run(code).unwrap_err();
        let message = err(r#"return cjson.decode([["\x"]])"#);
        assert!(
            message.contains("Expected value but found invalid escape code at character 2"),
            "{message}"
        );
        let message = err(r#"return cjson.decode([[ ["ab", "c\u12"] ]])"#);
        assert!(
            message.contains("found invalid unicode escape code at character 11"),
            "{message}"
        );
        let message = err(r#"return cjson.decode([["abc]])"#);
        assert!(
            message.contains("found unexpected end of string at character 5"),
            "{message}"
        );
        let message = err("cjson.decode_invalid_numbers(false) return cjson.decode('[0x10]')");
        assert!(
            message.contains("Expected value but found invalid number at character 2"),
            "{message}"
        );
        let message = err("cjson.decode_invalid_numbers(false) return cjson.decode('inf')");
        assert!(
            message.contains("found invalid token at character 1"),
            "{message}"
        );
        let message = err("return cjson.decode('1\\0')");
        assert!(
            message.contains("does not support UTF-16 or UTF-32"),
            "{message}"
        );
        let message = err("cjson.decode_max_depth(2) return cjson.decode('[[[1]]]')");
        assert!(
            message.contains("Found too many nested data structures (3) at character 3"),
            "{message}"
        );
    }
}
