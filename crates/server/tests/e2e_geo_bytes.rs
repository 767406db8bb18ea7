//! The exact bytes of geo replies. Differential scripts compare decoded
//! frames, and a RESP3 double decodes to a number: two texts of the same
//! value would compare equal. Coordinates are sent as Redis formats them
//! (`%.17Lf` without trailing zeros), so the bytes are checked here, and
//! against the reference server when it is installed.

use bytes::BytesMut;
use moat_resp::decode_frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};

const SCRIPT: &[&[&str]] = &[
    &["HELLO", "3"],
    &[
        "GEOADD",
        "Sicily",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
        "-180",
        "0",
        "West",
        "0",
        "0",
        "Zero",
    ],
    &["GEOPOS", "Sicily", "Palermo", "nosuch", "West", "Zero"],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "200",
        "km",
        "ASC",
        "WITHDIST",
        "WITHHASH",
        "WITHCOORD",
    ],
    &["GEODIST", "Sicily", "Palermo", "Catania", "mi"],
    &["HELLO", "2"],
    &["GEOPOS", "Sicily", "Palermo", "nosuch"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHCOORD",
        "WITHDIST",
    ],
];

/// Sends one command and returns its reply's bytes, read until a whole
/// frame arrived.
fn raw_reply(client: &mut Client, args: &[&str]) -> Vec<u8> {
    client.send(args).unwrap();
    let mut raw = Vec::new();
    loop {
        raw.extend(client.read_raw().unwrap());
        let mut buf = BytesMut::from(&raw[..]);
        if matches!(decode_frame(&mut buf), Ok(Some(_))) && buf.is_empty() {
            return raw;
        }
    }
}

fn replies(server: &ServerProcess) -> Vec<Vec<u8>> {
    let mut client = Client::connect_port(server.port()).unwrap();
    SCRIPT
        .iter()
        .map(|args| raw_reply(&mut client, args))
        .collect()
}

#[test]
fn coordinates_and_distances_are_sent_as_redis_sends_them() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let got = replies(&moat);
    assert_eq!(
        String::from_utf8_lossy(&got[2]),
        "*4\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n\
         *2\r\n,-179.99999731779098511\r\n,0.00000126736058093\r\n\
         *2\r\n,0.00000268220901489\r\n,0.00000126736058093\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&got[4]), "$8\r\n103.3182\r\n");
    assert_eq!(
        String::from_utf8_lossy(&got[6]),
        "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
    );
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let redis = ServerBuilder::new(redis).start().unwrap();
    let expected = replies(&redis);
    // The HELLO replies name different servers.
    for (i, (ours, theirs)) in got.iter().zip(&expected).enumerate().skip(1) {
        if i == 5 {
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs),
            "{:?}",
            SCRIPT[i]
        );
    }
}
