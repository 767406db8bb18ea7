//! moat-server through the `redis` crate, the client Rust applications
//! use: in RESP2 and, negotiated by the crate itself, RESP3.

use moat_testkit::{moat_server, ServerProcess};
use redis::{Commands, Connection, ErrorKind, RedisError, Value};

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn connect(server: &ServerProcess, url_suffix: &str) -> Connection {
    let url = format!("redis://127.0.0.1:{}/{url_suffix}", server.port());
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

fn server_error(result: redis::RedisResult<Value>) -> RedisError {
    let err = result.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ResponseError | ErrorKind::ExtensionError | ErrorKind::NoScriptError
        ) || err.code().is_some(),
        "not a server error: {err:?}"
    );
    err
}

#[test]
fn strings_and_expiry_in_resp2() {
    let server = moat();
    let mut con = connect(&server, "");
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let echo: String = redis::cmd("ECHO").arg("hi").query(&mut con).unwrap();
    assert_eq!(echo, "hi");
    let () = con.set("k", "v").unwrap();
    assert_eq!(
        con.get::<_, Option<String>>("k").unwrap().as_deref(),
        Some("v")
    );
    assert_eq!(con.get::<_, Option<String>>("missing").unwrap(), None);
    assert_eq!(con.exists::<_, i64>(&["k", "missing", "k"]).unwrap(), 2);
    let () = con.mset(&[("a", "1"), ("b", "2")]).unwrap();
    let values: Vec<Option<String>> = con.mget(&["a", "missing", "b"]).unwrap();
    assert_eq!(values, [Some("1".into()), None, Some("2".into())]);
    assert_eq!(con.incr::<_, _, i64>("a", 1).unwrap(), 2);
    assert!(con.expire::<_, bool>("k", 100).unwrap());
    assert_eq!(con.ttl::<_, i64>("k").unwrap(), 100);
    assert_eq!(con.ttl::<_, i64>("missing").unwrap(), -2);
    assert_eq!(con.del::<_, i64>(&["k", "missing"]).unwrap(), 1);
}

#[test]
fn error_replies_reach_the_client_verbatim() {
    let server = moat();
    let mut con = connect(&server, "");
    let err = server_error(redis::cmd("FOO").arg("a").query(&mut con));
    assert_eq!(err.code(), Some("ERR"));
    assert_eq!(
        err.detail(),
        Some("unknown command 'FOO', with args beginning with: 'a' ")
    );
    let err = server_error(redis::cmd("GET").query(&mut con));
    assert_eq!(
        err.detail(),
        Some("wrong number of arguments for 'get' command")
    );
    let () = con.set("text", "abc").unwrap();
    let err = server_error(redis::cmd("INCR").arg("text").query(&mut con));
    assert_eq!(
        err.detail(),
        Some("value is not an integer or out of range")
    );
}

#[test]
fn resp3_replies_keep_their_types() {
    let server = moat();
    let mut con = connect(&server, "?protocol=resp3");
    let _: i64 = con.hset("h", "field", "value").unwrap();
    let reply: Value = redis::cmd("HGETALL").arg("h").query(&mut con).unwrap();
    assert_eq!(
        reply,
        Value::Map(vec![(
            Value::BulkString(b"field".to_vec()),
            Value::BulkString(b"value".to_vec())
        )])
    );
    let missing: Value = redis::cmd("GET").arg("missing").query(&mut con).unwrap();
    assert_eq!(missing, Value::Nil);
}

#[test]
fn acl_users_authenticate_through_the_url() {
    let server = moat();
    let mut admin = connect(&server, "");
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "cachereader",
            "on",
            ">CacheReaderPassword",
            "%R~cache:*",
            "+@read",
        ])
        .query(&mut admin)
        .unwrap();
    let url = format!(
        "redis://cachereader:CacheReaderPassword@127.0.0.1:{}/",
        server.port()
    );
    let mut reader = redis::Client::open(url).unwrap().get_connection().unwrap();
    assert_eq!(reader.get::<_, Option<String>>("cache:test").unwrap(), None);
    let err = server_error(
        redis::cmd("SET")
            .arg(&["cache:test", "value"])
            .query(&mut reader),
    );
    assert_eq!(err.code(), Some("NOPERM"));
    assert_eq!(
        err.detail(),
        Some("User cachereader has no permissions to run the 'set' command")
    );
    let wrong = format!("redis://cachereader:nope@127.0.0.1:{}/", server.port());
    let Err(err) = redis::Client::open(wrong).unwrap().get_connection() else {
        panic!("a wrong password was accepted");
    };
    assert!(
        err.to_string().contains("WRONGPASS") || err.kind() == ErrorKind::AuthenticationFailed,
        "{err:?}"
    );
}
