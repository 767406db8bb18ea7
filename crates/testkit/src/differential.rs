//! Differential runs: the same script against moat and a reference server,
//! replies compared frame by frame.
//!
//! A script is one command per line in redis-cli syntax, with the
//! connection markers and directives of [`crate::script`]. Both servers
//! get a fresh process per script. Before comparison each reply goes
//! through [`crate::accepted_differences::normalise`], the single list of
//! differences the project accepts; anything else that differs is a
//! mismatch, reported with `script:line`, the command and both replies.

use crate::accepted_differences::normalise;
use crate::error::{Result, TestkitError};
use crate::report::{write_indented, Report};
use crate::script::{script_files, Line, LineParser, Outcome, Session, Step};
use crate::server::ServerBuilder;
use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A step whose normalised outcomes differ between the two servers.
#[derive(Debug, Clone, PartialEq)]
pub struct DifferentialMismatch {
    pub script: PathBuf,
    pub line: usize,
    pub command: String,
    /// What the server under test answered, rendered redis-cli style.
    pub subject: String,
    /// What the reference answered.
    pub reference: String,
}

impl fmt::Display for DifferentialMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}: {}",
            self.script.display(),
            self.line,
            self.command
        )?;
        writeln!(f, "  server under test:")?;
        write_indented(f, &self.subject)?;
        writeln!(f, "  reference:")?;
        write_indented(f, &self.reference)
    }
}

/// How the reference's stream is read ([`crate::push_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferencePushes {
    /// Redis 7.0 (Debian's redis-server) writes a running client's own
    /// pushes before its reply: they are moved after it, to 7.2's order.
    Redis70,
    /// As sent: Redis 7.2 and Valkey, or a subject that is itself 7.0.
    AsSent,
}

/// A parsed differential script.
#[derive(Debug)]
pub struct DifferentialScript {
    path: PathBuf,
    steps: Vec<Step>,
}

impl DifferentialScript {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<DifferentialScript> {
        let text = fs::read_to_string(path)
            .map_err(|e| TestkitError::io(format!("read {}", path.display()), e))?;
        DifferentialScript::parse(path, &text)
    }

    /// Parses script text; `path` is only used in reports.
    pub fn parse(path: &Path, text: &str) -> Result<DifferentialScript> {
        let mut parser = LineParser::new(None);
        let mut steps = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if let Line::Step(step) = parser.parse(path, index + 1, line)? {
                steps.push(step);
            }
        }
        Ok(DifferentialScript {
            path: path.to_owned(),
            steps,
        })
    }

    /// Runs the script against both servers in lockstep and returns every
    /// step whose normalised outcomes differ.
    pub fn compare(
        &self,
        subject: SocketAddr,
        reference: SocketAddr,
        order: ReferencePushes,
    ) -> Result<Vec<DifferentialMismatch>> {
        let mut subject_session = Session::new(subject);
        let mut reference_session = match order {
            ReferencePushes::Redis70 => Session::with_pushes_moved_after_replies(reference),
            ReferencePushes::AsSent => Session::new(reference),
        };
        let mut mismatches = Vec::new();
        for step in &self.steps {
            let at_step = |e: TestkitError| TestkitError::Script {
                path: self.path.clone(),
                line: step.line,
                message: e.to_string(),
            };
            let from_subject = subject_session.execute(step).map_err(at_step)?;
            let from_reference = reference_session.execute(step).map_err(at_step)?;
            let from_subject = from_subject.map(|o| normalised(step, o));
            let from_reference = from_reference.map(|o| normalised(step, o));
            if from_subject != from_reference {
                let render =
                    |o: &Option<Outcome>| o.as_ref().map(Outcome::render).unwrap_or_default();
                mismatches.push(DifferentialMismatch {
                    script: self.path.clone(),
                    line: step.line,
                    command: step.text.clone(),
                    subject: render(&from_subject),
                    reference: render(&from_reference),
                });
            }
        }
        Ok(mismatches)
    }
}

fn normalised(step: &Step, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Reply(frame) => Outcome::Reply(normalise(step.args(), frame)),
        Outcome::Closed => Outcome::Closed,
    }
}

/// The directives both servers of a `tests/differential/` run start with:
/// DEBUG SLEEP and DEBUG SET-ACTIVE-EXPIRE make expiry observable (and,
/// with the active cycle off, deterministic) in the scripts.
pub const SCRIPT_SERVER_ARGS: &[&str] = &["--enable-debug-command", "local"];

/// Runs every `*.txt` script of `dir` against fresh servers from `subject`
/// and `reference`, a Redis 7.0 redis-server.
pub fn check_dir(
    dir: &Path,
    subject: &ServerBuilder,
    reference: &ServerBuilder,
) -> Result<Report<DifferentialMismatch>> {
    check_dir_with(dir, subject, reference, ReferencePushes::Redis70)
}

/// [`check_dir`] against a reference read as `order` says.
pub fn check_dir_with(
    dir: &Path,
    subject: &ServerBuilder,
    reference: &ServerBuilder,
    order: ReferencePushes,
) -> Result<Report<DifferentialMismatch>> {
    let mut report = Report::default();
    // `MOAT_DIFF_ONLY=name` runs only the scripts whose file name contains it.
    let only = std::env::var("MOAT_DIFF_ONLY").ok();
    for path in script_files(dir)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if only
            .as_deref()
            .is_some_and(|only| !name.as_deref().unwrap_or("").contains(only))
        {
            continue;
        }
        let script = DifferentialScript::load(&path)?;
        let subject_process = subject.clone().start()?;
        let reference_process = reference.clone().start()?;
        report.mismatches.extend(script.compare(
            subject_process.addr(),
            reference_process.addr(),
            order,
        )?);
        report.scripts.push(path);
    }
    Ok(report)
}
