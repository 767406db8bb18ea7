//! RESP3 reply types of the collection commands, as the `redis` crate
//! decodes them: maps for hashes, sets for set results, doubles for
//! scores, nested pairs for WITHSCORES/WITHVALUES.

use moat_testkit::{moat_server, ServerProcess};
use redis::{Connection, Value};

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn resp3(server: &ServerProcess) -> Connection {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

fn run(con: &mut Connection, line: &str) -> Value {
    let mut cmd = redis::cmd(line.split(' ').next().unwrap());
    for arg in line.split(' ').skip(1) {
        cmd.arg(arg);
    }
    cmd.query(con).unwrap()
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn hash_replies() {
    let server = moat();
    let mut con = resp3(&server);
    assert_eq!(run(&mut con, "HSET h a 1 b 2"), Value::Int(2));
    assert_eq!(
        run(&mut con, "HGETALL h"),
        Value::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))])
    );
    assert_eq!(run(&mut con, "HGETALL nokey"), Value::Map(vec![]));
    assert_eq!(
        run(&mut con, "HRANDFIELD h 5 WITHVALUES"),
        Value::Array(vec![
            Value::Array(vec![bulk("a"), bulk("1")]),
            Value::Array(vec![bulk("b"), bulk("2")])
        ])
    );
    assert_eq!(run(&mut con, "HINCRBYFLOAT h a 0.5"), bulk("1.5"));
    assert_eq!(run(&mut con, "HGET h nofield"), Value::Nil);
}

#[test]
fn set_replies() {
    let server = moat();
    let mut con = resp3(&server);
    run(&mut con, "SADD s 3 1 2");
    assert_eq!(
        run(&mut con, "SMEMBERS s"),
        Value::Set(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(
        run(&mut con, "SUNION s nokey"),
        Value::Set(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(run(&mut con, "SPOP nokey 2"), Value::Set(vec![]));
    assert_eq!(
        run(&mut con, "SRANDMEMBER s 10"),
        Value::Array(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(
        run(&mut con, "SMISMEMBER s 1 9"),
        Value::Array(vec![Value::Int(1), Value::Int(0)])
    );
}

#[test]
fn sorted_set_replies() {
    let server = moat();
    let mut con = resp3(&server);
    run(&mut con, "ZADD z 1.5 a 0.1 b");
    assert_eq!(run(&mut con, "ZSCORE z b"), Value::Double(0.1));
    assert_eq!(run(&mut con, "ZSCORE z nomember"), Value::Nil);
    assert_eq!(run(&mut con, "ZINCRBY z 1 a"), Value::Double(2.5));
    assert_eq!(
        run(&mut con, "ZRANGE z 0 -1 WITHSCORES"),
        Value::Array(vec![
            Value::Array(vec![bulk("b"), Value::Double(0.1)]),
            Value::Array(vec![bulk("a"), Value::Double(2.5)])
        ])
    );
    assert_eq!(
        run(&mut con, "ZRANK z a WITHSCORE"),
        Value::Array(vec![Value::Int(1), Value::Double(2.5)])
    );
    assert_eq!(run(&mut con, "ZRANK z nomember WITHSCORE"), Value::Nil);
    assert_eq!(
        run(&mut con, "ZMSCORE z a nomember"),
        Value::Array(vec![Value::Double(2.5), Value::Nil])
    );
    assert_eq!(
        run(&mut con, "ZPOPMIN z"),
        Value::Array(vec![bulk("b"), Value::Double(0.1)])
    );
    assert_eq!(
        run(&mut con, "ZMPOP 1 z MAX"),
        Value::Array(vec![
            bulk("z"),
            Value::Array(vec![Value::Array(vec![bulk("a"), Value::Double(2.5)])])
        ])
    );
    assert_eq!(run(&mut con, "ZMPOP 1 z MAX"), Value::Nil);
    run(&mut con, "ZADD inf +inf top -inf bottom");
    assert_eq!(
        run(&mut con, "ZRANGE inf 0 -1 WITHSCORES"),
        Value::Array(vec![
            Value::Array(vec![bulk("bottom"), Value::Double(f64::NEG_INFINITY)]),
            Value::Array(vec![bulk("top"), Value::Double(f64::INFINITY)])
        ])
    );
}
