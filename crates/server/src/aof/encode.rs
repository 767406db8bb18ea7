//! Commands as the AOF stores them: RESP multibulk, exactly what Redis's
//! `catAppendOnlyGenericCommand` writes.

/// Appends `*<n>\r\n` then `$<len>\r\n<arg>\r\n` per argument.
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    header(out, b'*', argv.len());
    for arg in argv {
        let arg = arg.as_ref();
        header(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// `SELECT <db>`.
pub fn select(out: &mut Vec<u8>, db: usize) {
    command(out, &[&b"SELECT"[..], db.to_string().as_bytes()]);
}

/// The `#TS:<unix seconds>` annotation of `aof-timestamp-enabled`.
pub fn timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(format!("#TS:{unix_secs}\r\n").as_bytes());
}

/// `<kind><n>\r\n`, formatted without allocating (a rewrite writes four
/// of these per key while clients wait).
pub fn header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    #[test]
    fn multibulk() {
        let mut out = Vec::new();
        super::select(&mut out, 3);
        super::command(&mut out, &["SET", "k", ""]);
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
    }
}
