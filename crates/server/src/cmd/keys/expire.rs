//! EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, the TTL readers and PERSIST.

use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{flag, Reply};
use crate::cmd::Ctx;
use crate::db::{number, word, Access, Ttl};
use bytes::Bytes;
use moat_resp::Frame;

/// How an EXPIRE-family command reads its time argument.
#[derive(Debug, Clone, Copy)]
pub struct Form {
    name: &'static str,
    seconds: bool,
    relative: bool,
}

impl Form {
    pub const EXPIRE: Form = Form {
        name: "expire",
        seconds: true,
        relative: true,
    };
    pub const PEXPIRE: Form = Form {
        name: "pexpire",
        seconds: false,
        relative: true,
    };
    pub const EXPIREAT: Form = Form {
        name: "expireat",
        seconds: true,
        relative: false,
    };
    pub const PEXPIREAT: Form = Form {
        name: "pexpireat",
        seconds: false,
        relative: false,
    };
}

/// The NX/XX/GT/LT conditions.
#[derive(Debug, Default, Clone, Copy)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_conditions(args: &[Bytes]) -> Result<Conditions, Frame> {
    let mut c = Conditions::default();
    for arg in args {
        match () {
            _ if is(arg, "nx") => c.nx = true,
            _ if is(arg, "xx") => c.xx = true,
            _ if is(arg, "gt") => c.gt = true,
            _ if is(arg, "lt") => c.lt = true,
            _ => {
                return Err(crate::cmd::reply::quoting_error(
                    "ERR Unsupported option {}",
                    &[arg],
                ))
            }
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(Frame::error(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(Frame::error(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// Redis's `expireGenericCommand`. Times at or before "now" delete the key.
pub fn expire(ctx: &mut Ctx<'_>, argv: &[Bytes], form: Form) -> Reply {
    let conditions = parse_conditions(&argv[3..])?;
    let amount = parse_i64(&argv[2])?;
    let invalid = || {
        Frame::error(format!(
            "ERR invalid expire time in '{}' command",
            form.name
        ))
    };
    let in_ms = if form.seconds {
        amount.checked_mul(1000).ok_or_else(invalid)?
    } else {
        amount
    };
    let base = if form.relative { ctx.now_ms } else { 0 };
    let when = in_ms.checked_add(base).ok_or_else(invalid)?;
    let key = &argv[1][..];
    let mut db = crate::cmd::reply::selected_db(ctx);
    let Some(slot) = db.lookup_slot(key, Access::Write) else {
        return Ok(Frame::Integer(0));
    };
    let current = db.entry(slot).and_then(|entry| entry.expire_at());
    let refused = match current {
        // A key without TTL counts as expiring never: GT can't beat it,
        // LT always does.
        None => conditions.xx || conditions.gt,
        Some(at) => conditions.nx || (conditions.gt && when <= at) || (conditions.lt && when >= at),
    };
    if refused {
        return Ok(Frame::Integer(0));
    }
    db.set_expire(key, when);
    // A time already past deletes the key: Redis reports that as `del`.
    let deleted = when <= db.now_ms();
    let event = if deleted { "del" } else { "expire" };
    db.notify(moat_config::NotifyFlags::GENERIC, event, key);
    // The AOF states the outcome: the deletion, or the absolute instant.
    let stated = if deleted {
        vec![db.keyspace().expire_deletion_word(), argv[1].clone()]
    } else {
        // Redis rewrites the name and the time only: NX/XX/GT/LT stay.
        let mut stated = vec![word("PEXPIREAT"), argv[1].clone(), number(when)];
        stated.extend_from_slice(&argv[3..]);
        stated
    };
    db.propagate_as(stated);
    Ok(Frame::Integer(1))
}

/// Which view of the TTL a reader command reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlForm {
    Seconds,
    Millis,
    UnixSeconds,
    UnixMillis,
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without
/// TTL; seconds, remaining or absolute, are rounded to nearest as Redis
/// does.
pub fn ttl(ctx: &mut Ctx<'_>, argv: &[Bytes], form: TtlForm) -> Reply {
    let now = ctx.now_ms;
    let at = match crate::cmd::reply::selected_db(ctx).ttl(&argv[1]) {
        Ttl::Missing => return Ok(Frame::Integer(-2)),
        Ttl::Persistent => return Ok(Frame::Integer(-1)),
        Ttl::At(at) => at,
    };
    let ms = match form {
        TtlForm::Seconds | TtlForm::Millis => at.saturating_sub(now),
        TtlForm::UnixSeconds | TtlForm::UnixMillis => at,
    }
    .max(0);
    Ok(Frame::Integer(match form {
        TtlForm::Seconds | TtlForm::UnixSeconds => rounded_seconds(ms),
        TtlForm::Millis | TtlForm::UnixMillis => ms,
    }))
}

/// Redis's `(ms+500)/1000` for a non-negative `ms`, without its overflow
/// near `i64::MAX` (an EXPIRETIME after `PEXPIREAT k 9223372036854775807`):
/// the true rounding, which is what the reference build answers.
fn rounded_seconds(ms: i64) -> i64 {
    ms / 1000 + i64::from(ms % 1000 >= 500)
}

pub fn persist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = crate::cmd::reply::selected_db(ctx);
    if db.lookup_slot(&argv[1], Access::Write).is_none() {
        return Ok(Frame::Integer(0));
    }
    let persisted = db.persist(&argv[1]);
    if persisted {
        db.notify(moat_config::NotifyFlags::GENERIC, "persist", &argv[1]);
    }
    Ok(flag(persisted))
}

#[cfg(test)]
mod tests {
    use super::rounded_seconds;

    #[test]
    fn seconds_round_to_nearest_up_to_the_largest_instant() {
        assert_eq!(rounded_seconds(0), 0);
        assert_eq!(rounded_seconds(499), 0);
        assert_eq!(rounded_seconds(500), 1);
        assert_eq!(rounded_seconds(4_000_000_000_999), 4_000_000_001);
        assert_eq!(rounded_seconds(i64::MAX), 9_223_372_036_854_776);
    }
}
