//! Turns the JSON declarations in `data/` into [`Command`]s.
//!
//! The data is layered: the Redis 7.0.15 dump, the 7.2 overlay deep-merged
//! over it (so every 7.2 delta is visible in one small file), then the
//! module files. Each declaration holds what Redis's JSON files declare;
//! everything Redis derives at startup (implicit categories, the legacy
//! first/last/step, `movablekeys`) is derived here the same way.

use crate::derive::{implicit_categories, legacy_range};
use crate::{
    BeginSearch, Categories, Category, Command, CommandFlags, CommandsError, FindKeys, KeyFunction,
    KeySpec, KeySpecFlags,
};
use serde_json::{Map, Value};

/// One embedded data file.
pub(crate) struct DataFile {
    pub name: &'static str,
    pub text: &'static str,
    /// The registering module for module command files.
    pub module: Option<&'static str>,
    /// Overlays patch the commands loaded before them instead of adding a set.
    pub overlay: bool,
}

/// The data files, in load order.
pub(crate) const DATA_FILES: [DataFile; 3] = [
    DataFile {
        name: "redis-7.0.15.json",
        text: include_str!("../data/redis-7.0.15.json"),
        module: None,
        overlay: false,
    },
    DataFile {
        name: "redis-7.2-overlay.json",
        text: include_str!("../data/redis-7.2-overlay.json"),
        module: None,
        overlay: true,
    },
    DataFile {
        name: "redisjson-2.6.json",
        text: include_str!("../data/redisjson-2.6.json"),
        module: Some("ReJSON"),
        overlay: false,
    },
];

/// A top-level declaration before ids are assigned.
pub(crate) struct Declared {
    pub command: Command,
    pub subcommands: Vec<Command>,
}

