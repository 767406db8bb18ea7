//! Redis's conversions between replies and Lua values, both directions
//! (`redisProtocolToLuaType` and `luaReplyToRedisReply`).
//!
//! Reply → Lua depends on the protocol the script chose with
//! `redis.setresp`: in RESP2 a reply is first seen as a RESP2 client would
//! see it (maps flattened, doubles as strings, nulls as `false`); in RESP3
//! the new types become the tables `{map=}`, `{set=}`, `{double=}`,
//! `{big_number=}`, `{verbatim_string={format=, string=}}`, booleans and
//! `nil`.
//!
//! Error statistics ride on the error tables, as in Redis: a command's
//! error reply becomes `{err=..., ignore_error_stats_update=true}`, since
//! it was counted when the command produced it. When a script's reply
//! holds error tables (at the top or nested in arrays), those with the
//! field are relays, which make the script's call a failed one, and the
//! others are new errors, counted then (see [`ReplyErrors`]). So
//! `return redis.pcall(...)` counts its error once and
//! `return redis.error_reply(e.err)` twice, as Redis does.

use bytes::Bytes;
use mlua::{Lua, Table, Value};
use moat_resp::Frame;

/// The field that marks an error table as already counted; a script sees
/// it (`pairs` lists it) and may set or clear it, as in Redis.
pub const COUNTED_FIELD: &str = "ignore_error_stats_update";

/// The error tables found while converting a script's reply.
#[derive(Debug, Default, PartialEq)]
pub struct ReplyErrors {
    /// Errors marked as counted already: each makes the call failed
    /// (Redis's `afterErrorReply` with `ERR_REPLY_FLAG_NO_STATS_UPDATE`).
    pub relayed: u64,
    /// Errors the script made itself, to be counted now.
    pub new: Vec<Bytes>,
}

impl ReplyErrors {
    /// An error table's text, as a relay or as a new error.
    pub fn note(&mut self, table: &Table, text: &[u8]) {
        if table.raw_get::<Value>(COUNTED_FIELD).ok() == Some(Value::Boolean(true)) {
            self.relayed += 1;
        } else {
            self.new.push(Bytes::copy_from_slice(text));
        }
    }

    /// How many failed calls the errors make: one per relay (Redis counts
    /// those at once) and one for any new errors (Redis's check, after
    /// the call, that error replies grew).
    pub fn failed_calls(&self) -> u64 {
        self.relayed + u64::from(!self.new.is_empty())
    }
}

/// A command's error reply as Lua sees it: counted already.
pub fn counted_error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(text)?)?;
    table.raw_set(COUNTED_FIELD, true)?;
    Ok(table)
}

/// Lua tables nested deeper than this are not converted (Redis stops at
/// Lua's C stack limit with the same error).
const MAX_DEPTH: usize = 200;

/// A command reply as a Lua value.
pub fn frame_to_lua(lua: &Lua, frame: &Frame, resp3: bool) -> mlua::Result<Value> {
    Ok(match frame {
        Frame::Simple(text) => single_field(lua, "ok", Value::String(lua.create_string(text)?))?,
        Frame::Error(text) => Value::Table(counted_error_table(lua, text)?),
        Frame::Integer(n) => Value::Number(*n as f64),
        Frame::Bulk(data) => Value::String(lua.create_string(data)?),
        Frame::Null | Frame::NullArray => {
            if resp3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Frame::Array(items) | Frame::Push(items) => array(lua, items, resp3)?,
        Frame::Set(items) => {
            if resp3 {
                let set = lua.create_table()?;
                for item in items {
                    set.raw_set(frame_to_lua(lua, item, resp3)?, true)?;
                }
                single_field(lua, "set", Value::Table(set))?
            } else {
                array(lua, items, resp3)?
            }
        }
        Frame::Map(pairs) => {
            if resp3 {
                let map = lua.create_table()?;
                for (key, value) in pairs {
                    map.raw_set(
                        frame_to_lua(lua, key, resp3)?,
                        frame_to_lua(lua, value, resp3)?,
                    )?;
                }
                single_field(lua, "map", Value::Table(map))?
            } else {
                let flat: Vec<Frame> = pairs
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect();
                array(lua, &flat, resp3)?
            }
        }
        Frame::Double(d) => {
            if resp3 {
                single_field(lua, "double", Value::Number(*d))?
            } else {
                Value::String(lua.create_string(moat_resp::format_double(*d))?)
            }
        }
        // Preformatted doubles (geo coordinates): the number in RESP3, the
        // text Redis sends as a bulk string in RESP2.
        Frame::DoubleText(text) => {
            if resp3 {
                let value: f64 = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0);
                single_field(lua, "double", Value::Number(value))?
            } else {
                Value::String(lua.create_string(text)?)
            }
        }
        Frame::Boolean(b) => {
            if resp3 {
                Value::Boolean(*b)
            } else {
                Value::Number(if *b { 1.0 } else { 0.0 })
            }
        }
        Frame::BigNumber(text) => {
            if resp3 {
                single_field(lua, "big_number", Value::String(lua.create_string(text)?))?
            } else {
                Value::String(lua.create_string(text)?)
            }
        }
        Frame::Verbatim { format, text } => {
            if resp3 {
                let inner = lua.create_table()?;
                inner.raw_set("format", lua.create_string(format)?)?;
                inner.raw_set("string", lua.create_string(text)?)?;
                single_field(lua, "verbatim_string", Value::Table(inner))?
            } else {
                Value::String(lua.create_string(text)?)
            }
        }
    })
}

