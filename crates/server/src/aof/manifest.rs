//! The Redis 7 AOF manifest: which files, in which order, make the
//! append-only dataset.
//!
//! One line per file, `file <name> seq <n> type <b|h|i>`: at most one base
//! (`b`), history files awaiting deletion (`h`), incremental files (`i`)
//! replayed in order after the base. The text written and the checks made
//! when reading are Redis 7.0's (`aofInfoFormat`, `aofLoadManifestFromFile`)
//! so that moat and redis-server read each other's directories.

use moat_resp::split_args;

/// What a listed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Base,
    History,
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: i64,
    pub kind: FileType,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
    /// The largest base and incr sequence numbers ever listed.
    pub base_seq: i64,
    pub incr_seq: i64,
}

impl Manifest {
    /// Redis's `getAofManifestAsString`: base, history, then incr files.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incrs);
        for info in all {
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                quoted_if_needed(&info.name),
                info.seq,
                info.kind.letter()
            ));
        }
        out
    }

    /// Parses a manifest; the error is Redis's log text.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut manifest = Manifest::default();
        let mut max_incr_seen = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return Err("The AOF manifest file is invalid format".into());
            };
            let line = &rest[..end];
            rest = &rest[end + 1..];
            if line.first() == Some(&b'#') {
                continue;
            }
            let line = trim(line);
            if line.is_empty() {
                continue;
            }
            let invalid = || "Invalid AOF manifest file format".to_string();
            let args = split_args(line).ok_or_else(invalid)?;
            if args.len() < 6 || args.len() % 2 != 0 {
                return Err(invalid());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in args.chunks(2) {
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                match String::from_utf8_lossy(&pair[0]).as_ref() {
                    "file" => name = Some(value),
                    "seq" => seq = moat_resp::string2ll(&pair[1]),
                    "type" => kind = value.chars().next(),
                    // Unknown keys are ignored, for forward compatibility.
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(invalid());
            };
            let seq = seq.unwrap_or(0);
            let info = |kind| FileInfo {
                name: name.clone(),
                seq,
                kind,
            };
            match kind {
                'b' => {
                    if manifest.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    manifest.base_seq = seq;
                    manifest.base = Some(info(FileType::Base));
                }
                'h' => manifest.history.push(info(FileType::History)),
                'i' => {
                    if seq <= max_incr_seen {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    max_incr_seen = seq;
                    manifest.incr_seq = seq;
                    manifest.incrs.push(info(FileType::Incr));
                }
                _ => return Err("Unknown AOF file type".into()),
            }
        }
        Ok(manifest)
    }

    /// `<basename>.<seq>.base.aof` (or `.rdb` for an RDB base).
    pub fn next_base(&mut self, basename: &str, rdb: bool) -> FileInfo {
        self.base_seq += 1;
        let suffix = if rdb { "rdb" } else { "aof" };
        FileInfo {
            name: format!("{basename}.{}.base.{suffix}", self.base_seq),
            seq: self.base_seq,
            kind: FileType::Base,
        }
    }

    /// `<basename>.<seq>.incr.aof`, appended to the incr list.
    pub fn add_incr(&mut self, basename: &str) -> FileInfo {
        self.incr_seq += 1;
        let info = FileInfo {
            name: format!("{basename}.{}.incr.aof", self.incr_seq),
            seq: self.incr_seq,
            kind: FileType::Incr,
        };
        self.incrs.push(info.clone());
        info
    }

    /// A finished rewrite: `base` replaces the old base, and every incr
    /// file older than `first_kept_incr` is covered by it. The replaced
    /// files become history, to be deleted.
    pub fn install_base(&mut self, base: FileInfo, first_kept_incr: i64) {
        if let Some(mut old) = self.base.replace(base) {
            old.kind = FileType::History;
            self.history.push(old);
        }
        let (old, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.incrs)
            .into_iter()
            .partition(|info| info.seq < first_kept_incr);
        self.incrs = kept;
        self.history.extend(old.into_iter().map(|mut info| {
            info.kind = FileType::History;
            info
        }));
    }

    /// Every file to replay, base first.
    pub fn files(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(&self.incrs)
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b" \t\r\n".contains(b))
        .map_or(start, |p| p + 1);
    &line[start..end.max(start)]
}

/// Redis's `sdsneedsrepr` / `sdscatrepr` for file names with spaces,
/// quotes or unprintable bytes.
fn quoted_if_needed(name: &str) -> String {
    let needs = name.bytes().any(|b| {
        b == b'\\'
            || b == b'"'
            || b == b'\''
            || b.is_ascii_whitespace()
            || !(0x20..0x7f).contains(&b)
    });
    if !needs {
        return name.to_string();
    }
    moat_resp::repr(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_manifest_round_trips() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n";
        let manifest = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(manifest.base_seq, 1);
        assert_eq!(manifest.incr_seq, 2);
        assert_eq!(manifest.render(), text);
    }

    #[test]
    fn rewrite_moves_covered_files_to_history() {
        let mut m = Manifest::default();
        m.add_incr("a.aof");
        let next = m.add_incr("a.aof");
        let base = m.next_base("a.aof", false);
        m.install_base(base, next.seq);
        assert_eq!(
            m.render(),
            "file a.aof.1.base.aof seq 1 type b\nfile a.aof.1.incr.aof seq 1 type h\nfile a.aof.2.incr.aof seq 2 type i\n"
        );
    }

    #[test]
    fn bad_manifests_are_refused() {
        assert!(Manifest::parse(b"file x seq 1 type b").is_err());
        assert!(Manifest::parse(b"file x seq 1\n").is_err());
        assert!(Manifest::parse(b"file x seq 2 type i\nfile y seq 1 type i\n").is_err());
        assert!(Manifest::parse(b"file x seq 1 type b\nfile y seq 1 type b\n").is_err());
        assert!(Manifest::parse(b"# comment\n\nfile \"a b\" seq 1 type i\n").is_ok());
        let quoted = Manifest {
            incrs: vec![FileInfo {
                name: "a b".into(),
                seq: 1,
                kind: FileType::Incr,
            }],
            ..Manifest::default()
        };
        assert_eq!(
            Manifest::parse(quoted.render().as_bytes()).unwrap().incrs,
            quoted.incrs
        );
    }
}
