//! SORT's BY/GET patterns under ACL rules, through the network and
//! dispatch: the handler never sees the user, so this checks that the
//! per-request permission dispatch computes reaches it (and changes with
//! the user, within MULTI too). Users: `+@all ~v*` (BY denied),
//! `+@all %R~*` (allowed), `+@all %W~*` (denied).

use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerProcess};

const BY_DENIED: &str = "ERR BY option of SORT denied due to insufficient ACL permissions.";
const GET_DENIED: &str = "ERR GET option of SORT denied due to insufficient ACL permissions.";

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn call(client: &mut Client, line: &str) -> Frame {
    let args: Vec<&str> = line.split(' ').collect();
    client.call(&args).unwrap()
}

fn bulks(items: &[&str]) -> Frame {
    Frame::Array(
        items
            .iter()
            .map(|s| Frame::Bulk(bytes::Bytes::copy_from_slice(s.as_bytes())))
            .collect(),
    )
}

fn logged_in(server: &ServerProcess, user: &str) -> Client {
    let mut client = Client::connect_port(server.port()).unwrap();
    assert_eq!(call(&mut client, &format!("AUTH {user} pw")), Frame::ok());
    client
}

#[test]
fn sort_patterns_follow_the_callers_key_permissions() {
    let server = moat();
    let mut admin = Client::connect_port(server.port()).unwrap();
    for line in [
        "RPUSH vlist 3 1 2",
        "MSET w_1 3 w_2 2 w_3 1",
        "ACL SETUSER vonly on >pw +@all ~v*",
        "ACL SETUSER reader on >pw +@all %R~*",
        "ACL SETUSER writer on >pw +@all %W~*",
        "ACL SETUSER writer2 on >pw +@all %W~* %R~v*",
    ] {
        assert!(!call(&mut admin, line).is_error(), "{line}");
    }

    let mut vonly = logged_in(&server, "vonly");
    assert_eq!(call(&mut vonly, "SORT vlist"), bulks(&["1", "2", "3"]));
    assert_eq!(
        call(&mut vonly, "SORT vlist BY nosort"),
        bulks(&["3", "1", "2"])
    );
    assert_eq!(
        call(&mut vonly, "SORT vlist BY w_*"),
        Frame::error(BY_DENIED)
    );
    assert_eq!(
        call(&mut vonly, "SORT_RO vlist BY w_*"),
        Frame::error(BY_DENIED)
    );
    assert_eq!(
        call(&mut vonly, "SORT vlist GET #"),
        Frame::error(GET_DENIED)
    );

    let mut reader = logged_in(&server, "reader");
    assert_eq!(
        call(&mut reader, "SORT vlist BY w_*"),
        bulks(&["3", "2", "1"])
    );
    assert_eq!(
        call(&mut reader, "SORT_RO vlist BY w_* GET w_*"),
        bulks(&["1", "2", "3"])
    );

    // `%W~*` alone cannot even read the list; with read access to it,
    // writing every key still does not let patterns read them.
    let mut writer = logged_in(&server, "writer");
    assert_eq!(
        call(&mut writer, "SORT vlist BY w_*"),
        Frame::error("NOPERM No permissions to access a key")
    );
    let mut writer = logged_in(&server, "writer2");
    assert_eq!(call(&mut writer, "SORT vlist"), bulks(&["1", "2", "3"]));
    assert_eq!(
        call(&mut writer, "SORT vlist BY w_*"),
        Frame::error(BY_DENIED)
    );
    assert_eq!(
        call(&mut writer, "SORT vlist GET w_*"),
        Frame::error(GET_DENIED)
    );

    // The answer belongs to the request: queued in MULTI, it is computed
    // when EXEC runs the command, for the user of the connection.
    assert_eq!(call(&mut vonly, "MULTI"), Frame::simple("OK"));
    assert_eq!(
        call(&mut vonly, "SORT vlist BY w_*"),
        Frame::simple("QUEUED")
    );
    assert_eq!(
        call(&mut vonly, "EXEC"),
        Frame::Array(vec![Frame::error(BY_DENIED)])
    );
    // A rule change applies to the next request.
    assert_eq!(call(&mut admin, "ACL SETUSER vonly allkeys"), Frame::ok());
    assert_eq!(
        call(&mut vonly, "SORT vlist BY w_*"),
        bulks(&["3", "2", "1"])
    );
    // And one user's permission does not leak to another connection.
    assert_eq!(
        call(&mut writer, "SORT vlist BY w_*"),
        Frame::error(BY_DENIED)
    );
}
