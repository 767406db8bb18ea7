//! The options XADD and XTRIM share (`streamParseAddOrTrimArgsOrReply`):
//! MAXLEN/MINID with `=` or `~`, LIMIT, and for XADD NOMKSTREAM and the id.

use super::id::{self, PartialId};
use super::store::{NodeLimits, Strategy};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::syntax_error;
use bytes::Bytes;
use moat_resp::Frame;

/// Parsed options; for XADD `id_pos` is where the id was found.
#[derive(Debug, Clone, PartialEq)]
pub struct TrimArgs {
    pub strategy: Option<Strategy>,
    pub approx: bool,
    /// Where the MAXLEN/MINID value is (`trim_strategy_arg_idx`).
    pub strategy_at: usize,
    /// 0 means no limit.
    pub limit: usize,
    pub no_mkstream: bool,
    /// `None` for `*`.
    pub id: Option<PartialId>,
    pub id_pos: usize,
}

pub fn parse(argv: &[Bytes], xadd: bool, limits: NodeLimits) -> Result<TrimArgs, Frame> {
    let mut args = TrimArgs {
        strategy: None,
        approx: false,
        strategy_at: 0,
        limit: 0,
        no_mkstream: false,
        id: None,
        id_pos: argv.len(),
    };
    let mut limit_given: Option<i64> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i][..];
        if xadd && opt == b"*" {
            args.id_pos = i;
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if args.strategy.is_some() {
                return Err(Frame::error(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            args.approx = false;
            let next = &argv[i + 1][..];
            if more >= 2 && next == b"~" {
                args.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let value = &argv[i + 1];
            args.strategy_at = i + 1;
            args.strategy = Some(if is(opt, "maxlen") {
                let max = parse_i64(value)?;
                if max < 0 {
                    return Err(Frame::error("ERR The MAXLEN argument must be >= 0."));
                }
                Strategy::MaxLen(usize::try_from(max).unwrap_or(usize::MAX))
            } else {
                Strategy::MinId(id::parse_strict(value)?)
            });
            i += 1;
        } else if is(opt, "limit") && more > 0 {
            let limit = parse_i64(&argv[i + 1])?;
            if limit < 0 {
                return Err(Frame::error("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = Some(limit);
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            args.no_mkstream = true;
        } else if xadd {
            args.id = Some(id::parse_xadd(opt)?);
            args.id_pos = i;
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if limit_given.is_some_and(|l| l != 0) && args.strategy.is_none() {
        return Err(Frame::error(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && args.strategy.is_none() {
        return Err(Frame::error(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    match limit_given {
        Some(_) if !args.approx => {
            return Err(Frame::error(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ))
        }
        Some(limit) => args.limit = usize::try_from(limit).unwrap_or(usize::MAX),
        None if args.approx => args.limit = limits.default_trim_limit(),
        None => args.limit = 0,
    }
    Ok(args)
}