fn array(lua: &Lua, items: &[Frame], resp3: bool) -> mlua::Result<Value> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        table.raw_set(i + 1, frame_to_lua(lua, item, resp3)?)?;
    }
    Ok(Value::Table(table))
}

fn single_field(lua: &Lua, name: &str, value: Value) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    table.raw_set(name, value)?;
    Ok(Value::Table(table))
}

/// A script's return value as the reply to its caller. `resp3` is the
/// protocol the script chose (`redis.setresp`): in RESP2 `true` is the
/// integer 1 and `false` a null; in RESP3 both are booleans. The error
/// tables met on the way are noted in `errors`.
pub fn lua_to_frame(value: &Value, resp3: bool, errors: &mut ReplyErrors) -> Frame {
    lua_to_frame_at(value, resp3, 0, errors)
}

fn lua_to_frame_at(value: &Value, resp3: bool, depth: usize, errors: &mut ReplyErrors) -> Frame {
    if depth > MAX_DEPTH {
        let error = Bytes::from_static(b"ERR reached lua stack limit");
        errors.new.push(error.clone());
        return Frame::Error(error);
    }
    match value {
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) => {
            if resp3 {
                Frame::Boolean(*b)
            } else if *b {
                Frame::Integer(1)
            } else {
                Frame::Null
            }
        }
        Value::Integer(n) => Frame::Integer(*n),
        Value::Number(n) => Frame::Integer(truncate(*n)),
        Value::Table(t) => table_to_frame(t, resp3, depth, errors),
        _ => Frame::Null,
    }
}

/// C's `(long long)` cast as x86-64 performs it: toward zero, and the
/// "integer indefinite" value for NaN and out-of-range numbers.
fn truncate(n: f64) -> i64 {
    // 2^63: the first double outside the i64 range on either side.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        return i64::MIN;
    }
    n as i64
}

