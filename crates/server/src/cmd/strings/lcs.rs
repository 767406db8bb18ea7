//! LCS: the longest common subsequence of two strings.
//!
//! Redis fills the classic dynamic-programming table and walks it back
//! from the end; the walk decides which of several equally long answers
//! is returned and in which order IDX reports the matched ranges (last
//! first), so the same table and the same tie-breaking are used here.

use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{count, selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::Access;
use bytes::Bytes;
use moat_resp::Frame;

/// The options after the two keys.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct LcsOptions {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn parse_options(args: &[Bytes]) -> Result<LcsOptions, Frame> {
    let mut options = LcsOptions::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i][..];
        if is(arg, "idx") {
            options.idx = true;
        } else if is(arg, "len") {
            options.len = true;
        } else if is(arg, "withmatchlen") {
            options.with_match_len = true;
        } else if is(arg, "minmatchlen") && i + 1 < args.len() {
            options.min_match_len = parse_i64(&args[i + 1])?.max(0) as u64;
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if options.idx && options.len {
        return Err(Frame::error(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    Ok(options)
}

pub fn lcs(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limit = ctx.ks.proto_max_bulk_len;
    let mut db = selected_db(ctx);
    let mut fetch = |key: &[u8]| -> Result<Bytes, Frame> {
        match db.lookup(key, Access::Read) {
            None => Ok(Bytes::new()),
            Some(value) => value
                .as_str()
                .map(|s| s.to_bytes())
                .ok_or_else(|| Frame::error("ERR The specified keys must contain string values")),
        }
    };
    let a = fetch(&argv[1]);
    let b = fetch(&argv[2]);
    let (a, b) = (a?, b?);
    let options = parse_options(&argv[3..])?;
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(Frame::error("ERR String too long for LCS"));
    }
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    if cells * 4 > limit as u128 {
        return Err(Frame::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = Table::build(&a, &b);
    let total = table.at(a.len(), b.len());
    if options.len {
        return Ok(Frame::Integer(i64::from(total)));
    }
    let walk = table.walk_back(&a, &b, options.min_match_len);
    if !options.idx {
        return Ok(Frame::Bulk(Bytes::from(walk.common)));
    }
    let matches = walk
        .ranges
        .iter()
        .map(|range| {
            let mut item = vec![
                Frame::Array(vec![count(range.a.0), count(range.a.1)]),
                Frame::Array(vec![count(range.b.0), count(range.b.1)]),
            ];
            if options.with_match_len {
                item.push(count(range.a.1 - range.a.0 + 1));
            }
            Frame::Array(item)
        })
        .collect();
    Ok(Frame::Map(vec![
        (Frame::bulk(&b"matches"[..]), Frame::Array(matches)),
        (Frame::bulk(&b"len"[..]), Frame::Integer(i64::from(total))),
    ]))
}

/// `LCS(i, j)`: the LCS length of `a[..i]` and `b[..j]`.
struct Table {
    width: usize,
    cells: Vec<u32>,
}

/// One matched run: inclusive ranges in `a` and in `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MatchRange {
    a: (usize, usize),
    b: (usize, usize),
}

/// What the walk back through the table yields.
struct Walk {
    common: Vec<u8>,
    /// Runs of at least the minimum length, last run first.
    ranges: Vec<MatchRange>,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { width, cells }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    fn walk_back(&self, a: &[u8], b: &[u8], min_match_len: u64) -> Walk {
        let total = self.at(a.len(), b.len()) as usize;
        let mut common = vec![0u8; total];
        let mut remaining = total;
        let mut ranges = Vec::new();
        let (mut i, mut j) = (a.len(), b.len());
        let mut current: Option<MatchRange> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                common[remaining - 1] = a[i - 1];
                remaining -= 1;
                match &mut current {
                    None => {
                        current = Some(MatchRange {
                            a: (i - 1, i - 1),
                            b: (j - 1, j - 1),
                        })
                    }
                    Some(range) if range.a.0 == i && range.b.0 == j => {
                        range.a.0 -= 1;
                        range.b.0 -= 1;
                    }
                    Some(_) => emit = true,
                }
                if current.is_some_and(|r| r.a.0 == 0 || r.b.0 == 0) {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = current.is_some();
            }
            if emit {
                if let Some(range) = current.take() {
                    let length = (range.a.1 - range.a.0 + 1) as u64;
                    if min_match_len == 0 || length >= min_match_len {
                        ranges.push(range);
                    }
                }
            }
        }
        Walk { common, ranges }
    }
}
