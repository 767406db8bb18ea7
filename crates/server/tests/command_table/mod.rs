//! What the generated sweeps share: reading the reference's `COMMAND`
//! table (flat maps, key specs) and shaping the arguments of a call.
// Each sweep uses a different part of this module.
#![allow(dead_code)]

use moat_resp::Frame;
use std::collections::BTreeMap;

pub fn text(frame: &Frame) -> Option<String> {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

pub fn integer(frame: &Frame) -> Option<i64> {
    match frame {
        Frame::Integer(n) => Some(*n),
        _ => None,
    }
}

pub fn items(frame: &Frame) -> &[Frame] {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items,
        _ => &[],
    }
}

/// A flat map `[name, value, ...]`'s value for `name`.
pub fn field<'a>(frame: &'a Frame, name: &str) -> Option<&'a Frame> {
    items(frame)
        .chunks(2)
        .find(|pair| text(&pair[0]).is_some_and(|n| n == name))
        .and_then(|pair| pair.get(1))
}

pub enum KeyPlace {
    /// The key at this absolute argument index.
    Index(usize),
    /// `numkeys` at `begin + numkeys`, the key at `begin + first`.
    Keynum {
        begin: usize,
        numkeys: usize,
        first: usize,
    },
    /// After this keyword.
    Keyword(String),
}

/// The first key spec of a `COMMAND` entry.
pub fn key_place(entry: &Frame) -> Option<KeyPlace> {
    let spec = items(entry).get(8).map(items)?.first()?;
    let begin = field(spec, "begin_search")?;
    let find = field(spec, "find_keys")?;
    let begin_spec = field(begin, "spec")?;
    let find_spec = field(find, "spec");
    match text(field(begin, "type")?)?.as_str() {
        "index" => {
            let index = integer(field(begin_spec, "index")?)? as usize;
            match text(field(find, "type")?)?.as_str() {
                "keynum" => {
                    let find_spec = find_spec?;
                    Some(KeyPlace::Keynum {
                        begin: index,
                        numkeys: integer(field(find_spec, "keynumidx")?)? as usize,
                        first: integer(field(find_spec, "firstkey")?)? as usize,
                    })
                }
                _ => Some(KeyPlace::Index(index)),
            }
        }
        "keyword" => Some(KeyPlace::Keyword(text(field(begin_spec, "keyword")?)?)),
        _ => None,
    }
}

/// Name → entry of a `COMMAND` reply, subcommands as `name|sub`.
pub fn table(reply: &Frame) -> BTreeMap<String, Frame> {
    let mut out = BTreeMap::new();
    for entry in items(reply) {
        let Some(name) = items(entry).first().and_then(text) else {
            continue;
        };
        for sub in items(entry).get(9).map(items).unwrap_or(&[]) {
            if let Some(sub_name) = items(sub).first().and_then(text) {
                out.insert(sub_name.to_ascii_lowercase(), sub.clone());
            }
        }
        out.insert(name.to_ascii_lowercase(), entry.clone());
    }
    out
}

/// Pads `args` with `0` up to `len` arguments.
pub fn pad(args: &mut Vec<String>, len: usize) {
    while args.len() < len {
        args.push("0".into());
    }
}

/// Where a blocking command's timeout goes, and the short timeout to put
/// there instead of a non-negative number (which could block for seconds,
/// or for ever).
pub fn short_timeout(name: &str, args: &mut [String]) {
    let (position, short) = match name {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" if args.len() >= 3 => (args.len() - 1, "0.01"),
        "blmove" => (5, "0.01"),
        "brpoplpush" => (3, "0.01"),
        "blmpop" | "bzmpop" => (1, "0.01"),
        "wait" => (2, "10"),
        _ => return,
    };
    if let Some(arg) = args.get_mut(position) {
        if arg.parse::<f64>().is_ok_and(|t| t >= 0.0) {
            *arg = short.into();
        }
    }
}

/// `prefix` (the command and its subcommand), padded up to the key
/// position `place` describes, then `key`; `None` when `prefix` already
/// reaches past it.
pub fn with_key(prefix: &[String], place: &KeyPlace, key: &str) -> Option<Vec<String>> {
    let mut args = prefix.to_vec();
    match place {
        KeyPlace::Index(index) => {
            if *index < args.len() {
                return None;
            }
            pad(&mut args, *index);
        }
        KeyPlace::Keynum {
            begin,
            numkeys,
            first,
        } => {
            if begin + numkeys < args.len() || first <= numkeys {
                return None;
            }
            pad(&mut args, begin + numkeys);
            args.push("1".into());
            pad(&mut args, begin + first);
        }
        KeyPlace::Keyword(keyword) => args.push(keyword.clone()),
    }
    args.push(key.into());
    Some(args)
}
