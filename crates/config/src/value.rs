//! Live values: parsing arguments into them and printing them for CONFIG GET.
//!
//! One enum covers every directive type so that the config keeps a single
//! `Vec<Value>` parallel to the directive table: lookups are an index,
//! and CONFIG SET can validate into new values before committing any.

use std::path::{Path, PathBuf};

use crate::error::strerror;
use crate::numeric::{c_strtoll, memtoull, string2ll};
use crate::special::{self, NotifyFlags, OutputBufferLimit, ReplicaOf, SavePoint};
use crate::table::{Directive, EnumSpec, Kind, NumericSpec, NumericUnit, Special};

/// The current value of one directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    /// Numeric value; unsigned directives keep the `u64` bit pattern.
    Int(i64),
    Enum(i32),
    /// `None` is "unset" (shown as an empty string).
    Str(Option<Vec<u8>>),
    Dir(PathBuf),
    Save(Vec<SavePoint>),
    OutputBufferLimits([OutputBufferLimit; 3]),
    OomScoreAdjValues([i32; 3]),
    Notify(NotifyFlags),
    Bind(Vec<String>),
    ReplicaOf(Option<ReplicaOf>),
    Percentiles(Vec<f64>),
}

impl Value {
    /// The value a directive has before any configuration is read.
    pub(crate) fn default_for(directive: &Directive, start_dir: &Path) -> Value {
        match directive.kind {
            Kind::Bool { default } => Value::Bool(default),
            Kind::Numeric(spec) => Value::Int(spec.default),
            Kind::Enum(spec) => Value::Enum(spec.default),
            Kind::String(spec) => Value::Str(spec.default.map(|s| s.as_bytes().to_vec())),
            Kind::Special(special) => match special {
                Special::Dir => Value::Dir(start_dir.to_path_buf()),
                Special::Save => Value::Save(special::DEFAULT_SAVE_POINTS.to_vec()),
                Special::ClientOutputBufferLimit => {
                    Value::OutputBufferLimits(special::DEFAULT_OUTPUT_BUFFER_LIMITS)
                }
                Special::OomScoreAdjValues => {
                    Value::OomScoreAdjValues(special::DEFAULT_OOM_SCORE_ADJ_VALUES)
                }
                Special::NotifyKeyspaceEvents => Value::Notify(NotifyFlags::empty()),
                Special::Bind => Value::Bind(
                    special::DEFAULT_BIND
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                ),
                Special::ReplicaOf => Value::ReplicaOf(None),
                Special::LatencyTrackingInfoPercentiles => {
                    Value::Percentiles(special::DEFAULT_PERCENTILES.to_vec())
                }
            },
        }
    }

    /// Parses the arguments of one directive (the name excluded) into its
    /// new value, given the current one (some directives update it
    /// partially). The error is Redis's reason text.
    pub(crate) fn parse(
        directive: &Directive,
        args: &[Vec<u8>],
        current: &Value,
    ) -> Result<Value, String> {
        match directive.kind {
            Kind::Bool { .. } => parse_bool(&args[0]).map(Value::Bool),
            Kind::Numeric(spec) => parse_numeric(directive.name, &spec, &args[0]).map(Value::Int),
            Kind::Enum(spec) => parse_enum(&spec, args).map(Value::Enum),
            Kind::String(spec) => {
                let raw = &args[0];
                if let Some(validate) = spec.validate {
                    validate(raw)?;
                }
                let unset = spec.empty_is_unset && raw.is_empty();
                Ok(Value::Str((!unset).then(|| raw.clone())))
            }
            Kind::Special(special) => parse_special(special, args, current),
        }
    }

    /// The text CONFIG GET answers.
    pub(crate) fn config_get_text(&self, directive: &Directive) -> String {
        match (self, directive.kind) {
            (Value::Bool(b), _) => yes_no(*b).to_owned(),
            (Value::Int(n), Kind::Numeric(spec)) => match spec.unit {
                NumericUnit::MemoryOrPercent if *n < 0 => format!("{}%", -n),
                NumericUnit::Memory | NumericUnit::MemoryOrPercent => (*n as u64).to_string(),
                NumericUnit::Octal => format!("{:o}", *n as u64),
                NumericUnit::Plain if spec.unsigned => (*n as u64).to_string(),
                NumericUnit::Plain => n.to_string(),
            },
            (Value::Enum(v), Kind::Enum(spec)) => enum_name(&spec, *v),
            (Value::Str(s), _) => {
                String::from_utf8_lossy(s.as_deref().unwrap_or_default()).into_owned()
            }
            (Value::Dir(path), _) => path.to_string_lossy().into_owned(),
            (Value::Save(points), _) => special::format_save(points),
            (Value::OutputBufferLimits(limits), _) => special::format_output_buffer_limits(limits),
            (Value::OomScoreAdjValues(values), _) => values
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            (Value::Notify(flags), _) => special::format_notify_flags(*flags),
            (Value::Bind(addrs), _) => addrs.join(" "),
            (Value::ReplicaOf(target), _) => target
                .as_ref()
                .map(|t| format!("{} {}", t.host, t.port))
                .unwrap_or_default(),
            (Value::Percentiles(values), _) => special::format_percentiles(values),
            // The table pairs each kind with its value type; a mismatch
            // cannot be built through this crate's API.
            (Value::Int(n), _) => n.to_string(),
            (Value::Enum(v), _) => v.to_string(),
        }
    }
}