/// Parses and layers `files`, returning top-level declarations (unsorted).
pub(crate) fn load(files: &[DataFile]) -> Result<Vec<Declared>, CommandsError> {
    // Declarations of the core server, patched by overlays, then module sets.
    let mut layers: Vec<(Map<String, Value>, Option<&'static str>)> = Vec::new();
    for file in files {
        let parsed: Value =
            serde_json::from_str(file.text).map_err(|source| CommandsError::Json {
                file: file.name,
                source,
            })?;
        let Value::Object(map) = parsed else {
            return Err(CommandsError::declaration(
                file.name,
                "top level is not an object",
            ));
        };
        match (file.overlay, layers.last_mut()) {
            (true, Some((base, _))) => merge_overlay(base, &map),
            (true, None) => {
                return Err(CommandsError::declaration(
                    file.name,
                    "overlay without a base",
                ))
            }
            (false, _) => layers.push((map, file.module)),
        }
    }
    let mut declared = Vec::new();
    for (map, module) in &layers {
        for (name, decl) in map.iter().filter(|(name, _)| !name.starts_with('_')) {
            let lower = name.to_ascii_lowercase();
            let Some(command) = parse_command(&lower, &lower, decl, *module)? else {
                continue;
            };
            let mut subcommands = Vec::new();
            if let Some(subs) = decl.get("subcommands") {
                let subs = subs.as_object().ok_or_else(|| {
                    CommandsError::declaration(name, "subcommands is not an object")
                })?;
                for (sub_name, sub_decl) in subs {
                    let sub_lower = sub_name.to_ascii_lowercase();
                    let fullname = format!("{lower}|{sub_lower}");
                    if let Some(sub) = parse_command(&sub_lower, &fullname, sub_decl, *module)? {
                        subcommands.push(sub);
                    }
                }
            }
            declared.push(Declared {
                command,
                subcommands,
            });
        }
    }
    Ok(declared)
}

/// Deep-merges `overlay` into `base`: fields replace, `subcommands` merge
/// by name, new names are added whole; `reason` and `_`-keys only document.
fn merge_overlay(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (name, patch) in overlay.iter().filter(|(name, _)| !name.starts_with('_')) {
        let Value::Object(patch) = patch else {
            continue;
        };
        let target = base
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else {
            continue;
        };
        for (field, value) in patch {
            match (field.as_str(), value) {
                ("reason", _) => {}
                ("subcommands", Value::Object(subs)) => {
                    let entry = target
                        .entry("subcommands".to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(existing) = entry {
                        merge_overlay(existing, subs);
                    }
                }
                _ => {
                    target.insert(field.clone(), value.clone());
                }
            }
        }
    }
}

/// One declaration; `None` for sentinel-only commands, which a
/// non-sentinel server does not have.
fn parse_command(
    name: &str,
    fullname: &str,
    decl: &Value,
    module: Option<&str>,
) -> Result<Option<Command>, CommandsError> {
    let bad = |problem: &str| CommandsError::declaration(fullname, problem);
    let obj = decl
        .as_object()
        .ok_or_else(|| bad("declaration is not an object"))?;
    let arity = obj
        .get("arity")
        .and_then(Value::as_i64)
        .and_then(|a| i32::try_from(a).ok())
        .ok_or_else(|| bad("missing or invalid arity"))?;
    let mut flags = CommandFlags::empty();
    for flag in string_list(obj, "command_flags", fullname)? {
        flags |= command_flag(flag).ok_or_else(|| bad(&format!("unknown command flag {flag}")))?;
    }
    if flags.contains(CommandFlags::ONLY_SENTINEL) {
        return Ok(None);
    }
    let mut declared = Categories::EMPTY;
    for cat in string_list(obj, "acl_categories", fullname)? {
        let category = Category::from_name(cat.as_bytes())
            .ok_or_else(|| bad(&format!("unknown ACL category {cat}")))?;
        declared.insert(category);
    }
    let key_specs = match obj.get("key_specs") {
        None => Vec::new(),
        Some(Value::Array(specs)) => specs
            .iter()
            .map(|s| parse_key_spec(s, fullname))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("key_specs is not an array")),
    };
    let tips = string_list(obj, "command_tips", fullname)?
        .into_iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let key_function = match obj.get("get_keys_function").and_then(Value::as_str) {
        None => None,
        Some(f) => {
            Some(key_function(f).ok_or_else(|| bad(&format!("unknown get_keys_function {f}")))?)
        }
    };
    let (legacy, movable) = legacy_range(&key_specs);
    if movable {
        flags |= CommandFlags::MOVABLE_KEYS;
    }
    let categories = if module.is_some() {
        declared
    } else {
        implicit_categories(flags, declared)
    };
    let mut docs = obj.clone();
    docs.remove("subcommands");
    Ok(Some(Command {
        id: 0,
        name: name.to_owned(),
        fullname: fullname.to_owned(),
        parent: None,
        arity,
        flags,
        categories,
        key_specs,
        legacy_range: legacy,
        key_function,
        module: module.map(str::to_owned),
        tips,
        subcommands: Vec::new(),
        docs: Value::Object(docs),
    }))
}

fn string_list<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    command: &str,
) -> Result<Vec<&'a str>, CommandsError> {
    match obj.get(field) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    CommandsError::declaration(command, format!("{field} holds a non-string"))
                })
            })
            .collect(),
        Some(_) => Err(CommandsError::declaration(
            command,
            format!("{field} is not an array"),
        )),
    }
}

fn parse_key_spec(spec: &Value, command: &str) -> Result<KeySpec, CommandsError> {
    let bad = |problem: &str| CommandsError::declaration(command, format!("key spec: {problem}"));
    let obj = spec.as_object().ok_or_else(|| bad("not an object"))?;
    let mut flags = KeySpecFlags::empty();
    for flag in string_list(obj, "flags", command)? {
        flags |= key_spec_flag(flag).ok_or_else(|| bad(&format!("unknown flag {flag}")))?;
    }
    let int = |v: &Value, field: &str| -> Result<i32, CommandsError> {
        v.get(field)
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| bad(&format!("missing {field}")))
    };
    let begin = obj
        .get("begin_search")
        .ok_or_else(|| bad("missing begin_search"))?;
    let begin_search = if let Some(index) = begin.get("index") {
        BeginSearch::Index(int(index, "pos")?)
    } else if let Some(keyword) = begin.get("keyword") {
        BeginSearch::Keyword {
            keyword: keyword
                .get("keyword")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("missing keyword"))?
                .to_owned(),
            startfrom: int(keyword, "startfrom")?,
        }
    } else {
        BeginSearch::Unknown
    };
    let find = obj
        .get("find_keys")
        .ok_or_else(|| bad("missing find_keys"))?;
    let find_keys = if let Some(range) = find.get("range") {
        FindKeys::Range {
            lastkey: int(range, "lastkey")?,
            keystep: int(range, "step")?,
            limit: int(range, "limit")?,
        }
    } else if let Some(keynum) = find.get("keynum") {
        FindKeys::Keynum {
            keynumidx: int(keynum, "keynumidx")?,
            firstkey: int(keynum, "firstkey")?,
            keystep: int(keynum, "step")?,
        }
    } else {
        FindKeys::Unknown
    };
    let notes = obj.get("notes").and_then(Value::as_str).map(str::to_owned);
    Ok(KeySpec {
        notes,
        flags,
        begin_search,
        find_keys,
    })
}

