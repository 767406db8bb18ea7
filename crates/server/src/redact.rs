//! Secrets in a request, hidden before anyone else sees it.
//!
//! The slow log and MONITOR show other clients' requests; Redis replaces
//! passwords there with `(redacted)` (`redactClientCommandArgument`), and
//! both must hide exactly the same arguments, so the rule lives here once.

use bytes::Bytes;

/// The arguments with secrets replaced by `(redacted)`, as Redis's
/// commands redact them before the slow log and MONITOR see them: every
/// argument of AUTH, the credentials of HELLO AUTH and MIGRATE AUTH/AUTH2,
/// everything after the subcommand of ACL SETUSER, and the value of a
/// sensitive CONFIG SET parameter.
pub fn redacted_argv(fullname: &str, argv: &[Bytes]) -> Vec<Bytes> {
    let redact = |out: &mut Vec<Bytes>, index: usize| {
        if let Some(arg) = out.get_mut(index) {
            *arg = Bytes::from_static(b"(redacted)");
        }
    };
    let mut out = argv.to_vec();
    match fullname {
        "auth" => (1..argv.len()).for_each(|i| redact(&mut out, i)),
        "acl|setuser" => (2..argv.len()).for_each(|i| redact(&mut out, i)),
        "hello" => {
            let mut i = 2;
            while i < argv.len() {
                if argv[i].eq_ignore_ascii_case(b"auth") && i + 2 < argv.len() {
                    redact(&mut out, i + 1);
                    redact(&mut out, i + 2);
                    i += 3;
                } else if argv[i].eq_ignore_ascii_case(b"setname") {
                    // A client name that happens to be `auth` is not a keyword.
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }
        "migrate" => {
            let mut i = 6;
            while i < argv.len() {
                if argv[i].eq_ignore_ascii_case(b"auth") {
                    redact(&mut out, i + 1);
                    i += 2;
                } else if argv[i].eq_ignore_ascii_case(b"auth2") {
                    redact(&mut out, i + 1);
                    redact(&mut out, i + 2);
                    i += 3;
                } else if argv[i].eq_ignore_ascii_case(b"keys") {
                    break;
                } else {
                    i += 1;
                }
            }
        }
        "config|set" => {
            let mut i = 2;
            while i + 1 < argv.len() {
                if [&b"requirepass"[..], b"masterauth", b"masteruser"]
                    .iter()
                    .any(|s| argv[i].eq_ignore_ascii_case(s))
                {
                    redact(&mut out, i + 1);
                }
                i += 2;
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_args as args;

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redacted_argv("auth", &args(&["AUTH", "u", "p"])),
            args(&["AUTH", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            redacted_argv("acl|setuser", &args(&["ACL", "SETUSER", "u", ">pw"])),
            args(&["ACL", "SETUSER", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            redacted_argv(
                "hello",
                &args(&["HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"])
            ),
            args(&[
                "HELLO",
                "3",
                "AUTH",
                "(redacted)",
                "(redacted)",
                "SETNAME",
                "n"
            ])
        );
        assert_eq!(
            redacted_argv(
                "config|set",
                &args(&["CONFIG", "SET", "maxmemory", "1", "requirepass", "x"])
            ),
            args(&[
                "CONFIG",
                "SET",
                "maxmemory",
                "1",
                "requirepass",
                "(redacted)"
            ])
        );
        assert_eq!(
            redacted_argv("get", &args(&["GET", "k"])),
            args(&["GET", "k"])
        );
    }
}
