//! Loading the configuration at startup: the file, `include`s, standard
//! input and command-line options, as redis-server does.
//!
//! Redis turns the command-line options into config lines appended after
//! the file, then reads everything line by line; the first bad line stops
//! the server with a banner naming the line. Any directive can be given
//! on the command line that way, and errors there are reported with the
//! line numbers of that combined text, which is reproduced here.

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::access::lookup;
use crate::directives::{DEPRECATED, DIRECTIVES};
use crate::error::{FatalConfigError, UserDeclarationError};
use crate::include::{expand_glob, has_wildcard, read_config_file};
use crate::table::{Flags, Special};
use crate::tokenize::{repr, split_args};
use crate::value::Value;
use crate::{Config, UserValidator};

/// What one load remembers across lines.
#[derive(Default)]
struct LoadState {
    /// Redis replaces the default save points on the first `save` line
    /// only; later lines add to the list (`save ""` still clears it).
    save_seen: bool,
}

/// The command line split the way redis-server splits it.
struct CommandLine {
    config_file: Option<PathBuf>,
    read_stdin: bool,
    options: String,
}

impl Config {
    /// Loads the configuration like `redis-server [file] [options]`:
    /// `path` is the config file, `cli_args` the arguments after it
    /// (`--port 7000 --save "" --user "alice on >pw"`, and `-` to also
    /// read config text from standard input).
    pub fn load(path: Option<&Path>, cli_args: &[String]) -> Result<Config, FatalConfigError> {
        Self::load_with_user_validator(path, cli_args, &|_| Ok(()))
    }

    /// [`Config::load`], checking every `user` directive's rules with
    /// `validate_user` (duplicate user names are always refused).
    pub fn load_with_user_validator(
        path: Option<&Path>,
        cli_args: &[String],
        validate_user: UserValidator<'_>,
    ) -> Result<Config, FatalConfigError> {
        let command_line = parse_options(path.map(Path::to_path_buf), cli_args);
        Self::load_command_line(command_line, validate_user)
    }

    /// Loads from redis-server's full argument list (without the program
    /// name): a first argument not starting with `-` is the config file.
    pub fn from_command_line(
        args: &[String],
        validate_user: UserValidator<'_>,
    ) -> Result<Config, FatalConfigError> {
        let (path, rest) = match args.split_first() {
            Some((first, rest)) if !first.starts_with('-') => (Some(PathBuf::from(first)), rest),
            _ => (None, args),
        };
        let command_line = parse_options(path, rest);
        Self::load_command_line(command_line, validate_user)
    }

    /// Loads config text as if it were the whole config file (handy for
    /// tests and embedded setups).
    pub fn from_text(text: &str) -> Result<Config, FatalConfigError> {
        let mut config = Config::default();
        config.load_text(text.as_bytes(), &|_| Ok(()), &mut LoadState::default())?;
        config.check_loaded()?;
        Ok(config)
    }

    fn load_command_line(
        command_line: CommandLine,
        validate_user: UserValidator<'_>,
    ) -> Result<Config, FatalConfigError> {
        let mut config = Config::default();
        let mut text = Vec::new();
        if let Some(file) = &command_line.config_file {
            text = read_config_file(file)?;
            config.config_file = Some(absolute(file));
        }
        if command_line.read_stdin {
            config.warnings.push("Reading config from stdin".to_owned());
            // An unreadable stdin is the same as an empty one for Redis.
            let _ = std::io::stdin().read_to_end(&mut text);
        }
        text.push(b'\n');
        text.extend_from_slice(command_line.options.as_bytes());
        config.load_text(&text, validate_user, &mut LoadState::default())?;
        config.check_loaded()?;
        Ok(config)
    }

