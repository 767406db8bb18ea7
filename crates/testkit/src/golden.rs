//! Golden scripts: a conversation with the server and the exact replies
//! expected, in one readable text file.
//!
//! ```text
//! # reference: redis
//! > SET k v
//! OK
//! > GET nosuchkey
//! (nil)
//! @conn2 > GET k
//! "v"
//! ```
//!
//! Each command line (`> ` plus redis-cli-style arguments; see
//! [`crate::script`] for connections and directives) is followed by the
//! reply rendered as redis-cli prints it. An expectation of just `...`
//! accepts any reply, for values that cannot be pinned down (ids, times).
//!
//! `UPDATE_GOLDEN=1` rewrites the expectations from what the server
//! actually answered, leaving every other line untouched; review the
//! diff before committing it. A header comment `# reference: redis` (or
//! `valkey`, or both, comma-separated; `yes` means `redis`) marks a file
//! whose expectations are also valid for that reference server, and the
//! test kit's own tests check that they are: the expectations are then
//! facts about Redis, not about moat.

use crate::error::{Result, TestkitError};
use crate::report::write_indented;
use crate::report::Report;
use crate::script::{script_files, Line, LineParser, Session, Step};
use crate::server::ServerBuilder;
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// An expectation that matches any reply.
const ANY_REPLY: &str = "...";

/// A reference implementation a golden file can be validated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceServer {
    Redis,
    Valkey,
}

/// A parsed golden file.
#[derive(Debug)]
pub struct GoldenFile {
    path: PathBuf,
    lines: Vec<String>,
    references: Vec<ReferenceServer>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    step: Step,
    /// 0-based indexes into `lines` of the expected reply.
    expected: std::ops::Range<usize>,
}

/// One reply that differs from its expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldenMismatch {
    pub path: PathBuf,
    pub line: usize,
    pub command: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for GoldenMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}: > {}",
            self.path.display(),
            self.line,
            self.command
        )?;
        writeln!(f, "  expected:")?;
        write_indented(f, &self.expected)?;
        writeln!(f, "  actual:")?;
        write_indented(f, &self.actual)
    }
}

impl GoldenFile {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<GoldenFile> {
        let text = fs::read_to_string(path)
            .map_err(|e| TestkitError::io(format!("read {}", path.display()), e))?;
        GoldenFile::parse(path, &text)
    }

