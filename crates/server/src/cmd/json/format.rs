//! JSON text as RedisJSON prints it.
//!
//! RedisJSON serializes with serde_json: strings escape only `"`, `\` and
//! control characters (non-ASCII stays as UTF-8), integers print as
//! integers and floats in serde_json's shortest form (`3.5`, `1.0`,
//! `1e20`). `JSON.GET`'s INDENT / NEWLINE / SPACE options follow its
//! formatter: a newline plus one indent per level before every member and
//! before the closing bracket of a non-empty container, SPACE after `:`.

use super::doc::Json;
use std::fmt::Write;

/// The INDENT / NEWLINE / SPACE strings of `JSON.GET`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub indent: Option<String>,
    pub newline: Option<String>,
    pub space: Option<String>,
}

/// The compact text of one value.
pub fn to_text(value: &Json) -> String {
    let mut out = String::new();
    write_value(&mut out, value, &Layout::default(), 0);
    out
}

/// The text of one value with a layout.
pub fn to_text_with(value: &Json, layout: &Layout) -> String {
    let mut out = String::new();
    write_value(&mut out, value, layout, 0);
    out
}

/// A JSON array of the given values (the reply of JSONPath reads).
pub fn array_text(values: &[&Json], layout: &Layout) -> String {
    let mut out = String::new();
    write_array(&mut out, values.iter().copied(), layout, 0);
    out
}

/// A JSON object of (name, value list) pairs: the multi-path `JSON.GET`
/// reply, one member per path.
pub fn paths_object_text(members: &[(String, PathValues<'_>)], layout: &Layout) -> String {
    let mut out = String::new();
    out.push('{');
    let level = 1;
    for (i, (name, values)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        new_line(&mut out, layout, level);
        write_string(&mut out, name);
        out.push(':');
        if let Some(space) = &layout.space {
            out.push_str(space);
        }
        match values {
            PathValues::One(v) => write_value(&mut out, v, layout, level),
            PathValues::Many(vs) => write_array(&mut out, vs.iter().copied(), layout, level),
        }
    }
    if !members.is_empty() {
        new_line(&mut out, layout, 0);
    }
    out.push('}');
    out
}

/// What one path contributes to a multi-path `JSON.GET`: its first match
/// (legacy paths) or all matches (JSONPath).
pub enum PathValues<'a> {
    One(&'a Json),
    Many(Vec<&'a Json>),
}

fn new_line(out: &mut String, layout: &Layout, level: usize) {
    if let Some(newline) = &layout.newline {
        out.push_str(newline);
    }
    if let Some(indent) = &layout.indent {
        for _ in 0..level {
            out.push_str(indent);
        }
    }
}

fn write_array<'a>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = &'a Json>,
    layout: &Layout,
    level: usize,
) {
    out.push('[');
    let empty = items.len() == 0;
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        new_line(out, layout, level + 1);
        write_value(out, item, layout, level + 1);
    }
    if !empty {
        new_line(out, layout, level);
    }
    out.push(']');
}

fn write_value(out: &mut String, value: &Json, layout: &Layout, level: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Json::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        Json::Float(f) => out.push_str(&float_text(*f)),
        Json::Str(s) => write_string(out, s),
        Json::Array(items) => write_array(out, items.iter(), layout, level),
        Json::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                new_line(out, layout, level + 1);
                write_string(out, k);
                out.push(':');
                if let Some(space) = &layout.space {
                    out.push_str(space);
                }
                write_value(out, v, layout, level + 1);
            }
            if !members.is_empty() {
                new_line(out, layout, level);
            }
            out.push('}');
        }
    }
}

/// A float as serde_json prints it (shortest round-trip form, always with
/// a `.0` or an exponent so it reads back as a float). Non-finite values
/// cannot be stored (arithmetic rejects them), `null` is serde_json's
/// rendering should one appear.
pub fn float_text(f: f64) -> String {
    if f.is_finite() {
        ryu::Buffer::new().format_finite(f).to_owned()
    } else {
        "null".to_owned()
    }
}

/// A JSON string literal with serde_json's escapes.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::doc::parse;
    use super::*;

    fn layout(indent: &str, newline: &str, space: &str) -> Layout {
        Layout {
            indent: Some(indent.to_owned()),
            newline: Some(newline.to_owned()),
            space: Some(space.to_owned()),
        }
    }

    #[test]
    fn compact_text_matches_serde_json() {
        let text = r#"{"a":[1,2.5,"x\"y\\z\n\u0001é"],"b":{},"c":[],"d":null,"e":true}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(to_text(&parse(text.as_bytes()).unwrap()), value.to_string());
    }

    #[test]
    fn layout_follows_redisjson_formatter() {
        let doc = parse(br#"{"a":2,"b":[],"nested":{"a":4,"b":null}}"#).unwrap();
        assert_eq!(
            array_text(&[&doc], &layout("\t", "\n", " ")),
            "[\n\t{\n\t\t\"a\": 2,\n\t\t\"b\": [],\n\t\t\"nested\": {\n\t\t\t\"a\": 4,\n\t\t\t\"b\": null\n\t\t}\n\t}\n]"
        );
        let only_indent = Layout {
            indent: Some("_".into()),
            ..Layout::default()
        };
        assert_eq!(
            to_text_with(&parse(b"[{\"a\":1}]").unwrap(), &only_indent),
            "[_{__\"a\":1_}]"
        );
    }

    #[test]
    fn floats_print_like_serde_json() {
        assert_eq!(float_text(3.5), "3.5");
        assert_eq!(float_text(3.0), "3.0");
        assert_eq!(float_text(1e300), "1e300");
        assert_eq!(float_text(1e20), "1e20");
        assert_eq!(float_text(-0.0), "-0.0");
        assert_eq!(float_text(1.5e-7), "1.5e-7");
        assert_eq!(
            to_text(&parse(b"[1.0,1e20,0.1,123456789012345680000.0]").unwrap()),
            "[1.0,1e20,0.1,1.2345678901234567e20]"
        );
    }
}
