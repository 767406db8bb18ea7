//! Pub/Sub and transactions through the `redis` crate, as a Rust
//! application would use them.

use moat_testkit::{moat_server, ServerProcess};
use redis::Commands;
use std::time::Duration;

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn client(server: &ServerProcess) -> redis::Client {
    redis::Client::open(format!("redis://127.0.0.1:{}/", server.port())).unwrap()
}

#[test]
fn subscriber_receives_channel_and_pattern_messages() {
    let server = moat();
    let client = client(&server);
    let mut sub_con = client.get_connection().unwrap();
    let mut publisher = client.get_connection().unwrap();
    let mut pubsub = sub_con.as_pubsub();
    pubsub.subscribe("orders").unwrap();
    pubsub.psubscribe("audit.*").unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(publisher.publish::<_, _, i64>("orders", "o1").unwrap(), 1);
    assert_eq!(
        publisher
            .publish::<_, _, i64>("audit.login", "alice")
            .unwrap(),
        1
    );
    let message = pubsub.get_message().unwrap();
    assert_eq!(message.get_channel_name(), "orders");
    assert_eq!(message.get_payload::<String>().unwrap(), "o1");
    let message = pubsub.get_message().unwrap();
    assert_eq!(message.get_pattern::<String>().unwrap(), "audit.*");
    assert_eq!(message.get_channel_name(), "audit.login");
    assert_eq!(message.get_payload::<String>().unwrap(), "alice");
    pubsub.unsubscribe("orders").unwrap();
    pubsub.punsubscribe("audit.*").unwrap();
    drop(pubsub);
    // Out of subscribed mode, the connection serves ordinary commands.
    let () = sub_con.set("k", "v").unwrap();
    assert_eq!(sub_con.get::<_, String>("k").unwrap(), "v");
}

#[test]
fn optimistic_locking_with_watch() {
    let server = moat();
    let client = client(&server);
    let mut con = client.get_connection().unwrap();
    let mut other = client.get_connection().unwrap();
    let () = con.set("balance", 10).unwrap();
    // redis::transaction retries until EXEC succeeds; the first attempt is
    // broken by another client's write.
    let mut attempts = 0;
    let (balance,): (i64,) = redis::transaction(&mut con, &["balance"], |con, pipe| {
        attempts += 1;
        let current: i64 = con.get("balance")?;
        if attempts == 1 {
            let () = other.set("balance", current + 5)?;
        }
        pipe.set("balance", current * 2)
            .ignore()
            .get("balance")
            .query(con)
    })
    .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(balance, 30);
}
