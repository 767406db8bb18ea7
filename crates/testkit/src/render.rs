//! Rendering replies the way redis-cli prints them on a terminal.
//!
//! Golden files and mismatch reports show replies in the form every Redis
//! user already reads fluently (`1) "a"`, `(integer) 1`, `(nil)`,
//! `(error) ERR ...`, `1# "key" => value` for RESP3 maps), so a diff in a
//! failing test can be compared by eye with a redis-cli session.
//!
//! The layout follows redis-cli 7's `cliFormatReplyTTY`, with one deliberate
//! change: verbatim strings are quoted like bulk strings instead of being
//! printed raw, so that every reply renders to lines that never contain a
//! raw newline and golden files stay line-oriented.

use moat_config::tokenize::repr as quote;
use moat_resp::{format_double, Frame};
use std::fmt::Write;

/// Renders `frame` as redis-cli would print it, one line per `\n`-terminated
/// line of output.
pub fn render(frame: &Frame) -> String {
    let mut out = String::new();
    render_into(&mut out, frame, "");
    out
}

/// `prefix` is the indentation for every line after the first; the caller
/// has already written whatever precedes the first line (an index or `=>`).
fn render_into(out: &mut String, frame: &Frame, prefix: &str) {
    match frame {
        Frame::Simple(text) => push_line(out, &String::from_utf8_lossy(text)),
        Frame::Error(text) => push_line(out, &format!("(error) {}", String::from_utf8_lossy(text))),
        Frame::Integer(n) => push_line(out, &format!("(integer) {n}")),
        Frame::Bulk(data) => push_line(out, &quote(data)),
        Frame::Verbatim { text, .. } => push_line(out, &quote(text)),
        Frame::Null | Frame::NullArray => push_line(out, "(nil)"),
        Frame::Double(v) => push_line(out, &format!("(double) {}", format_double(*v))),
        Frame::DoubleText(text) => {
            push_line(out, &format!("(double) {}", String::from_utf8_lossy(text)))
        }
        Frame::Boolean(b) => push_line(out, if *b { "(true)" } else { "(false)" }),
        Frame::BigNumber(digits) => push_line(
            out,
            &format!("(big number) {}", String::from_utf8_lossy(digits)),
        ),
        Frame::Array(items) => render_sequence(out, items, ')', "(empty array)", prefix),
        Frame::Push(items) => render_sequence(out, items, ')', "(empty push)", prefix),
        Frame::Set(items) => render_sequence(out, items, '~', "(empty set)", prefix),
        Frame::Map(pairs) => render_map(out, pairs, prefix),
    }
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

fn render_sequence(out: &mut String, items: &[Frame], marker: char, empty: &str, prefix: &str) {
    if items.is_empty() {
        push_line(out, empty);
        return;
    }
    let width = digits(items.len());
    let nested = nested_prefix(prefix, width);
    for (index, item) in items.iter().enumerate() {
        write_index(out, prefix, index, width, marker);
        render_into(out, item, &nested);
    }
}

fn render_map(out: &mut String, pairs: &[(Frame, Frame)], prefix: &str) {
    if pairs.is_empty() {
        push_line(out, "(empty hash)");
        return;
    }
    let width = digits(pairs.len());
    let nested = nested_prefix(prefix, width);
    for (index, (key, value)) in pairs.iter().enumerate() {
        write_index(out, prefix, index, width, '#');
        render_into(out, key, &nested);
        out.pop(); // the key's newline: its value follows on the same line
        out.push_str(" => ");
        if is_multiline(value) {
            // redis-cli starts a multi-line value on its own line so that
            // its elements align with each other.
            out.push('\n');
            out.push_str(&nested);
        }
        render_into(out, value, &nested);
    }
}

/// The first element's index goes right after what the caller wrote; the
/// following ones start a fresh line indented by `prefix`.
fn write_index(out: &mut String, prefix: &str, index: usize, width: usize, marker: char) {
    if index > 0 {
        out.push_str(prefix);
    }
    let _ = write!(out, "{:>width$}{marker} ", index + 1);
}

/// Nested elements are indented past the widest index and its marker.
fn nested_prefix(prefix: &str, width: usize) -> String {
    format!("{prefix}{}", " ".repeat(width + 2))
}

fn digits(mut n: usize) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

fn is_multiline(frame: &Frame) -> bool {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.len() > 1 || items.first().is_some_and(is_multiline)
        }
        Frame::Map(pairs) => pairs.len() > 1 || pairs.first().is_some_and(|(_, v)| is_multiline(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn simple(s: &str) -> Frame {
        Frame::Simple(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn scalars_render_like_redis_cli() {
        assert_eq!(render(&Frame::ok()), "OK\n");
        assert_eq!(render(&Frame::Integer(-3)), "(integer) -3\n");
        assert_eq!(render(&Frame::Null), "(nil)\n");
        assert_eq!(render(&Frame::NullArray), "(nil)\n");
        assert_eq!(render(&Frame::error("ERR x")), "(error) ERR x\n");
        assert_eq!(render(&bulk("a\"b\nc")), "\"a\\\"b\\nc\"\n");
        assert_eq!(render(&Frame::Boolean(true)), "(true)\n");
        assert_eq!(render(&Frame::Double(1.5)), "(double) 1.5\n");
        assert_eq!(
            render(&Frame::BigNumber(Bytes::from_static(
                b"12345678901234567890"
            ))),
            "(big number) 12345678901234567890\n"
        );
        assert_eq!(render(&Frame::Array(vec![])), "(empty array)\n");
        assert_eq!(render(&Frame::Map(vec![])), "(empty hash)\n");
        assert_eq!(render(&Frame::Set(vec![])), "(empty set)\n");
    }

    #[test]
    fn binary_bulk_strings_escape_as_hex() {
        let binary = Frame::Bulk(Bytes::from_static(b"a\x01\xff"));
        assert_eq!(render(&binary), "\"a\\x01\\xff\"\n");
    }

    #[test]
    fn wide_arrays_right_align_their_indexes() {
        let items: Vec<Frame> = "abcdefghijkl"
            .chars()
            .map(|c| bulk(&c.to_string()))
            .collect();
        let text = render(&Frame::Array(items));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#" 1) "a""#);
        assert_eq!(lines[11], r#"12) "l""#);
    }

    /// Captured from `redis-cli -3 --no-raw ACL GETUSER u` (redis 7.0.15)
    /// after `ACL SETUSER u on nopass (+get ~x)`.
    #[test]
    fn nested_maps_match_a_captured_redis_cli_session() {
        let selector = Frame::Map(vec![
            (bulk("commands"), bulk("-@all +get")),
            (bulk("keys"), bulk("~x")),
            (bulk("channels"), bulk("")),
        ]);
        let reply = Frame::Map(vec![
            (bulk("flags"), Frame::Set(vec![bulk("on"), bulk("nopass")])),
            (bulk("passwords"), Frame::Array(vec![])),
            (bulk("commands"), bulk("-@all")),
            (bulk("selectors"), Frame::Array(vec![selector])),
        ]);
        let expected = r#"1# "flags" => 
   1~ "on"
   2~ "nopass"
2# "passwords" => (empty array)
3# "commands" => "-@all"
4# "selectors" => 
   1) 1# "commands" => "-@all +get"
      2# "keys" => "~x"
      3# "channels" => ""
"#;
        assert_eq!(render(&reply), expected);
    }

    /// Captured from `redis-cli --no-raw COMMAND INFO get` (redis 7.0.15),
    /// trimmed to the first elements.
    #[test]
    fn nested_arrays_match_a_captured_redis_cli_session() {
        let info = Frame::Array(vec![
            bulk("get"),
            Frame::Integer(2),
            Frame::Array(vec![simple("readonly"), simple("fast")]),
            Frame::Integer(1),
            Frame::Integer(1),
            Frame::Integer(1),
            Frame::Array(vec![simple("@read"), simple("@string"), simple("@fast")]),
            Frame::Array(vec![]),
            Frame::Array(vec![Frame::Array(vec![
                bulk("flags"),
                Frame::Array(vec![simple("RO"), simple("access")]),
            ])]),
            Frame::Array(vec![]),
        ]);
        let expected = r#"1)  1) "get"
    2) (integer) 2
    3) 1) readonly
       2) fast
    4) (integer) 1
    5) (integer) 1
    6) (integer) 1
    7) 1) @read
       2) @string
       3) @fast
    8) (empty array)
    9) 1) 1) "flags"
          2) 1) RO
             2) access
   10) (empty array)
"#;
        assert_eq!(render(&Frame::Array(vec![info])), expected);
    }

    #[test]
    fn single_pair_map_values_stay_inline() {
        let reply = Frame::Map(vec![(
            bulk("spec"),
            Frame::Map(vec![(bulk("index"), Frame::Integer(1))]),
        )]);
        assert_eq!(
            render(&reply),
            "1# \"spec\" => 1# \"index\" => (integer) 1\n"
        );
    }
}
