//! The libraries Redis adds to its Lua (`bit`, `cjson`, `cmsgpack`,
//! `struct`), written in Rust because the vendored Lua ships none of them.
//!
//! Each library is a table of Rust primitives answering `(status, value)`;
//! [`crate::scripting::lift`] makes them C functions that raise statuses 2,
//! 3 and 4 as Lua errors, so scripts see plain Lua errors with Redis's
//! positions and texts and never a Rust error object.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod strtod;
pub mod structlib;

use mlua::{Function, Lua, MultiValue, Table, Value};

/// What a primitive answers.
#[derive(Debug)]
pub enum Answer {
    Value(Value),
    Values(Vec<Value>),
    /// `luaL_error`: the message gets the calling script line as prefix.
    Error(String),
    /// Redis's `luaPushError` + `luaError`: an error table, no position.
    Raise(String),
    /// `luaL_argerror(n, message)`: Lua words it, naming the function as
    /// the script called it (`'?'` under `pcall`, `calling 'f' on bad
    /// self` for a method call).
    ArgError(usize, String),
}

pub type Primitive = fn(&Lua, &[Value]) -> Answer;

/// `luaL_argerror`: `bad argument #n to 'f' (msg)`. `_name` is the C
/// function's own name, for the reader: Lua finds the name the script
/// used.
pub fn arg_error(n: usize, _name: &str, msg: &str) -> Answer {
    Answer::ArgError(n, msg.to_string())
}

/// `luaL_typerror`'s message.
pub fn type_error(args: &[Value], n: usize, name: &str, expected: &str) -> Answer {
    let got = match args.get(n - 1) {
        None => "no value",
        Some(v) => type_name(v),
    };
    arg_error(n, name, &format!("{expected} expected, got {got}"))
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// `luaL_checknumber`: numbers and strings that convert.
pub fn check_number(args: &[Value], n: usize, name: &str) -> Result<f64, Answer> {
    match args.get(n - 1) {
        Some(Value::Number(x)) => Ok(*x),
        Some(Value::Integer(x)) => Ok(*x as f64),
        Some(Value::String(s)) => {
            parse_lua_number(&s.as_bytes()).ok_or_else(|| type_error(args, n, name, "number"))
        }
        _ => Err(type_error(args, n, name, "number")),
    }
}

/// `luaL_checklstring`: strings, and numbers converted as Lua does.
pub fn check_string(args: &[Value], n: usize, name: &str) -> Result<Vec<u8>, Answer> {
    match args.get(n - 1) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(x)) => Ok(lua_number_text(*x).into_bytes()),
        Some(Value::Integer(x)) => Ok(lua_number_text(*x as f64).into_bytes()),
        _ => Err(type_error(args, n, name, "string")),
    }
}

/// `luaL_checkinteger`: `luaL_checknumber` cast to `lua_Integer` (a
/// truncation, as x86-64 does it).
pub fn check_integer(args: &[Value], n: usize, name: &str) -> Result<i64, Answer> {
    check_number(args, n, name).map(strtod::c_long)
}

/// Lua's `tonumber` on a string (`luaO_str2d`: glibc's strtod, with
/// surrounding whitespace).
pub fn parse_lua_number(text: &[u8]) -> Option<f64> {
    strtod::lua_str2d(text)
}

/// A number as Lua 5.1 prints it (`%.14g`).
pub fn lua_number_text(x: f64) -> String {
    format_g(x, 14)
}

/// C's `%.<precision>g`.
pub fn format_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let precision = precision.max(1);
    let exp_text = format!("{:.*e}", precision - 1, x);
    let (mantissa, exp) = exp_text.split_once('e').unwrap_or((&exp_text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= precision as i32 {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        trim_fraction(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Builds a library table from its primitives.
pub fn table_of(lua: &Lua, primitives: &[(&str, Primitive)]) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    for (name, primitive) in primitives {
        table.raw_set(*name, lifted(lua, *primitive)?)?;
    }
    Ok(table)
}

/// A primitive (possibly with state) as the C function scripts call.
pub fn lifted(
    lua: &Lua,
    primitive: impl Fn(&Lua, &[Value]) -> Answer + Send + 'static,
) -> mlua::Result<Function> {
    let function = lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        answer_to_lua(lua, primitive(lua, &args))
    })?;
    crate::scripting::lift::lift(lua, function)
}

/// The `(status, value)` pair the Lua wrappers expect.
pub fn answer_to_lua(lua: &Lua, answer: Answer) -> mlua::Result<(i64, Value)> {
    Ok(match answer {
        Answer::Value(v) => (0, v),
        Answer::Values(values) => {
            let table = lua.create_table()?;
            let n = values.len();
            for (i, v) in values.into_iter().enumerate() {
                table.raw_set(i + 1, v)?;
            }
            table.raw_set("n", n)?;
            (1, Value::Table(table))
        }
        Answer::Error(message) => (2, Value::String(lua.create_string(message)?)),
        Answer::Raise(message) => {
            let table = lua.create_table()?;
            table.raw_set(
                "err",
                lua.create_string(crate::scripting::convert::error_text(message.as_bytes()))?,
            )?;
            (3, Value::Table(table))
        }
        Answer::ArgError(n, message) => {
            let table = lua.create_table()?;
            table.raw_set(1, n)?;
            table.raw_set(2, lua.create_string(message)?)?;
            (4, Value::Table(table))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn percent_g() {
        assert_eq!(format_g(1.5, 14), "1.5");
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(1e20, 14), "1e+20");
        assert_eq!(format_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(format_g(100.0, 14), "100");
        assert_eq!(format_g(0.0001, 14), "0.0001");
        assert_eq!(format_g(0.00001, 14), "1e-05");
        assert_eq!(format_g(3.0, 17), "3");
    }
}
