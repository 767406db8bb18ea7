//! `cjson` (lua-cjson 2.1 as bundled with Redis): `encode`, `decode`,
//! `null`, with lua-cjson's number format (`%.14g`), escapes (including
//! `\/`), sparse-array rule and error texts.

use super::{check_string, format_g, Answer, Primitive};
use mlua::{Lua, Value};

pub const PRIMITIVES: &[(&str, Primitive)] = &[("encode", encode), ("decode", decode)];

const MAX_DEPTH: usize = 1000;
const SPARSE_RATIO: usize = 2;
const SPARSE_SAFE: usize = 10;

/// `cjson.null` is a light userdata holding NULL.
pub fn null() -> Value {
    Value::LightUserData(mlua::LightUserData(std::ptr::null_mut()))
}

fn encode(lua: &Lua, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return Answer::Error("bad argument #1 to 'encode' (expected 1 argument)".to_string());
    }
    let mut out = Vec::new();
    match encode_value(&args[0], 0, &mut out) {
        Ok(()) => match lua.create_string(out) {
            Ok(s) => Answer::Value(Value::String(s)),
            Err(e) => Answer::Error(e.to_string()),
        },
        Err(message) => Answer::Error(message),
    }
}

fn encode_value(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(format_g(*n as f64, 14).as_bytes()),
        Value::Number(n) => {
            if n.is_nan() || n.is_infinite() {
                return Err("Cannot serialise number: must not be NaN or Inf".to_string());
            }
            out.extend_from_slice(format_g(*n, 14).as_bytes());
        }
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            encode_table(t, depth, out)?;
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                super::type_name(other)
            ))
        }
    }
    Ok(())
}

fn encode_table(t: &mlua::Table, depth: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
    // lua_array_length: an array iff every key is a positive integer.
    let mut max = 0usize;
    let mut is_array = true;
    for (key, _) in &pairs {
        match key {
            Value::Number(k) if *k >= 1.0 && k.fract() == 0.0 => max = max.max(*k as usize),
            Value::Integer(k) if *k >= 1 => max = max.max(*k as usize),
            _ => {
                is_array = false;
                break;
            }
        }
    }
    if is_array && !pairs.is_empty() {
        if max > SPARSE_SAFE && max > pairs.len() * SPARSE_RATIO {
            return Err("Cannot serialise table: excessively sparse array".to_string());
        }
        out.push(b'[');
        for i in 1..=max {
            if i > 1 {
                out.push(b',');
            }
            let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
            encode_value(&v, depth, out)?;
        }
        out.push(b']');
        return Ok(());
    }
    out.push(b'{');
    for (n, (key, value)) in pairs.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match key {
            Value::String(s) => escape(&s.as_bytes(), out),
            Value::Number(k) => escape(format_g(*k, 14).as_bytes(), out),
            Value::Integer(k) => escape(format_g(*k as f64, 14).as_bytes(), out),
            other => {
                return Err(format!(
                    "Cannot serialise {}: table key must be a number or string",
                    super::type_name(other)
                ))
            }
        }
        out.push(b':');
        encode_value(value, depth, out)?;
    }
    out.push(b'}');
    Ok(())
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

fn decode(lua: &Lua, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return Answer::Error("bad argument #1 to 'decode' (expected 1 argument)".to_string());
    }
    let text = match check_string(args, 1, "decode") {
        Ok(text) => text,
        Err(answer) => return answer,
    };
    let mut parser = Parser {
        lua,
        text: &text,
        pos: 0,
        depth: 0,
    };
    let result = parser.document();
    match result {
        Ok(value) => Answer::Value(value),
        Err(message) => Answer::Error(message),
    }
}

struct Parser<'a> {
    lua: &'a Lua,
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

