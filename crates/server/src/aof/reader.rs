//! Reading commands back from an AOF file.
//!
//! Redis's loader accepts multibulk commands and `#` annotation lines
//! (`#TS:...`), nothing else. An incomplete command at the end of the
//! file is a truncation (a crash in the middle of a write); anything
//! else that is not a command is a format error.

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The file ends inside a command or annotation.
    Truncated,
    /// Bytes that are not a command.
    BadFormat,
}

/// The next command at `*pos`, advancing `pos` past it; `Ok(None)` at the
/// end of the file.
pub fn next_command(data: &[u8], pos: &mut usize) -> Result<Option<Vec<bytes::Bytes>>, Stop> {
    loop {
        let Some(&first) = data.get(*pos) else {
            return Ok(None);
        };
        let mut at = *pos;
        match first {
            b'#' => {
                line(data, &mut at)?;
                *pos = at;
            }
            b'*' => {
                let argc = number(data, &mut at)?;
                if argc < 1 {
                    return Err(Stop::BadFormat);
                }
                let mut argv = Vec::with_capacity(argc.min(1024) as usize);
                for _ in 0..argc {
                    match data.get(at) {
                        None => return Err(Stop::Truncated),
                        Some(b'$') => {}
                        Some(_) => return Err(Stop::BadFormat),
                    }
                    let len = number(data, &mut at)?;
                    if len < 0 {
                        return Err(Stop::BadFormat);
                    }
                    let end = at.checked_add(len as usize).ok_or(Stop::BadFormat)?;
                    if data.len() < end + 2 {
                        return Err(Stop::Truncated);
                    }
                    if &data[end..end + 2] != b"\r\n" {
                        return Err(Stop::BadFormat);
                    }
                    argv.push(bytes::Bytes::copy_from_slice(&data[at..end]));
                    at = end + 2;
                }
                *pos = at;
                return Ok(Some(argv));
            }
            _ => return Err(Stop::BadFormat),
        }
    }
}

/// One `\n`-terminated line from `*at`, which moves past it.
fn line<'d>(data: &'d [u8], at: &mut usize) -> Result<&'d [u8], Stop> {
    let rest = &data[*at..];
    let end = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(Stop::Truncated)?;
    *at += end + 1;
    let text = &rest[..end];
    Ok(text.strip_suffix(b"\r").unwrap_or(text))
}

/// `*<n>\r\n` or `$<n>\r\n`: the number after the type byte.
fn number(data: &[u8], at: &mut usize) -> Result<i64, Stop> {
    let text = line(data, at)?;
    moat_resp::string2ll(&text[1..]).ok_or(Stop::BadFormat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> (Vec<Vec<bytes::Bytes>>, usize, Option<Stop>) {
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match next_command(data, &mut pos) {
                Ok(Some(argv)) => out.push(argv),
                Ok(None) => return (out, pos, None),
                Err(stop) => return (out, pos, Some(stop)),
            }
        }
    }

    #[test]
    fn commands_and_annotations() {
        let data = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n";
        let (commands, pos, stop) = all(data);
        assert_eq!(commands.len(), 2);
        assert_eq!(pos, data.len());
        assert_eq!(stop, None);
    }

    #[test]
    fn every_cut_is_a_truncation_after_the_last_whole_command() {
        let data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
        let first_end = 28;
        for cut in 1..data.len() {
            let (commands, pos, stop) = all(&data[..cut]);
            if cut == first_end {
                assert_eq!((commands.len(), stop), (1, None));
            } else {
                assert_eq!(stop, Some(Stop::Truncated), "cut at {cut}");
                assert_eq!(pos, if cut < first_end { 0 } else { first_end });
            }
        }
    }

    #[test]
    fn garbage_is_a_format_error() {
        assert_eq!(all(b"SET k v\r\n").2, Some(Stop::BadFormat));
        assert_eq!(all(b"*1\r\n$2\r\nabc\r\n").2, Some(Stop::BadFormat));
        assert_eq!(all(b"*x\r\n").2, Some(Stop::BadFormat));
    }
}
