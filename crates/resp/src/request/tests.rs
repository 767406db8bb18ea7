use super::*;
use proptest::prelude::*;

fn authed() -> RequestLimits {
    RequestLimits::default()
}

fn unauthed() -> RequestLimits {
    RequestLimits {
        unauthenticated: true,
        ..RequestLimits::default()
    }
}

fn parse_with(input: &[u8], limits: &RequestLimits) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
    let mut buf = BytesMut::from(input);
    parse_request(&mut buf, limits)
        .map(|argv| argv.map(|args| args.iter().map(|a| a.to_vec()).collect()))
}

fn parse(input: &[u8]) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
    parse_with(input, &authed())
}

fn argv(words: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
    Some(words.iter().map(|w| w.to_vec()).collect())
}

/// Every item the stream yields until it needs more input or fails, and
/// what is left in the buffer when it did not fail.
type Outcome = (Vec<Result<Vec<Bytes>, ProtocolError>>, Vec<u8>);

fn drain(
    parser: &mut RequestParser,
    buf: &mut BytesMut,
    limits: &RequestLimits,
    out: &mut Vec<Result<Vec<Bytes>, ProtocolError>>,
) -> bool {
    loop {
        match parser.parse(buf, limits) {
            Ok(Some(args)) => out.push(Ok(args)),
            Ok(None) => return true,
            Err(error) => {
                out.push(Err(error));
                return false;
            }
        }
    }
}

fn parse_in_chunks(stream: &[u8], cuts: &[usize], limits: &RequestLimits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(stream.len())).collect();
    ends.sort_unstable();
    ends.push(stream.len());
    for end in ends {
        buf.extend_from_slice(&stream[start..end.max(start)]);
        start = end.max(start);
        if !drain(&mut parser, &mut buf, limits, &mut out) {
            // The connection closes on an error: what is left is moot, and
            // depends on how much had arrived.
            buf.clear();
            break;
        }
    }
    (out, buf.to_vec())
}