pub(crate) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn parse_bool(arg: &[u8]) -> Result<bool, String> {
    if arg.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

/// Redis's `numericParseString` + `numericBoundaryCheck` (+ `hz` clamping).
fn parse_numeric(name: &str, spec: &NumericSpec, arg: &[u8]) -> Result<i64, String> {
    let parsed = match spec.unit {
        NumericUnit::Plain => string2ll(arg),
        NumericUnit::Memory => memtoull(arg).map(|v| v as i64),
        NumericUnit::MemoryOrPercent => memtoull(arg).map(|v| v as i64).or_else(|| {
            let digits = arg.strip_suffix(b"%").filter(|d| !d.is_empty())?;
            string2ll(digits).filter(|&p| p >= 0).map(|p| -p)
        }),
        NumericUnit::Octal => c_strtoll(arg, 8),
    };
    let value = parsed.ok_or(match spec.unit {
        NumericUnit::Plain => "argument couldn't be parsed into an integer",
        NumericUnit::Memory => "argument must be a memory value",
        NumericUnit::MemoryOrPercent => "argument must be a memory or percent value",
        NumericUnit::Octal => "argument couldn't be parsed as an octal number",
    })?;
    check_bounds(spec, value)?;
    // Redis accepts any hz but clamps it to what the event loop supports.
    Ok(if name == "hz" {
        value.clamp(1, 500)
    } else {
        value
    })
}

fn check_bounds(spec: &NumericSpec, value: i64) -> Result<(), String> {
    if spec.unsigned {
        let (v, min, max) = (value as u64, spec.min as u64, spec.max as u64);
        if v < min || v > max {
            return Err(if spec.unit == NumericUnit::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            });
        }
    } else if spec.unit == NumericUnit::MemoryOrPercent && value < 0 {
        if value < spec.min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -spec.min
            ));
        }
    } else if value < spec.min || value > spec.max {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            spec.min, spec.max
        ));
    }
    Ok(())
}

fn parse_enum(spec: &EnumSpec, args: &[Vec<u8>]) -> Result<i32, String> {
    let lookup = |arg: &[u8]| {
        spec.values
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(arg))
            .map(|(_, v)| *v)
    };
    let mut value = 0;
    let found = if spec.bit_flags {
        args.iter().try_for_each(|arg| {
            value |= lookup(arg)?;
            Some(())
        })
    } else {
        lookup(&args[0]).map(|v| value = v)
    };
    if found.is_none() {
        let names: Vec<&str> = spec.values.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        ));
    }
    // Only the shutdown flags are bit flags; their one invalid combination:
    if spec.bit_flags && value & 1 != 0 && value & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(value)
}

/// Redis's `configEnumGetName`: an exact match, else (for bit flags) the
/// names of the set bits in table order, else `unknown`.
pub(crate) fn enum_name(spec: &EnumSpec, value: i32) -> String {
    if let Some((name, _)) = spec.values.iter().find(|(_, v)| *v == value) {
        return (*name).to_owned();
    }
    if spec.bit_flags {
        let mut unmatched = value;
        let mut names = Vec::new();
        for (name, v) in spec.values {
            if *v != 0 && unmatched & v == *v {
                names.push(*name);
                unmatched &= !v;
            }
        }
        if unmatched == 0 && !names.is_empty() {
            return names.join(" ");
        }
    }
    "unknown".to_owned()
}

fn parse_special(special: Special, args: &[Vec<u8>], current: &Value) -> Result<Value, String> {
    match special {
        Special::Dir => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            let base = match current {
                Value::Dir(dir) => dir.clone(),
                _ => PathBuf::from("/"),
            };
            resolve_dir(&base, &args[0]).map(Value::Dir)
        }
        Special::Save => special::parse_save(args).map(Value::Save),
        Special::ClientOutputBufferLimit => {
            let current = match current {
                Value::OutputBufferLimits(limits) => *limits,
                _ => special::DEFAULT_OUTPUT_BUFFER_LIMITS,
            };
            special::parse_output_buffer_limits(args, &current).map(Value::OutputBufferLimits)
        }
        Special::OomScoreAdjValues => {
            special::parse_oom_score_adj_values(args).map(Value::OomScoreAdjValues)
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            special::parse_notify_flags(&args[0]).map(Value::Notify)
        }
        Special::Bind => special::parse_bind(args).map(Value::Bind),
        Special::ReplicaOf => special::parse_replica_of(args).map(Value::ReplicaOf),
        Special::LatencyTrackingInfoPercentiles => {
            special::parse_percentiles(args).map(Value::Percentiles)
        }
    }
}