/// lua-cjson's token names in its error messages.
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
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
            Token::Str(_) => "T_STRING",
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
    fn document(&mut self) -> Result<Value, String> {
        let (start, token) = self.next_token();
        let value = self.value(start, token)?;
        let (at, token) = self.next_token();
        if !matches!(token, Token::End) {
            return Err(expected("the end", &token, at));
        }
        Ok(value)
    }

    fn value(&mut self, at: usize, token: Token) -> Result<Value, String> {
        let lua_err = |e: mlua::Error| e.to_string();
        Ok(match token {
            Token::Str(s) => Value::String(self.lua.create_string(s).map_err(lua_err)?),
            Token::Num(n) => Value::Number(n),
            Token::Bool(b) => Value::Boolean(b),
            Token::Null => null(),
            Token::ObjBegin => self.object()?,
            Token::ArrBegin => self.array()?,
            other => return Err(expected("value", &other, at)),
        })
    }

    fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            ));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Value, String> {
        self.nest()?;
        let table = self.lua.create_table().map_err(|e| e.to_string())?;
        let (mut at, mut token) = self.next_token();
        if matches!(token, Token::ObjEnd) {
            self.depth -= 1;
            return Ok(Value::Table(table));
        }
        loop {
            let Token::Str(key) = token else {
                return Err(expected("object key string", &token, at));
            };
            let (at_colon, colon) = self.next_token();
            if !matches!(colon, Token::Colon) {
                return Err(expected("colon", &colon, at_colon));
            }
            let (at_value, value_token) = self.next_token();
            let value = self.value(at_value, value_token)?;
            table
                .raw_set(
                    self.lua.create_string(key).map_err(|e| e.to_string())?,
                    value,
                )
                .map_err(|e| e.to_string())?;
            let (at_sep, sep) = self.next_token();
            match sep {
                Token::ObjEnd => break,
                Token::Comma => {}
                other => return Err(expected("comma or object end", &other, at_sep)),
            }
            (at, token) = self.next_token();
        }
        self.depth -= 1;
        Ok(Value::Table(table))
    }

    fn array(&mut self) -> Result<Value, String> {
        self.nest()?;
        let table = self.lua.create_table().map_err(|e| e.to_string())?;
        let (mut at, mut token) = self.next_token();
        if matches!(token, Token::ArrEnd) {
            self.depth -= 1;
            return Ok(Value::Table(table));
        }
        let mut i = 1usize;
        loop {
            let value = self.value(at, token)?;
            table.raw_set(i, value).map_err(|e| e.to_string())?;
            i += 1;
            let (at_sep, sep) = self.next_token();
            match sep {
                Token::ArrEnd => break,
                Token::Comma => {}
                other => return Err(expected("comma or array end", &other, at_sep)),
            }
            (at, token) = self.next_token();
        }
        self.depth -= 1;
        Ok(Value::Table(table))
    }

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
        let single = |t: Token| t;
        let token = match c {
            b'{' => single(Token::ObjBegin),
            b'}' => single(Token::ObjEnd),
            b'[' => single(Token::ArrBegin),
            b']' => single(Token::ArrEnd),
            b':' => single(Token::Colon),
            b',' => single(Token::Comma),
            b'"' => {
                let token = self.string();
                // lua-cjson reports string errors where scanning stopped.
                let at = if matches!(token, Token::Error(_)) {
                    self.pos
                } else {
                    at
                };
                return (at, token);
            }
            b'-' | b'0'..=b'9' => return (at, self.number()),
            _ => {
                for (word, token) in [
                    (&b"true"[..], Token::Bool(true)),
                    (b"false", Token::Bool(false)),
                    (b"null", Token::Null),
                ] {
                    if self.text[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return (at, token);
                    }
                }
                return (at, Token::Error("invalid token"));
            }
        };
        self.pos += 1;
        (at, token)
    }

    fn number(&mut self) -> Token {
        let start = self.pos;
        while self.pos < self.text.len()
            && matches!(
                self.text[self.pos],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.pos += 1;
        }
        match std::str::from_utf8(&self.text[start..self.pos])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
        {
            Some(n) => Token::Num(n),
            None => Token::Error("invalid number"),
        }
    }

    fn string(&mut self) -> Token {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.text.get(self.pos) else {
                return Token::Error("unexpected end of string");
            };
            self.pos += 1;
            match c {
                b'"' => return Token::Str(out),
                b'\\' => {
                    let Some(&e) = self.text.get(self.pos) else {
                        return Token::Error("unexpected end of string");
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => match self.unicode_escape() {
                            Some(ch) => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                            None => return Token::Error("invalid unicode escape code"),
                        },
                        _ => return Token::Error("invalid escape code"),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.pos += 4;
        Some(value)
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.text.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return None;
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        }
        char::from_u32(first)
    }
}

fn expected(what: &str, found: &Token, at: usize) -> String {
    format!(
        "Expected {what} but found {} at character {}",
        found.name(),
        at + 1
    )
}