    /// Parses golden text; `path` is only used in reports.
    pub fn parse(path: &Path, text: &str) -> Result<GoldenFile> {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut parser = LineParser::new(Some("> "));
        let mut entries: Vec<Entry> = Vec::new();
        let mut references = Vec::new();
        // Whether `Other` lines extend the latest entry's expectation.
        let mut in_expectation = false;
        for (index, text) in lines.iter().enumerate() {
            let line = index + 1;
            if let Some(names) = text.trim().strip_prefix("# reference:") {
                references = parse_references(names).map_err(|message| TestkitError::Script {
                    path: path.to_owned(),
                    line,
                    message,
                })?;
            }
            match parser.parse(path, line, text)? {
                Line::Structural => in_expectation = false,
                Line::Step(step) => {
                    in_expectation = true;
                    entries.push(Entry {
                        step,
                        expected: index + 1..index + 1,
                    });
                }
                Line::Other => match entries.last_mut() {
                    Some(entry) if in_expectation => entry.expected.end = index + 1,
                    _ => {
                        return Err(TestkitError::Script {
                            path: path.to_owned(),
                            line,
                            message: format!("expected a command (`> ...`), found `{text}`"),
                        })
                    }
                },
            }
        }
        Ok(GoldenFile {
            path: path.to_owned(),
            lines,
            references,
            entries,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The reference servers this file's expectations are declared valid for.
    pub fn references(&self) -> &[ReferenceServer] {
        &self.references
    }

    /// Runs the script against the server at `addr` and compares every reply.
    pub fn check(&self, addr: SocketAddr) -> Result<Vec<GoldenMismatch>> {
        let actual = self.run(addr)?;
        Ok(self
            .entries
            .iter()
            .zip(&actual)
            .filter_map(|(entry, actual)| {
                let expected = self.expected_text(entry);
                let matches = expected == *actual || expected.trim_end() == ANY_REPLY;
                (!matches).then(|| GoldenMismatch {
                    path: self.path.clone(),
                    line: entry.step.line,
                    command: entry.step.text.clone(),
                    expected,
                    actual: actual.clone(),
                })
            })
            .collect())
    }

    /// Runs the script against `addr` and rewrites the file's expectations
    /// with the replies received (`...` expectations are kept).
    pub fn update(&self, addr: SocketAddr) -> Result<()> {
        let actual = self.run(addr)?;
        let replacements: HashMap<usize, (usize, &str)> = self
            .entries
            .iter()
            .zip(&actual)
            .filter(|(entry, _)| self.expected_text(entry).trim_end() != ANY_REPLY)
            .map(|(entry, actual)| (entry.expected.start, (entry.expected.end, actual.as_str())))
            .collect();
        let mut out = String::new();
        let mut index = 0;
        while index <= self.lines.len() {
            if let Some((end, actual)) = replacements.get(&index) {
                out.push_str(actual);
                if *end > index {
                    index = *end;
                    continue;
                }
            }
            if let Some(line) = self.lines.get(index) {
                out.push_str(line);
                out.push('\n');
            }
            index += 1;
        }
        fs::write(&self.path, out)
            .map_err(|e| TestkitError::io(format!("write {}", self.path.display()), e))
    }

    /// The rendered outcome of every entry, in order (empty for protocol switches).
    fn run(&self, addr: SocketAddr) -> Result<Vec<String>> {
        let mut session = Session::new(addr);
        self.entries
            .iter()
            .map(|entry| {
                let outcome = session
                    .execute(&entry.step)
                    .map_err(|e| TestkitError::Script {
                        path: self.path.clone(),
                        line: entry.step.line,
                        message: e.to_string(),
                    })?;
                Ok(outcome.map(|o| o.render()).unwrap_or_default())
            })
            .collect()
    }

    fn expected_text(&self, entry: &Entry) -> String {
        self.lines[entry.expected.clone()]
            .iter()
            .map(|line| format!("{line}\n"))
            .collect()
    }
}

fn parse_references(names: &str) -> std::result::Result<Vec<ReferenceServer>, String> {
    names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty() && *name != "no")
        .map(|name| match name {
            "yes" | "redis" => Ok(ReferenceServer::Redis),
            "valkey" => Ok(ReferenceServer::Valkey),
            other => Err(format!(
                "unknown reference server '{other}' (redis, valkey, yes, no)"
            )),
        })
        .collect()
}

/// Runs every golden file of `dir`, each against a fresh server from
/// `server`. With `UPDATE_GOLDEN=1` the files are rewritten instead.
pub fn check_dir(dir: &Path, server: &ServerBuilder) -> Result<Report<GoldenMismatch>> {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut report = Report::default();
    for path in script_files(dir)? {
        let file = GoldenFile::load(&path)?;
        let process = server.clone().start()?;
        if update {
            file.update(process.addr())?;
        } else {
            report.mismatches.extend(file.check(process.addr())?);
        }
        report.scripts.push(path);
    }
    Ok(report)
}

/// Runs the golden files of `dir` marked valid for `reference` against a
/// fresh server from `server` (that reference's binary), to prove their
/// expectations are Redis's behaviour.
pub fn check_dir_against_reference(
    dir: &Path,
    reference: ReferenceServer,
    server: &ServerBuilder,
) -> Result<Report<GoldenMismatch>> {
    let mut report = Report::default();
    for path in script_files(dir)? {
        let file = GoldenFile::load(&path)?;
        if !file.references().contains(&reference) {
            continue;
        }
        let process = server.clone().start()?;
        report.mismatches.extend(file.check(process.addr())?);
        report.scripts.push(path);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_with_their_expectation_ranges() {
        let text = "# reference: redis, valkey\n> SET k v\nOK\n\n> MGET k x\n1) \"v\"\n2) (nil)\n[resp3]\n> PING\n";
        let file = GoldenFile::parse(Path::new("g.txt"), text).unwrap();
        assert_eq!(
            file.references(),
            [ReferenceServer::Redis, ReferenceServer::Valkey]
        );
        let ranges: Vec<_> = file.entries.iter().map(|e| e.expected.clone()).collect();
        assert_eq!(ranges, [2..3, 5..7, 8..8, 9..9]);
        assert_eq!(file.expected_text(&file.entries[1]), "1) \"v\"\n2) (nil)\n");
    }

    #[test]
    fn an_expectation_without_a_command_is_an_error() {
        let err = GoldenFile::parse(Path::new("g.txt"), "# c\nOK\n").unwrap_err();
        assert!(
            err.to_string().starts_with("g.txt:2: expected a command"),
            "{err}"
        );
        let err = GoldenFile::parse(Path::new("g.txt"), "> PING\nPONG\n\nstray\n").unwrap_err();
        assert!(err.to_string().starts_with("g.txt:4:"), "{err}");
    }

    #[test]
    fn unknown_reference_names_are_rejected() {
        assert!(GoldenFile::parse(Path::new("g.txt"), "# reference: keydb\n").is_err());
        let file = GoldenFile::parse(Path::new("g.txt"), "# reference: no\n").unwrap();
        assert!(file.references().is_empty());
    }

    #[test]
    fn mismatches_render_both_sides_with_the_location() {
        let mismatch = GoldenMismatch {
            path: PathBuf::from("tests/golden/basics.txt"),
            line: 3,
            command: "GET k".into(),
            expected: "\"v\"\n".into(),
            actual: "(nil)\n".into(),
        };
        assert_eq!(
            mismatch.to_string(),
            "tests/golden/basics.txt:3: > GET k\n  expected:\n    \"v\"\n  actual:\n    (nil)\n"
        );
    }
}