fn table_to_frame(t: &Table, resp3: bool, depth: usize, errors: &mut ReplyErrors) -> Frame {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(err) = field("err") {
        let text = sanitize(&err.as_bytes());
        errors.note(t, &text);
        return Frame::Error(Bytes::from(text));
    }
    if let Value::String(ok) = field("ok") {
        return Frame::Simple(Bytes::from(sanitize(&ok.as_bytes())));
    }
    match field("double") {
        Value::Number(d) => return Frame::Double(d),
        Value::Integer(d) => return Frame::Double(d as f64),
        _ => {}
    }
    if let Value::String(big) = field("big_number") {
        return Frame::BigNumber(Bytes::from(sanitize(&big.as_bytes())));
    }
    if let Value::Table(verbatim) = field("verbatim_string") {
        if let (Ok(Value::String(format)), Ok(Value::String(text))) = (
            verbatim.raw_get::<Value>("format"),
            verbatim.raw_get::<Value>("string"),
        ) {
            let mut tag = *b"txt";
            let format = format.as_bytes();
            for (slot, byte) in tag.iter_mut().zip(format.iter()) {
                *slot = *byte;
            }
            return Frame::Verbatim {
                format: tag,
                text: Bytes::copy_from_slice(&text.as_bytes()),
            };
        }
    }
    if let Value::Table(map) = field("map") {
        let mut pairs = Vec::new();
        for (key, value) in map.pairs::<Value, Value>().flatten() {
            pairs.push((
                lua_to_frame_at(&key, resp3, depth + 1, errors),
                lua_to_frame_at(&value, resp3, depth + 1, errors),
            ));
        }
        return Frame::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let mut members = Vec::new();
        for (key, _) in set.pairs::<Value, Value>().flatten() {
            members.push(lua_to_frame_at(&key, resp3, depth + 1, errors));
        }
        return Frame::Set(members);
    }
    let mut items = Vec::new();
    let mut j = 1usize;
    loop {
        match t.raw_get::<Value>(j) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(value) => items.push(lua_to_frame_at(&value, resp3, depth + 1, errors)),
        }
        j += 1;
    }
    Frame::Array(items)
}

/// Status and error replies cannot carry CR or LF: Redis maps them to spaces.
pub fn sanitize(text: &[u8]) -> Vec<u8> {
    text.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

/// A `redis.call` argument: strings as they are, numbers as Redis 7.2
/// prints them (shortest round-trip form, integers without a fraction).
pub fn lua_to_arg(value: &Value) -> Option<Bytes> {
    match value {
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        // mlua hands integral numbers over as integers: Lua 5.1 has none.
        Value::Integer(n) => Some(Bytes::from(format_number(*n as f64))),
        Value::Number(n) => Some(Bytes::from(format_number(*n))),
        _ => None,
    }
}

/// A Lua number as text, as Redis's `fpconv_dtoa` writes it.
pub fn format_number(n: f64) -> String {
    // Redis's double2ll: integers within half the i64 range print as such.
    const HALF_RANGE: f64 = (i64::MAX / 2) as f64;
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if (-HALF_RANGE..=HALF_RANGE).contains(&n) && n == n.trunc() {
        return (n as i64).to_string();
    }
    fpconv_layout(n)
}

/// The shortest digits of `n`, laid out as fpconv_dtoa's `emit_digits`
/// lays them out: plainly while the exponent is small, else `d.ddde+X`.
fn fpconv_layout(n: f64) -> String {
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let ndigits = digits.len() as i32;
    // fpconv's K: the power of ten of the last digit.
    let k = exponent - (ndigits - 1);
    let neg = n.is_sign_negative();
    let mut out = String::from(if neg { "-" } else { "" });
    let abs_exponent = exponent.abs();
    if k >= 0 && abs_exponent < ndigits + 7 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
    } else if k < 0 && (k > -7 || abs_exponent < 4) {
        let offset = ndigits + k;
        if offset <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-offset) as usize));
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..offset as usize]);
            out.push('.');
            out.push_str(&digits[offset as usize..]);
        }
    } else {
        let kept = ndigits.min(18 - i32::from(neg)) as usize;
        out.push_str(&digits[..1]);
        if kept > 1 {
            out.push('.');
            out.push_str(&digits[1..kept]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&abs_exponent.to_string());
    }
    out
}