/// Emulates Redis's `chdir(dir)` without changing the process directory:
/// the new directory is resolved against the current one and must exist.
fn resolve_dir(base: &Path, arg: &[u8]) -> Result<PathBuf, String> {
    let requested = Path::new(std::str::from_utf8(arg).map_err(|_| "Invalid argument".to_owned())?);
    let joined = base.join(requested);
    let resolved = std::fs::canonicalize(&joined).map_err(|e| strerror(&e))?;
    if !resolved.is_dir() {
        return Err("Not a directory".into());
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directives::DIRECTIVES;

    fn directive(name: &str) -> &'static Directive {
        DIRECTIVES.iter().find(|d| d.name == name).unwrap()
    }

    fn set(name: &str, arg: &str) -> Result<String, String> {
        let d = directive(name);
        let current = Value::default_for(d, Path::new("/"));
        let args: Vec<Vec<u8>> = if d.flags.contains(crate::table::Flags::MULTI_ARG) {
            arg.split(' ').map(|a| a.as_bytes().to_vec()).collect()
        } else {
            vec![arg.as_bytes().to_vec()]
        };
        Value::parse(d, &args, &current).map(|v| v.config_get_text(d))
    }

    #[test]
    fn numeric_errors_match_redis() {
        assert_eq!(
            set("timeout", "abc").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set("timeout", "-1").unwrap_err(),
            "argument must be between 0 and 2147483647 inclusive"
        );
        assert_eq!(
            set("maxmemory", "1x").unwrap_err(),
            "argument must be a memory value"
        );
        assert_eq!(
            set("maxmemory-clients", "200%").unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            set("maxmemory-clients", "abc").unwrap_err(),
            "argument must be a memory or percent value"
        );
        assert_eq!(
            set("repl-backlog-size", "0").unwrap_err(),
            "argument must be between 1 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            set("unixsocketperm", "1000").unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
    }

    #[test]
    fn numeric_values_print_like_redis() {
        assert_eq!(set("maxmemory", "1mb").unwrap(), "1048576");
        assert_eq!(
            set("maxmemory", "18446744073709551615").unwrap(),
            "18446744073709551615"
        );
        assert_eq!(set("maxmemory", "").unwrap(), "0");
        assert_eq!(set("maxmemory-clients", "5%").unwrap(), "5%");
        assert_eq!(set("unixsocketperm", "700").unwrap(), "700");
        assert_eq!(set("hz", "1000").unwrap(), "500");
        assert_eq!(set("list-max-listpack-size", "-5").unwrap(), "-5");
    }

    #[test]
    fn enums_and_bools() {
        assert_eq!(set("appendonly", "YES").unwrap(), "yes");
        assert_eq!(
            set("appendonly", "maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            set("maxmemory-policy", "ALLKEYS-LRU").unwrap(),
            "allkeys-lru"
        );
        assert_eq!(
            set("maxmemory-policy", "x").unwrap_err(),
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        );
        // Redis names a value by its first entry: `relative` shows as `yes`.
        assert_eq!(set("oom-score-adj", "relative").unwrap(), "yes");
        assert_eq!(set("shutdown-on-sigint", "now save").unwrap(), "save now");
        assert_eq!(set("shutdown-on-sigint", "default").unwrap(), "default");
        assert_eq!(
            set("shutdown-on-sigint", "save nosave").unwrap_err(),
            "shutdown options SAVE and NOSAVE can't be used simultaneously"
        );
        assert!(set("shutdown-on-sigint", "save  now").is_err());
    }

    #[test]
    fn strings_validate_and_unset() {
        assert_eq!(
            set("dbfilename", "a/b").unwrap_err(),
            "dbfilename can't be a path, just a filename"
        );
        assert_eq!(set("masteruser", "").unwrap(), "");
        assert_eq!(set("requirepass", "p w").unwrap(), "p w");
    }

    #[test]
    fn dir_must_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let d = directive("dir");
        let current = Value::Dir(tmp.path().to_path_buf());
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        let moved = Value::parse(d, &[b"sub".to_vec()], &current).unwrap();
        assert_eq!(
            moved,
            Value::Dir(tmp.path().canonicalize().unwrap().join("sub"))
        );
        assert_eq!(
            Value::parse(d, &[b"missing".to_vec()], &current).unwrap_err(),
            "No such file or directory"
        );
    }
}
