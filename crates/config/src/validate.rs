//! Value checks of individual string directives, with Redis's messages.

/// Redis's `pathIsBaseName`: no directory separators.
fn is_base_name(value: &[u8]) -> bool {
    !value.contains(&b'/') && !value.contains(&b'\\')
}

/// `dbfilename`.
pub fn db_filename(value: &[u8]) -> Result<(), &'static str> {
    if is_base_name(value) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}

/// `appendfilename`.
pub fn aof_filename(value: &[u8]) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("appendfilename can't be empty")
    } else if !is_base_name(value) {
        Err("appendfilename can't be a path, just a filename")
    } else {
        Ok(())
    }
}

/// `appenddirname`.
pub fn aof_dirname(value: &[u8]) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("appenddirname can't be empty")
    } else if !is_base_name(value) {
        Err("appenddirname can't be a path, just a dirname")
    } else {
        Ok(())
    }
}

/// Redis's `NET_HOST_STR_LEN`.
const NET_HOST_STR_LEN: usize = 256;

/// `cluster-announce-hostname`.
pub fn announced_hostname(value: &[u8]) -> Result<(), &'static str> {
    if value.len() >= NET_HOST_STR_LEN {
        return Err("Hostnames must be less than 256 characters");
    }
    if value
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        Ok(())
    } else {
        Err("Hostnames may only contain alphanumeric characters, hyphens or dots")
    }
}

/// `cluster-announce-human-nodename` (Redis 7.2).
pub fn announced_nodename(value: &[u8]) -> Result<(), &'static str> {
    if value
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
    {
        Ok(())
    } else {
        Err("Announced human node name may only contain alphanumeric characters, hyphens, dots or underscores")
    }
}

/// Variables `proc-title-template` may use.
const PROC_TITLE_VARIABLES: &[&[u8]] = &[
    b"title",
    b"listen-addr",
    b"server-mode",
    b"port",
    b"tls-port",
    b"unixsocket",
    b"config-file",
];

/// `proc-title-template`: every `{` must open a known variable, and the
/// expanded title must not be blank (Redis expands it with the real
/// values; the title variable alone always expands to something).
pub fn proc_title_template(value: &[u8]) -> Result<(), &'static str> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let mut rest = value;
    let mut has_content = false;
    while let Some(open) = rest.iter().position(|&b| b == b'{') {
        let after = &rest[open + 1..];
        let close = after.iter().position(|&b| b == b'}').ok_or(INVALID)?;
        if !PROC_TITLE_VARIABLES.contains(&&after[..close]) {
            return Err(INVALID);
        }
        has_content = true;
        rest = &after[close + 1..];
    }
    has_content |= rest.iter().any(|b| !b.is_ascii_whitespace());
    if has_content {
        Ok(())
    } else {
        Err(INVALID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_be_paths() {
        assert!(db_filename(b"dump.rdb").is_ok());
        assert_eq!(
            db_filename(b"a/b"),
            Err("dbfilename can't be a path, just a filename")
        );
        assert_eq!(aof_filename(b""), Err("appendfilename can't be empty"));
        assert_eq!(
            aof_dirname(b"x\\y"),
            Err("appenddirname can't be a path, just a dirname")
        );
    }

    #[test]
    fn hostnames_are_restricted() {
        assert!(announced_hostname(b"node-1.example").is_ok());
        assert!(announced_hostname(b"a_b").is_err());
        assert!(announced_nodename(b"a_b").is_ok());
    }

    #[test]
    fn proc_title_templates() {
        assert!(proc_title_template(b"{title} {listen-addr} {server-mode}").is_ok());
        assert!(proc_title_template(b"x}").is_ok());
        assert!(proc_title_template(b"").is_err());
        assert!(proc_title_template(b"{title").is_err());
        assert!(proc_title_template(b"{nope}").is_err());
    }
}