/// The `err` text of Redis's `luaPushErrorBuff`: `-CODE msg` keeps its
/// code, anything else gets `ERR`; trailing CR/LF are trimmed.
pub fn error_text(message: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match message.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", message),
    };
    let mut end = msg.len();
    while end > 0 && matches!(msg[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(msg[start], b'\r' | b'\n') {
        start += 1;
    }
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(&msg[start..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        Lua::new()
    }

    #[test]
    fn replies_become_lua_values_as_redis_converts_them() {
        let lua = lua();
        let status = frame_to_lua(&lua, &Frame::ok(), false).unwrap();
        let Value::Table(t) = status else { panic!() };
        assert_eq!(t.get::<String>("ok").unwrap(), "OK");
        assert_eq!(
            frame_to_lua(&lua, &Frame::Null, false).unwrap(),
            Value::Boolean(false)
        );
        assert_eq!(frame_to_lua(&lua, &Frame::Null, true).unwrap(), Value::Nil);
        assert_eq!(
            frame_to_lua(&lua, &Frame::Boolean(true), false).unwrap(),
            Value::Number(1.0)
        );
        let Value::Table(map) = frame_to_lua(
            &lua,
            &Frame::Map(vec![(Frame::Integer(1), Frame::Integer(2))]),
            true,
        )
        .unwrap() else {
            panic!()
        };
        let inner: Table = map.get("map").unwrap();
        assert_eq!(inner.get::<f64>(1).unwrap(), 2.0);
    }

    #[test]
    fn lua_values_become_replies_as_redis_converts_them() {
        let lua = lua();
        let value: Value = lua
            .load("return {1, 2.9, -2.9, 'x', true, false, {err='E x'}, nil, 'after nil'}")
            .eval()
            .unwrap();
        let mut errors = ReplyErrors::default();
        assert_eq!(
            lua_to_frame(&value, false, &mut errors),
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Integer(-2),
                Frame::Bulk(Bytes::from_static(b"x")),
                Frame::Integer(1),
                Frame::Null,
                Frame::error("E x"),
            ])
        );
        assert_eq!(errors.new, vec![Bytes::from_static(b"E x")]);
        let mut errors = ReplyErrors::default();
        let value: Value = lua.load("return {ok='a\\r\\nb'}").eval().unwrap();
        assert_eq!(
            lua_to_frame(&value, false, &mut errors),
            Frame::simple("a  b")
        );
        assert_eq!(
            lua_to_frame(&Value::Number(1e20), false, &mut errors),
            Frame::Integer(i64::MIN)
        );
        assert_eq!(errors, ReplyErrors::default());
        let deep: Value = lua.load("local t = {} t[1] = t return t").eval().unwrap();
        // A self-referencing table stops at the depth limit instead of
        // recursing forever.
        assert!(matches!(
            lua_to_frame(&deep, false, &mut errors),
            Frame::Array(_)
        ));
        assert_eq!(errors.new.len(), 1, "the depth limit's error");
    }

    #[test]
    fn command_errors_are_relays_and_script_errors_new() {
        let lua = lua();
        let counted = counted_error_table(&lua, b"WRONGTYPE x").unwrap();
        let reply: Table = lua
            .load("local c = ... return {c, {err='E1 a'}, {{err='E2 b', ignore_error_stats_update=1}}, c}")
            .call(counted)
            .unwrap();
        let mut errors = ReplyErrors::default();
        lua_to_frame(&Value::Table(reply), false, &mut errors);
        assert_eq!(errors.relayed, 2);
        assert_eq!(
            errors.new,
            vec![Bytes::from_static(b"E1 a"), Bytes::from_static(b"E2 b")]
        );
        // Two relays and the new errors' one.
        assert_eq!(errors.failed_calls(), 3);
        assert_eq!(ReplyErrors::default().failed_calls(), 0);
    }

    #[test]
    fn error_texts_keep_or_add_the_code() {
        assert_eq!(error_text(b"-CODE some text"), b"CODE some text");
        assert_eq!(error_text(b"-X"), b"ERR X");
        assert_eq!(error_text(b"plain\r\n"), b"ERR plain");
    }

    #[test]
    fn numbers_as_arguments() {
        assert_eq!(format_number(10.0), "10");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(-0.25), "-0.25");
        // fpconv_dtoa's layouts, as Redis 7.2 passes numbers to commands.
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(5e18), "5e+18");
        assert_eq!(format_number(4e18), "4000000000000000000");
        assert_eq!(format_number(1.5e20), "1.5e+20");
        assert_eq!(format_number(1e100), "1e+100");
        assert_eq!(format_number(1e-6), "0.000001");
        assert_eq!(format_number(1e-7), "1e-7");
        assert_eq!(format_number(123.456), "123.456");
        assert_eq!(format_number(1.25e-5), "1.25e-5");
        assert_eq!(format_number(1.25e-4), "0.000125");
        assert_eq!(format_number(f64::NAN.copysign(-1.0)), "-nan");
        assert_eq!(format_number(f64::NAN.copysign(1.0)), "nan");
    }
}