    /// Redis's `loadServerConfigFromString`.
    fn load_text(
        &mut self,
        text: &[u8],
        validate_user: UserValidator<'_>,
        state: &mut LoadState,
    ) -> Result<(), FatalConfigError> {
        for (index, raw_line) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim(raw_line);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |reason: String| FatalConfigError::BadLine {
                line_number: index + 1,
                line: String::from_utf8_lossy(line).into_owned(),
                reason,
            };
            let args = split_args(line).map_err(|e| fail(e.to_string()))?;
            if args.is_empty() {
                continue;
            }
            let name = args[0].to_ascii_lowercase();
            match self.apply_line(&name, &args, validate_user, state) {
                Ok(()) => {}
                Err(LineError::Fatal(fatal)) => return Err(fatal),
                Err(LineError::Reason(reason)) => return Err(fail(reason)),
            }
        }
        Ok(())
    }

    fn apply_line(
        &mut self,
        name: &[u8],
        args: &[Vec<u8>],
        validate_user: UserValidator<'_>,
        state: &mut LoadState,
    ) -> Result<(), LineError> {
        let name_text = String::from_utf8_lossy(name).into_owned();
        if let Some(l) = lookup(name) {
            let directive = &DIRECTIVES[l.index];
            if !directive.flags.contains(Flags::MULTI_ARG) && args.len() != 2 {
                return Err(LineError::Reason("wrong number of arguments".into()));
            }
            // Redis 7: a multi-argument directive given one argument has
            // it split on spaces (`--save "60 1"`, `save "900 1 300 10"`).
            let split: Vec<Vec<u8>>;
            let args = if directive.flags.contains(Flags::MULTI_ARG)
                && args.len() == 2
                && args[1].contains(&b' ')
            {
                split = std::iter::once(args[0].clone())
                    .chain(
                        args[1]
                            .split(|&b| b == b' ')
                            .filter(|w| !w.is_empty())
                            .map(<[u8]>::to_vec),
                    )
                    .collect();
                &split[..]
            } else {
                args
            };
            let new_value = Value::parse(directive, &args[1..], &self.values[l.index])?;
            // `save ""` always clears the list; other `save` lines add to it.
            let clears = args.len() == 2 && args[1].is_empty();
            let new_value = match (new_value, &self.values[l.index]) {
                (Value::Save(mut added), Value::Save(existing)) if state.save_seen && !clears => {
                    let mut all = existing.clone();
                    all.append(&mut added);
                    Value::Save(all)
                }
                (value, _) => value,
            };
            if directive.kind_is(Special::Save) {
                state.save_seen = true;
            }
            self.values[l.index] = new_value;
            if !directive.implemented {
                self.warn_once(format!(
                    "Config directive '{}' is accepted but not implemented by moat yet; it has no effect",
                    directive.name
                ));
            }
            return Ok(());
        }
        let argc = args.len();
        if let Some((deprecated, _, _)) = DEPRECATED
            .iter()
            .find(|(n, min, max)| n.as_bytes() == name && (*min..=*max).contains(&argc))
        {
            self.warn_once(format!(
                "Config directive '{deprecated}' is deprecated and ignored"
            ));
            return Ok(());
        }
        match (name, argc) {
            (b"include", 2) => self.include(&args[1], validate_user, state),
            (b"rename-command", 3) => {
                self.renamed_commands
                    .push((Bytes::from(args[1].clone()), Bytes::from(args[2].clone())));
                self.warn_once("Config directive 'rename-command' is accepted but not implemented by moat yet; it has no effect".into());
                Ok(())
            }
            (b"user", 2..) => self.declare_user(args, validate_user),
            (b"loadmodule", 2..) => {
                self.module_loads
                    .push(args[1..].iter().cloned().map(Bytes::from).collect());
                self.warn_once(
                    "Config directive 'loadmodule' is accepted but moat does not load modules"
                        .into(),
                );
                Ok(())
            }
            _ if name.contains(&b'.') => {
                if argc != 2 {
                    return Err(LineError::Reason(
                        "Module config specified without value".into(),
                    ));
                }
                self.module_configs
                    .push((Bytes::from(args[0].clone()), Bytes::from(args[1].clone())));
                self.warn_once(format!(
                    "Module config '{name_text}' is accepted but moat does not load modules"
                ));
                Ok(())
            }
            (b"sentinel", 1) => Ok(()),
            (b"sentinel", _) => Err(LineError::Reason(
                "sentinel directive while not in sentinel mode".into(),
            )),
            _ => Err(LineError::Reason(
                "Bad directive or wrong number of arguments".into(),
            )),
        }
    }

    /// `include <path>`: the included text is read on its own (its line
    /// numbers are its own in errors).
    fn include(
        &mut self,
        path: &[u8],
        validate_user: UserValidator<'_>,
        state: &mut LoadState,
    ) -> Result<(), LineError> {
        let files = if has_wildcard(path) {
            expand_glob(path)
        } else {
            vec![PathBuf::from(String::from_utf8_lossy(path).into_owned())]
        };
        let mut text = Vec::new();
        for file in files {
            text.extend(read_config_file(&file).map_err(LineError::Fatal)?);
        }
        self.load_text(&text, validate_user, state)
            .map_err(LineError::Fatal)
    }

    fn declare_user(
        &mut self,
        args: &[Vec<u8>],
        validate_user: UserValidator<'_>,
    ) -> Result<(), LineError> {
        let declaration: Vec<Bytes> = args.iter().cloned().map(Bytes::from).collect();
        let describe = |e: UserDeclarationError| {
            let blamed = args
                .get(e.arg_index)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .unwrap_or_default();
            LineError::Reason(format!(
                "Error in user declaration '{blamed}': {}",
                e.message
            ))
        };
        if self
            .users
            .iter()
            .any(|existing| existing[0] == declaration[1])
        {
            return Err(describe(UserDeclarationError {
                arg_index: 1,
                message: "Duplicate user found. A user can only be defined once in config files"
                    .into(),
            }));
        }
        validate_user(&declaration).map_err(describe)?;
        self.users.push(declaration[1..].to_vec());
        Ok(())
    }

    /// Redis's checks after the whole text was read.
    fn check_loaded(&self) -> Result<(), FatalConfigError> {
        if let Some(logfile) = self.get_str("logfile").filter(|f| !f.is_empty()) {
            let path =
                Path::new(std::ffi::OsStr::new(&*String::from_utf8_lossy(logfile))).to_path_buf();
            let dir_relative = self.dir().join(path);
            if let Err(e) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&dir_relative)
            {
                return Err(FatalConfigError::Global {
                    reason: format!("Can't open the log file: {}", crate::error::strerror(&e)),
                });
            }
        }
        if self.get_bool("cluster-enabled") == Some(true) && self.replica_of().is_some() {
            return Err(FatalConfigError::Global {
                reason: "replicaof directive not allowed in cluster mode".into(),
            });
        }
        Ok(())
    }

    fn warn_once(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

impl crate::table::Directive {
    fn kind_is(&self, special: Special) -> bool {
        matches!(self.kind, crate::table::Kind::Special(s) if s == special)
    }
}

/// Why a line was refused.
enum LineError {
    /// A reason to print in the banner for this line.
    Reason(String),
    /// An error already complete (from an included file).
    Fatal(FatalConfigError),
}

impl From<String> for LineError {
    fn from(reason: String) -> Self {
        LineError::Reason(reason)
    }
}

/// Redis trims config lines of these characters.
fn trim(line: &[u8]) -> &[u8] {
    let is_trimmed = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line
        .iter()
        .position(|b| !is_trimmed(b))
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_trimmed(b))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// redis-server's `main()` option handling: `--name` starts a line,
/// following words are its (quoted) arguments, `-` alone as first or last
/// argument means "also read stdin", and a bare `--save` becomes `save ""`.
fn parse_options(config_file: Option<PathBuf>, args: &[String]) -> CommandLine {
    let mut options = String::new();
    let mut read_stdin = false;
    let mut last_option_has_value = true;
    for (j, arg) in args.iter().enumerate() {
        let is_last = j + 1 == args.len();
        let next_is_option = args.get(j + 1).is_some_and(|next| next.starts_with("--"));
        if arg == "-" && (j == 0 || is_last) {
            read_stdin = true;
        } else if last_option_has_value && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            // `--port 6380` given as one argument already carries its value.
            let carries_value = split_args(arg.as_bytes()).map_or(true, |words| words.len() != 1);
            last_option_has_value = carries_value;
            if !carries_value && arg.eq_ignore_ascii_case("--save") && (is_last || next_is_option) {
                options.push_str("\"\"");
                last_option_has_value = true;
            } else if !carries_value
                && arg.eq_ignore_ascii_case("--sentinel")
                && (is_last || next_is_option)
            {
                last_option_has_value = true;
            }
        } else {
            options.push_str(&repr(arg.as_bytes()));
            options.push(' ');
            last_option_has_value = true;
        }
    }
    CommandLine {
        config_file,
        read_stdin,
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_options(None, &args).options
    }

    #[test]
    fn command_line_becomes_config_lines() {
        assert_eq!(
            options(&["--port", "7000", "--save", ""]),
            "port \"7000\" \nsave \"\" "
        );
        assert_eq!(
            options(&["--save", "--port", "1"]),
            "save \"\"\nport \"1\" "
        );
        assert_eq!(
            options(&["--port", "1", "--save"]),
            "port \"1\" \nsave \"\""
        );
        assert_eq!(
            options(&["--user", "alice on >pw"]),
            "user \"alice on >pw\" "
        );
        assert_eq!(options(&["--port 7000"]), "port 7000 ");
        assert_eq!(options(&["--bind", "a", "b"]), "bind \"a\" \"b\" ");
    }

    #[test]
    fn dash_reads_stdin_only_at_the_ends() {
        let args: Vec<String> = ["-", "--port", "1"].iter().map(|s| s.to_string()).collect();
        assert!(parse_options(None, &args).read_stdin);
        let args: Vec<String> = ["--port", "-", "--x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let parsed = parse_options(None, &args);
        assert!(!parsed.read_stdin);
        assert_eq!(parsed.options, "port \"-\" \nx ");
    }

    #[test]
    fn trims_blanks_and_line_endings() {
        assert_eq!(trim(b" \tport 1\r\n"), b"port 1");
        assert_eq!(trim(b" \t "), b"");
    }
}
