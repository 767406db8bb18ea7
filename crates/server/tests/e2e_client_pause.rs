//! CLIENT PAUSE / UNPAUSE against the built binary: paused commands wait
//! for the deadline (or UNPAUSE), WRITE mode lets reads through.

use moat_resp::Frame;
use moat_testkit::moat_server;
use std::time::{Duration, Instant};

#[test]
fn pause_holds_writes_and_unpause_releases_them() {
    let server = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let mut admin = server.client().unwrap();
    let mut other = server.client().unwrap();
    other.call(&["SET", "k", "v"]).unwrap();

    // WRITE mode: reads run at once, writes wait for the deadline.
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "400", "WRITE"]).unwrap(),
        Frame::ok()
    );
    let started = Instant::now();
    assert_eq!(other.call(&["GET", "k"]).unwrap(), Frame::Bulk("v".into()));
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "a read waited"
    );
    other.call(&["SET", "k", "w"]).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "a write did not wait"
    );

    // ALL mode, released early by UNPAUSE from the pausing client.
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "5000"]).unwrap(),
        Frame::ok()
    );
    let started = Instant::now();
    other.send(&["GET", "k"]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]).unwrap(), Frame::ok());
    assert_eq!(other.read_frame().unwrap(), Frame::Bulk("w".into()));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(4),
        "{waited:?}"
    );

    // Errors as Redis words them.
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "abc"]).unwrap(),
        Frame::error("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "10", "SOMETIMES"]).unwrap(),
        Frame::error("ERR CLIENT PAUSE mode must be WRITE or ALL")
    );
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "-1"]).unwrap(),
        Frame::error("ERR timeout is negative")
    );
}