fn command_flag(name: &str) -> Option<CommandFlags> {
    CommandFlags::all()
        .iter_names()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| f)
}

fn key_spec_flag(name: &str) -> Option<KeySpecFlags> {
    KeySpecFlags::all()
        .iter_names()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| f)
}

fn key_function(name: &str) -> Option<KeyFunction> {
    let numkeys = |store_at, count_at, first_key| KeyFunction::Numkeys {
        store_at,
        count_at,
        first_key,
    };
    Some(match name {
        "setGetKeys" => KeyFunction::Set,
        "bitfieldGetKeys" => KeyFunction::Bitfield,
        "sortGetKeys" => KeyFunction::Sort,
        "sortROGetKeys" => KeyFunction::SortRo,
        "migrateGetKeys" => KeyFunction::Migrate,
        "georadiusGetKeys" => KeyFunction::Georadius,
        "xreadGetKeys" => KeyFunction::Xread,
        "zunionInterDiffStoreGetKeys" => numkeys(1, 2, 3),
        "zunionInterDiffGetKeys" | "sintercardGetKeys" | "lmpopGetKeys" | "zmpopGetKeys" => {
            numkeys(0, 1, 2)
        }
        "evalGetKeys" | "functionGetKeys" | "blmpopGetKeys" | "bzmpopGetKeys" => numkeys(0, 2, 3),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_replaces_fields_and_adds_subcommands() {
        let mut base: Map<String, Value> = serde_json::from_str(
            r#"{"A": {"arity": 2, "summary": "old"}, "C": {"arity": -2, "subcommands": {"X": {"arity": 2}}}}"#,
        )
        .unwrap();
        let overlay: Map<String, Value> = serde_json::from_str(
            r#"{"A": {"reason": "r", "arity": -2}, "C": {"subcommands": {"Y": {"arity": 3}}}, "N": {"arity": 1}}"#,
        )
        .unwrap();
        merge_overlay(&mut base, &overlay);
        assert_eq!(base["A"]["arity"], -2);
        assert_eq!(base["A"]["summary"], "old");
        assert!(base["A"].get("reason").is_none());
        assert_eq!(base["C"]["subcommands"]["X"]["arity"], 2);
        assert_eq!(base["C"]["subcommands"]["Y"]["arity"], 3);
        assert_eq!(base["N"]["arity"], 1);
    }

    #[test]
    fn malformed_declarations_are_errors_not_panics() {
        let files = [DataFile {
            name: "t.json",
            text: r#"{"GET": {"arity": "two"}}"#,
            module: None,
            overlay: false,
        }];
        assert!(matches!(
            load(&files),
            Err(CommandsError::Declaration { .. })
        ));
        let files = [DataFile {
            name: "t.json",
            text: "{",
            module: None,
            overlay: false,
        }];
        assert!(matches!(load(&files), Err(CommandsError::Json { .. })));
        let files = [DataFile {
            name: "t.json",
            text: r#"{"GET": {"arity": 2, "command_flags": ["NOPE"]}}"#,
            module: None,
            overlay: false,
        }];
        assert!(load(&files).is_err());
    }

    #[test]
    fn sentinel_only_commands_are_dropped() {
        let files = [DataFile {
            name: "t.json",
            text: r#"{"SENTINEL": {"arity": -2, "command_flags": ["ONLY_SENTINEL"]}, "GET": {"arity": 2}}"#,
            module: None,
            overlay: false,
        }];
        let loaded = load(&files).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].command.name, "get");
    }
}
