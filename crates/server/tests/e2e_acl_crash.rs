//! ACL SAVE under crashes: a client changes users and saves in a loop
//! while the server is SIGKILLed at random moments. After every kill the
//! aclfile must load and hold exactly the users of a completed save or of
//! the save that was in flight, never a mix, a truncation or nothing.

mod support;

use moat_testkit::{Client, ServerProcess};
use rand::Rng;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const KILLS: usize = 20;

/// What the client knows about the file: the ACL LIST at the last save
/// that replied OK, and the one of a save sent but not answered.
#[derive(Default, Clone)]
struct Saves {
    confirmed: Vec<String>,
    in_flight: Option<Vec<String>>,
    completed: usize,
}

/// SETUSER + SAVE until the connection breaks (the server was killed).
fn churn(mut client: Client, saves: Arc<Mutex<Saves>>, first: usize) {
    for i in first.. {
        let name = format!("user{:03}", i % 50);
        let password = format!(">pw{i}");
        let key = format!("~k{i}:*");
        let set = client.call(&[
            "ACL", "SETUSER", &name, "reset", "on", &password, &key, "+get",
        ]);
        if set.is_err() {
            return;
        }
        let listed = match client.call(&["ACL", "LIST"]) {
            Ok(moat_resp::Frame::Array(items)) => items.iter().map(text).collect::<Vec<_>>(),
            _ => return,
        };
        saves.lock().unwrap().in_flight = Some(listed.clone());
        match client.call(&["ACL", "SAVE"]) {
            Ok(reply) => {
                assert_eq!(text(&reply), "OK");
                let mut saves = saves.lock().unwrap();
                saves.confirmed = listed;
                saves.in_flight = None;
                saves.completed += 1;
            }
            Err(_) => return,
        }
    }
}

#[test]
fn aclfile_is_old_or_new_after_every_kill() {
    let files = tempfile::tempdir().unwrap();
    let aclfile = files.path().join("users.acl");
    std::fs::write(&aclfile, "user seed on >seedpw ~* +@all\n").unwrap();
    let mut server: ServerProcess = moat()
        .args(["--aclfile", aclfile.to_str().unwrap()])
        .start()
        .unwrap();
    // Start from a saved (canonical) file: it is the "old" state of round 0.
    let mut setup = server.client().unwrap();
    ok(&mut setup, &["ACL", "SAVE"]);
    let mut saves = Saves {
        confirmed: acl_list(&mut setup),
        ..Saves::default()
    };
    drop(setup);
    let mut rng = rand::thread_rng();
    let mut killed_mid_save = 0;
    let mut total_saves = 0;
    for round in 0..KILLS {
        let shared = Arc::new(Mutex::new(saves.clone()));
        let client = server.client().unwrap();
        let worker = {
            let shared = shared.clone();
            std::thread::spawn(move || churn(client, shared, round * 1000))
        };
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..80)));
        server.kill().unwrap();
        worker.join().unwrap();
        saves = shared.lock().unwrap().clone();
        total_saves += saves.completed;
        saves.completed = 0;

        let content = std::fs::read(&aclfile).unwrap();
        let parsed = moat_acl::load_acl_file(
            &content,
            "users.acl",
            moat_acl::PubsubDefault::ResetChannels,
        );
        assert!(
            parsed.is_ok(),
            "round {round}: the aclfile does not load: {parsed:?}"
        );
        let lines: Vec<String> = String::from_utf8(content)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let is_new = saves.in_flight.as_ref() == Some(&lines);
        assert!(
            lines == saves.confirmed || is_new,
            "round {round}: the file holds neither the last saved users nor the ones being saved:\n{lines:#?}"
        );
        if is_new && lines != saves.confirmed {
            killed_mid_save += 1;
        }
        // What the file holds is now the truth, as the restart shows.
        saves.confirmed = lines.clone();
        saves.in_flight = None;
        server.restart().unwrap();
        assert_eq!(
            acl_list(&mut server.client().unwrap()),
            lines,
            "round {round}"
        );
    }
    println!("{KILLS} kills, {total_saves} completed saves, {killed_mid_save} kills after the file was replaced but before the reply");
    assert!(total_saves > 0, "the client never completed a save");
}
