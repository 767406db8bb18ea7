//! The outcome of running a directory of scripts.

use std::fmt::{self, Display};
use std::path::PathBuf;

/// Which scripts ran and every mismatch they found, so that one test run
/// shows all failures at once instead of stopping at the first.
#[derive(Debug)]
pub struct Report<M> {
    pub scripts: Vec<PathBuf>,
    pub mismatches: Vec<M>,
}

impl<M> Default for Report<M> {
    fn default() -> Report<M> {
        Report {
            scripts: Vec::new(),
            mismatches: Vec::new(),
        }
    }
}

impl<M: Display> Report<M> {
    /// Panics with every mismatch when there is any; for use in `#[test]`s.
    pub fn assert_clean(&self) {
        if self.mismatches.is_empty() {
            return;
        }
        let details: String = self.mismatches.iter().map(|m| format!("{m}\n")).collect();
        panic!(
            "{} mismatch(es) in {} script(s):\n\n{details}",
            self.mismatches.len(),
            self.scripts.len()
        );
    }
}

/// Writes `text` indented under a mismatch heading.
pub(crate) fn write_indented(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if text.is_empty() {
        return writeln!(f, "    (nothing)");
    }
    text.lines().try_for_each(|line| writeln!(f, "    {line}"))
}
