//! `COMMAND INFO` and `COMMAND DOCS` replies, rendered from declarations.
//!
//! Clients (redis-py's cluster routing, redis-rs, cli completion) parse
//! these replies positionally, so element order and RESP3 types follow
//! Redis's `addReplyCommandInfo` / `addReplyCommandDocs` exactly: flags and
//! categories are sets of status strings, tips a set of bulk strings, key
//! specs maps, fields in the fixed order Redis writes them.

use crate::{BeginSearch, Command, CommandTable, FindKeys, KeySpec};
use bytes::Bytes;
use moat_resp::Frame;
use serde_json::Value;

/// One command's `COMMAND INFO` entry (10 elements, subcommands nested).
/// Subcommands are taken from [`CommandTable::global`].
pub fn command_info_reply(cmd: &Command) -> Frame {
    let table = CommandTable::global();
    let range = cmd.legacy_range;
    Frame::Array(vec![
        bulk(&cmd.fullname),
        Frame::Integer(i64::from(cmd.arity)),
        Frame::Set(cmd.flags.info_names().map(status).collect()),
        Frame::Integer(i64::from(range.first)),
        Frame::Integer(i64::from(range.last)),
        Frame::Integer(i64::from(range.step)),
        Frame::Set(
            cmd.categories
                .iter()
                .map(|c| status_owned(format!("@{}", c.name())))
                .collect(),
        ),
        Frame::Set(cmd.tips.iter().map(|t| bulk(t)).collect()),
        Frame::Set(cmd.key_specs.iter().map(key_spec_reply).collect()),
        subcommands_info(table, cmd),
    ])
}

/// Redis answers an empty *set* for commands without subcommands but an
/// *array* of entries for containers.
fn subcommands_info(table: &CommandTable, cmd: &Command) -> Frame {
    if cmd.is_container() {
        Frame::Array(table.subcommands(cmd).map(command_info_reply).collect())
    } else {
        Frame::Set(Vec::new())
    }
}

/// One command's `COMMAND DOCS` value (a map; subcommands nested).
pub fn command_docs_reply(cmd: &Command) -> Frame {
    let table = CommandTable::global();
    let docs = &cmd.docs;
    let mut map = Vec::new();
    push_bulk_field(&mut map, docs, "summary");
    push_bulk_field(&mut map, docs, "since");
    let group = if cmd.module.is_some() {
        "module"
    } else {
        docs.get("group").and_then(Value::as_str).unwrap_or("")
    };
    map.push((bulk("group"), bulk(group)));
    push_bulk_field(&mut map, docs, "complexity");
    if let Some(module) = &cmd.module {
        map.push((bulk("module"), bulk(module)));
    }
    if let Some(Value::Array(flags)) = docs.get("doc_flags") {
        let names = flags
            .iter()
            .filter_map(Value::as_str)
            .map(|f| status_owned(f.to_ascii_lowercase()));
        map.push((bulk("doc_flags"), Frame::Set(names.collect())));
    }
    push_bulk_field(&mut map, docs, "deprecated_since");
    push_bulk_field(&mut map, docs, "replaced_by");
    if let Some(Value::Array(history)) = docs.get("history") {
        let entries = history.iter().map(|entry| {
            let pair = entry.as_array().map(Vec::as_slice).unwrap_or_default();
            Frame::Array(
                pair.iter()
                    .map(|v| bulk(v.as_str().unwrap_or("")))
                    .collect(),
            )
        });
        map.push((bulk("history"), Frame::Set(entries.collect())));
    }
    if let Some(Value::Array(args)) = docs.get("arguments") {
        map.push((bulk("arguments"), arguments_reply(args)));
    }
    if cmd.is_container() {
        let subs = table
            .subcommands(cmd)
            .map(|sub| (bulk(&sub.fullname), command_docs_reply(sub)));
        map.push((bulk("subcommands"), Frame::Map(subs.collect())));
    }
    Frame::Map(map)
}

fn arguments_reply(args: &[Value]) -> Frame {
    Frame::Array(args.iter().map(argument_reply).collect())
}

/// One argument, fields in `addReplyCommandArgList` order.
fn argument_reply(arg: &Value) -> Frame {
    let mut map = Vec::new();
    push_bulk_field(&mut map, arg, "name");
    push_bulk_field(&mut map, arg, "type");
    if let Some(display) = arg.get("display").and_then(Value::as_str) {
        map.push((bulk("display_text"), bulk(display)));
    }
    if let Some(index) = arg.get("key_spec_index").and_then(Value::as_i64) {
        map.push((bulk("key_spec_index"), Frame::Integer(index)));
    }
    push_bulk_field(&mut map, arg, "token");
    push_bulk_field(&mut map, arg, "summary");
    push_bulk_field(&mut map, arg, "since");
    push_bulk_field(&mut map, arg, "deprecated_since");
    let flags: Vec<Frame> = ["optional", "multiple", "multiple_token"]
        .into_iter()
        .filter(|f| arg.get(*f).and_then(Value::as_bool).unwrap_or(false))
        .map(status)
        .collect();
    if !flags.is_empty() {
        map.push((bulk("flags"), Frame::Set(flags)));
    }
    if let Some(Value::Array(sub)) = arg.get("arguments") {
        map.push((bulk("arguments"), arguments_reply(sub)));
    }
    Frame::Map(map)
}