#[test]
fn parses_a_multibulk_request() {
    assert_eq!(
        parse(b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"),
        Ok(argv(&[b"GET", b"key"]))
    );
    assert_eq!(parse(b"*1\r\n$0\r\n\r\n"), Ok(argv(&[b""])));
}

#[test]
fn binary_bulks_may_hold_crlf_and_nul() {
    assert_eq!(parse(b"*1\r\n$4\r\n\r\n\0x\r\n"), Ok(argv(&[b"\r\n\0x"])));
}

#[test]
fn consumes_exactly_one_request() {
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\nPING\r\n"[..]);
    let first = parse_request(&mut buf, &authed()).unwrap().unwrap();
    assert_eq!(first, vec![Bytes::from_static(b"PING")]);
    assert_eq!(&buf[..], b"PING\r\n");
}

#[test]
fn every_prefix_of_a_request_is_incomplete_and_untouched() {
    let request = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
    for len in 0..request.len() {
        let mut buf = BytesMut::from(&request[..len]);
        assert_eq!(
            parse_request(&mut buf, &authed()),
            Ok(None),
            "prefix of {len}"
        );
        assert_eq!(buf.len(), len);
    }
}

#[test]
fn empty_requests_yield_no_arguments() {
    for input in [
        &b"*0\r\n"[..],
        b"*-1\r\n",
        b"*-5\r\n",
        b"\r\n",
        b"\n",
        b"   \t\r\n",
    ] {
        assert_eq!(parse(input), Ok(Some(vec![])), "{input:?}");
    }
}

#[test]
fn inline_requests_end_with_lf_or_crlf() {
    assert_eq!(parse(b"PING\r\n"), Ok(argv(&[b"PING"])));
    assert_eq!(parse(b"SET a \"b c\"\n"), Ok(argv(&[b"SET", b"a", b"b c"])));
    assert_eq!(parse(b"PING"), Ok(None));
    assert_eq!(parse(b"PING\r"), Ok(None));
    assert_eq!(parse(b"ECHO a\r\r\n"), Ok(argv(&[b"ECHO", b"a"])));
    assert_eq!(
        parse(b"ECHO \"a\"b\n"),
        Err(ProtocolError::UnbalancedQuotes)
    );
}

#[test]
fn multibulk_count_errors() {
    assert_eq!(
        parse(b"*abc\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(parse(b"*\r\n"), Err(ProtocolError::InvalidMultibulkLength));
    assert_eq!(
        parse(b"*01\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        parse(b"*+1\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        parse(b"* 1\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        parse(b"*2147483648\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        parse(b"*99999999999999999999999\r\n"),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    // INT_MAX itself is accepted and waits for its arguments.
    assert_eq!(parse(b"*2147483647\r\n"), Ok(None));
}

#[test]
fn unauthenticated_limits() {
    assert_eq!(
        parse_with(b"*11\r\n", &unauthed()),
        Err(ProtocolError::UnauthenticatedMultibulkLength)
    );
    assert_eq!(parse_with(b"*10\r\n", &unauthed()), Ok(None));
    assert_eq!(parse_with(b"*11\r\n", &authed()), Ok(None));
    // The general checks come first.
    assert_eq!(
        parse_with(b"*2147483648\r\n", &unauthed()),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        parse_with(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", &unauthed()),
        Err(ProtocolError::UnauthenticatedBulkLength)
    );
    assert_eq!(
        parse_with(b"*2\r\n$4\r\nAUTH\r\n$16384\r\n", &unauthed()),
        Ok(None)
    );
    assert_eq!(
        parse_with(b"*1\r\n$-1\r\n", &unauthed()),
        Err(ProtocolError::InvalidBulkLength)
    );
}

#[test]
fn bulk_header_errors() {
    assert_eq!(
        parse(b"*1\r\nX\r\n"),
        Err(ProtocolError::ExpectedDollar('X'))
    );
    assert_eq!(
        parse(b"*1\r\n*1\r\n"),
        Err(ProtocolError::ExpectedDollar('*'))
    );
    assert_eq!(
        parse(b"*1\r\n\r\n"),
        Err(ProtocolError::ExpectedDollar('\r'))
    );
    assert_eq!(
        parse(b"*1\r\n\xe9\r\n").unwrap_err().to_string(),
        "expected '$', got '\u{e9}'"
    );
    assert_eq!(
        parse(b"*1\r\n$-1\r\n"),
        Err(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(parse(b"*1\r\n$\r\n"), Err(ProtocolError::InvalidBulkLength));
    assert_eq!(
        parse(b"*1\r\n$x\r\n"),
        Err(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(
        parse(b"*1\r\n$01\r\n"),
        Err(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(
        parse(b"*1\r\n$536870913\r\n"),
        Err(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(parse(b"*1\r\n$536870912\r\n"), Ok(None));
    let small = RequestLimits {
        max_bulk_len: 3,
        ..authed()
    };
    assert_eq!(
        parse_with(b"*1\r\n$4\r\n", &small),
        Err(ProtocolError::InvalidBulkLength)
    );
    // Errors are reported as soon as the header is seen.
    assert_eq!(
        parse(b"*2\r\n$3\r\nGET\r\n$-2\r\n"),
        Err(ProtocolError::InvalidBulkLength)
    );
}

#[test]
fn error_texts_match_redis() {
    let texts = [
        (
            ProtocolError::InvalidMultibulkLength,
            "invalid multibulk length",
        ),
        (ProtocolError::InvalidBulkLength, "invalid bulk length"),
        (ProtocolError::ExpectedDollar('x'), "expected '$', got 'x'"),
        (
            ProtocolError::TooBigMultibulkCount,
            "too big mbulk count string",
        ),
        (ProtocolError::TooBigBulkCount, "too big bulk count string"),
        (ProtocolError::TooBigInline, "too big inline request"),
        (
            ProtocolError::UnbalancedQuotes,
            "unbalanced quotes in request",
        ),
        (
            ProtocolError::UnauthenticatedMultibulkLength,
            "unauthenticated multibulk length",
        ),
        (
            ProtocolError::UnauthenticatedBulkLength,
            "unauthenticated bulk length",
        ),
    ];
    for (error, text) in texts {
        assert_eq!(error.to_string(), text);
    }
}

#[test]
fn terminators_after_counts_and_bodies_are_not_checked() {
    assert_eq!(parse(b"*1\rX$4\r\nPINGxx"), Ok(argv(&[b"PING"])));
}

#[test]
fn nul_in_a_line_stalls_like_strchr() {
    assert_eq!(parse(b"PING\0\n"), Ok(None));
    assert_eq!(parse(b"*1\0\r\n"), Ok(None));
    assert_eq!(parse(b"*1\r\n$1\0\r\n"), Ok(None));
    let mut stalled = b"PING\0\n".to_vec();
    stalled.resize(MAX_LINE_LEN + 1, b'x');
    assert_eq!(parse(&stalled), Err(ProtocolError::TooBigInline));
}

#[test]
fn line_length_limits() {
    let mut inline = vec![b'a'; MAX_LINE_LEN];
    assert_eq!(parse(&inline), Ok(None));
    inline.push(b'\n');
    assert_eq!(parse(&inline).unwrap().unwrap().len(), 1);
    let mut too_long = vec![b'a'; MAX_LINE_LEN + 1];
    assert_eq!(parse(&too_long), Err(ProtocolError::TooBigInline));
    too_long.push(b'\n');
    assert_eq!(parse(&too_long), Err(ProtocolError::TooBigInline));

    let mut count = b"*".to_vec();
    count.resize(MAX_LINE_LEN, b'1');
    assert_eq!(parse(&count), Ok(None));
    count.push(b'1');
    assert_eq!(parse(&count), Err(ProtocolError::TooBigMultibulkCount));

    let mut bulk = b"*1\r\n$".to_vec();
    bulk.resize(4 + MAX_LINE_LEN + 1, b'1');
    assert_eq!(parse(&bulk), Err(ProtocolError::TooBigBulkCount));
}

#[test]
fn arguments_share_the_request_buffer() {
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"[..]);
    let base = buf.as_ptr() as usize;
    let args = parse_request(&mut buf, &authed()).unwrap().unwrap();
    assert_eq!(args[0].as_ptr() as usize, base + 8);
    assert_eq!(args[1].as_ptr() as usize, base + 17);
}

#[test]
fn a_parser_resumes_a_large_request() {
    let body = vec![b'v'; 100_000];
    let mut request = b"*2\r\n$3\r\nSET\r\n$100000\r\n".to_vec();
    request.extend_from_slice(&body);
    request.extend_from_slice(b"\r\n");
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    for chunk in request.chunks(4096) {
        assert!(matches!(parser.parse(&mut buf, &authed()), Ok(None)));
        buf.extend_from_slice(chunk);
    }
    let args = parser.parse(&mut buf, &authed()).unwrap().unwrap();
    assert_eq!(args[1].len(), 100_000);
    assert!(buf.is_empty());
}

#[test]
fn a_parser_restarts_when_the_buffer_shrinks() {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPI"[..]);
    assert_eq!(parser.parse(&mut buf, &authed()), Ok(None));
    buf.clear();
    buf.extend_from_slice(b"PING\r\n");
    assert_eq!(
        parser.parse(&mut buf, &authed()),
        Ok(Some(vec![Bytes::from_static(b"PING")]))
    );
}

/// A byte stream of valid requests (multibulk and inline).
fn valid_stream() -> impl Strategy<Value = Vec<u8>> {
    let arg = prop::collection::vec(any::<u8>(), 0..20);
    let multibulk = prop::collection::vec(arg, 0..6).prop_map(|args| {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(&a);
            out.extend_from_slice(b"\r\n");
        }
        out
    });
    let word = r#"[a-z0-9]{1,8}|"([a-z ]|\\n){0,6}"|'[a-z ]{0,6}'"#;
    let inline = prop::collection::vec(word, 0..5)
        .prop_map(|words| format!("{}\r\n", words.join(" ")).into_bytes());
    prop::collection::vec(prop_oneof![multibulk, inline], 1..8)
        .prop_map(|requests| requests.concat())
}

/// Bytes that look enough like RESP to reach the interesting paths.
fn resp_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"*".to_vec()),
        Just(b"$".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\\".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"-1".to_vec()),
        "[0-9]{1,3}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 1..4),
    ];
    prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

proptest! {
    #[test]
    fn any_split_of_a_valid_stream_gives_the_same_requests(
        stream in valid_stream(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        let whole = parse_in_chunks(&stream, &[], &authed());
        prop_assert!(whole.0.iter().all(Result::is_ok));
        prop_assert!(whole.1.is_empty());
        prop_assert_eq!(parse_in_chunks(&stream, &cuts, &authed()), whole);
    }

    #[test]
    fn any_split_of_any_bytes_gives_the_same_outcome(
        stream in resp_like_bytes(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        unauthenticated: bool,
    ) {
        let limits = RequestLimits { unauthenticated, max_bulk_len: 64 };
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        prop_assert_eq!(parse_in_chunks(&stream, &cuts, &limits), parse_in_chunks(&stream, &[], &limits));
    }

    #[test]
    fn byte_at_a_time_matches_whole(stream in resp_like_bytes()) {
        let every_byte: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(parse_in_chunks(&stream, &every_byte, &authed()), parse_in_chunks(&stream, &[], &authed()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(stream in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut buf = BytesMut::from(&stream[..]);
        while let Ok(Some(_)) = parse_request(&mut buf, &unauthed()) {
            prop_assert!(buf.len() < stream.len());
        }
    }

    #[test]
    fn the_one_pass_path_agrees_with_the_general_path(
        stream in prop_oneof![valid_stream(), resp_like_bytes()],
        unauthenticated: bool,
        small_bulks: bool,
    ) {
        let limits = RequestLimits {
            unauthenticated,
            max_bulk_len: if small_bulks { 3 } else { 512 * 1024 * 1024 },
        };
        let mut fast = BytesMut::from(&stream[..]);
        let mut args = Vec::new();
        if parse_complete_multibulk(&mut fast, &limits, &mut args) {
            let mut general = BytesMut::from(&stream[..]);
            let expected = RequestParser::new().advance_general(&mut general, &limits, stream[0]);
            prop_assert_eq!(Ok(Some(args)), expected);
            prop_assert_eq!(fast, general);
        }
    }
}
