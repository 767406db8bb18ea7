use super::*;
use crate::Protocol;
use proptest::prelude::*;

fn decode_all(input: &[u8]) -> Result<Option<Frame>, DecodeError> {
    let mut buf = BytesMut::from(input);
    let frame = decode_frame(&mut buf)?;
    if frame.is_some() {
        assert!(buf.is_empty(), "left over: {buf:?}");
    }
    Ok(frame)
}

fn bulk(s: &'static str) -> Frame {
    Frame::Bulk(Bytes::from_static(s.as_bytes()))
}

#[test]
fn decodes_resp2_types() {
    assert_eq!(decode_all(b"+OK\r\n"), Ok(Some(Frame::ok())));
    assert_eq!(decode_all(b"-ERR no\r\n"), Ok(Some(Frame::error("ERR no"))));
    assert_eq!(decode_all(b":-7\r\n"), Ok(Some(Frame::Integer(-7))));
    assert_eq!(decode_all(b"$3\r\nfoo\r\n"), Ok(Some(bulk("foo"))));
    assert_eq!(decode_all(b"$-1\r\n"), Ok(Some(Frame::Null)));
    assert_eq!(decode_all(b"*-1\r\n"), Ok(Some(Frame::NullArray)));
    assert_eq!(
        decode_all(b"*2\r\n$1\r\na\r\n*0\r\n"),
        Ok(Some(Frame::Array(vec![bulk("a"), Frame::Array(vec![])])))
    );
}

#[test]
fn decodes_resp3_types() {
    assert_eq!(decode_all(b"_\r\n"), Ok(Some(Frame::Null)));
    assert_eq!(decode_all(b",1.5\r\n"), Ok(Some(Frame::Double(1.5))));
    assert_eq!(
        decode_all(b",-inf\r\n"),
        Ok(Some(Frame::Double(f64::NEG_INFINITY)))
    );
    assert!(matches!(decode_all(b",nan\r\n"), Ok(Some(Frame::Double(v))) if v.is_nan()));
    assert_eq!(decode_all(b"#t\r\n"), Ok(Some(Frame::Boolean(true))));
    assert_eq!(
        decode_all(b"(12345678901234567890\r\n"),
        Ok(Some(Frame::BigNumber(Bytes::from_static(
            b"12345678901234567890"
        ))))
    );
    assert_eq!(
        decode_all(b"!5\r\nERR x\r\n"),
        Ok(Some(Frame::error("ERR x")))
    );
    assert_eq!(
        decode_all(b"=8\r\ntxt:a\r\nb\r\n"),
        Ok(Some(Frame::Verbatim {
            format: *b"txt",
            text: Bytes::from_static(b"a\r\nb")
        }))
    );
    assert_eq!(
        decode_all(b"%1\r\n+k\r\n:1\r\n"),
        Ok(Some(Frame::Map(vec![(
            Frame::simple("k"),
            Frame::Integer(1)
        )])))
    );
    assert_eq!(
        decode_all(b"~1\r\n:1\r\n"),
        Ok(Some(Frame::Set(vec![Frame::Integer(1)])))
    );
    assert_eq!(
        decode_all(b">1\r\n:1\r\n"),
        Ok(Some(Frame::Push(vec![Frame::Integer(1)])))
    );
}

#[test]
fn attributes_are_skipped() {
    assert_eq!(
        decode_all(b"|1\r\n+ttl\r\n:3\r\n:42\r\n"),
        Ok(Some(Frame::Integer(42)))
    );
    assert_eq!(decode_all(b"|1\r\n+ttl\r\n:3\r\n"), Ok(None));
}

#[test]
fn incomplete_frames_consume_nothing() {
    let full = b"*3\r\n$3\r\nfoo\r\n%1\r\n+a\r\n,2.5\r\n=7\r\ntxt:abc\r\n";
    for len in 0..full.len() {
        let mut buf = BytesMut::from(&full[..len]);
        assert_eq!(decode_frame(&mut buf), Ok(None), "prefix of {len}");
        assert_eq!(buf.len(), len);
    }
    assert!(decode_all(full).unwrap().is_some());
}

#[test]
fn decodes_one_frame_at_a_time() {
    let mut buf = BytesMut::from(&b"+A\r\n+B\r\n"[..]);
    assert_eq!(decode_frame(&mut buf), Ok(Some(Frame::simple("A"))));
    assert_eq!(decode_frame(&mut buf), Ok(Some(Frame::simple("B"))));
    assert_eq!(decode_frame(&mut buf), Ok(None));
}

#[test]
fn malformed_replies_are_errors() {
    for input in [
        &b"?\r\n"[..],
        b":abc\r\n",
        b"$x\r\n",
        b"$-2\r\n",
        b"$3\r\nfooXY",
        b"+OK\n",
        b"#x\r\n",
        b",abc\r\n",
        b"=2\r\nab\r\n",
        b"=5\r\ntxtxa\r\n",
        b"%-1\r\n",
        b"_x\r\n",
        b"$?\r\n",
    ] {
        assert!(decode_all(input).is_err(), "{input:?}");
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let input = b"*1\r\n".repeat(100_000);
    assert!(decode_all(&input).is_err());
}

fn frame_strategy() -> impl Strategy<Value = Frame> {
    let text = "[a-zA-Z0-9 :]{0,10}".prop_map(Bytes::from);
    let binary = prop::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from);
    let leaf = prop_oneof![
        text.clone().prop_map(Frame::Simple),
        text.clone().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        binary.clone().prop_map(Frame::Bulk),
        Just(Frame::Null),
        any::<f64>()
            .prop_filter("NaN never equals itself", |v| !v.is_nan())
            .prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[1-9][0-9]{0,30}".prop_map(|d| Frame::BigNumber(Bytes::from(d))),
        (any::<[u8; 3]>(), binary).prop_map(|(format, text)| Frame::Verbatim { format, text }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Frame::Array),
            prop::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(Frame::Map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Frame::Set),
            prop::collection::vec(inner, 0..4).prop_map(Frame::Push),
        ]
    })
}

proptest! {
    #[test]
    fn resp3_encoding_round_trips(frame in frame_strategy()) {
        let mut buf = BytesMut::new();
        frame.encode(Protocol::Resp3, &mut buf);
        prop_assert_eq!(decode_frame(&mut buf), Ok(Some(frame)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn resp2_encoding_always_decodes(frame in frame_strategy()) {
        let mut buf = BytesMut::new();
        frame.encode(Protocol::Resp2, &mut buf);
        prop_assert!(matches!(decode_frame(&mut buf), Ok(Some(_))));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(input in prop::collection::vec(any::<u8>(), 0..128)) {
        let mut buf = BytesMut::from(&input[..]);
        while let Ok(Some(_)) = decode_frame(&mut buf) {
            prop_assert!(buf.len() < input.len());
        }
    }
}