fn key_spec_reply(spec: &KeySpec) -> Frame {
    let mut map = Vec::new();
    if let Some(notes) = &spec.notes {
        map.push((bulk("notes"), bulk(notes)));
    }
    map.push((
        bulk("flags"),
        Frame::Set(spec.flags.info_names().map(status).collect()),
    ));
    let (begin_type, begin_spec) = match &spec.begin_search {
        BeginSearch::Index(pos) => (
            "index",
            vec![(bulk("index"), Frame::Integer(i64::from(*pos)))],
        ),
        BeginSearch::Keyword { keyword, startfrom } => (
            "keyword",
            vec![
                (bulk("keyword"), bulk(keyword)),
                (bulk("startfrom"), Frame::Integer(i64::from(*startfrom))),
            ],
        ),
        BeginSearch::Unknown => ("unknown", Vec::new()),
    };
    map.push((bulk("begin_search"), typed_spec(begin_type, begin_spec)));
    let int = |name: &'static str, v: i32| (bulk(name), Frame::Integer(i64::from(v)));
    let (find_type, find_spec) = match spec.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => (
            "range",
            vec![
                int("lastkey", lastkey),
                int("keystep", keystep),
                int("limit", limit),
            ],
        ),
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => (
            "keynum",
            vec![
                int("keynumidx", keynumidx),
                int("firstkey", firstkey),
                int("keystep", keystep),
            ],
        ),
        FindKeys::Unknown => ("unknown", Vec::new()),
    };
    map.push((bulk("find_keys"), typed_spec(find_type, find_spec)));
    Frame::Map(map)
}

fn typed_spec(kind: &'static str, spec: Vec<(Frame, Frame)>) -> Frame {
    Frame::Map(vec![
        (bulk("type"), bulk(kind)),
        (bulk("spec"), Frame::Map(spec)),
    ])
}

fn push_bulk_field(map: &mut Vec<(Frame, Frame)>, obj: &Value, field: &'static str) {
    if let Some(text) = obj.get(field).and_then(Value::as_str) {
        map.push((bulk(field), bulk(text)));
    }
}

fn bulk(text: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(text.as_bytes()))
}

fn status(text: &'static str) -> Frame {
    Frame::Simple(Bytes::from_static(text.as_bytes()))
}

fn status_owned(text: String) -> Frame {
    Frame::Simple(Bytes::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> Vec<Frame> {
        match command_info_reply(
            CommandTable::global()
                .lookup_fullname(name.as_bytes())
                .unwrap(),
        ) {
            Frame::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn info_of_get() {
        let get = info("get");
        assert_eq!(get.len(), 10);
        assert_eq!(get[0], bulk("get"));
        assert_eq!(get[1], Frame::Integer(2));
        assert_eq!(get[2], Frame::Set(vec![status("readonly"), status("fast")]));
        assert_eq!(
            &get[3..6],
            &[Frame::Integer(1), Frame::Integer(1), Frame::Integer(1)]
        );
        assert_eq!(
            get[6],
            Frame::Set(vec![status("@read"), status("@string"), status("@fast")])
        );
    }

    #[test]
    fn movable_keys_and_zero_range_for_keyword_specs() {
        let xread = info("xread");
        let Frame::Set(flags) = &xread[2] else {
            panic!()
        };
        assert!(flags.contains(&status("movablekeys")));
        assert_eq!(
            &xread[3..6],
            &[Frame::Integer(0), Frame::Integer(0), Frame::Integer(0)]
        );
    }

    #[test]
    fn module_commands_show_module_flag_and_declared_categories_only() {
        let set = info("json.set");
        let Frame::Set(flags) = &set[2] else { panic!() };
        assert!(flags.contains(&status("module")));
        assert_eq!(
            set[6],
            Frame::Set(vec![status("@write"), status("@slow"), status("@json")])
        );
        let Frame::Map(docs) =
            command_docs_reply(CommandTable::global().lookup(b"json.set").unwrap())
        else {
            panic!()
        };
        assert!(docs.contains(&(bulk("module"), bulk("ReJSON"))));
        assert!(docs.contains(&(bulk("group"), bulk("module"))));
    }

    #[test]
    fn containers_nest_subcommands() {
        let client = info("client");
        let Frame::Array(subs) = &client[9] else {
            panic!()
        };
        assert_eq!(
            subs.len(),
            CommandTable::global()
                .lookup(b"client")
                .unwrap()
                .subcommands
                .len()
        );
        let Frame::Map(docs) =
            command_docs_reply(CommandTable::global().lookup(b"client").unwrap())
        else {
            panic!()
        };
        assert!(docs.iter().any(|(k, _)| *k == bulk("subcommands")));
    }
}
