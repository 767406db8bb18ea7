use super::*;
use crate::clients::KillSwitch;

fn key(k: &str) -> Bytes {
    Bytes::copy_from_slice(k.as_bytes())
}

/// A client's mailbox and published info, as a session has them.
fn client(id: u64, resp3: bool) -> (Arc<Mailbox>, Arc<Mutex<ClientInfo>>) {
    let mailbox = Arc::new(Mailbox::new(id, Arc::new(KillSwitch::default())));
    mailbox.set_resp3(resp3);
    let info = ClientInfo {
        resp: if resp3 { 3 } else { 2 },
        last_command: "",
        ..ClientInfo::new(
            id,
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            0,
            Bytes::from_static(b"default"),
            0,
        )
    };
    (mailbox, Arc::new(Mutex::new(info)))
}

fn enable(t: &mut Tracking, id: u64, resp3: bool, options: Options, prefixes: &[&str]) {
    let (mailbox, info) = client(id, resp3);
    let prefixes: Vec<Bytes> = prefixes.iter().map(|p| key(p)).collect();
    t.enable(id, &mailbox, &info, 0, None, options, &prefixes);
}

fn outbox_bytes(t: &mut Tracking) -> Vec<(u64, Bytes)> {
    t.take_outbox()
        .into_iter()
        .map(|out| (out.mailbox.client_id(), out.bytes))
        .collect()
}

#[test]
fn a_change_invalidates_once_and_forgets_the_key() {
    let mut t = Tracking::default();
    assert!(t.is_empty());
    enable(&mut t, 1, true, Options::default(), &[]);
    t.remember(1, [&key("k"), &key("j")]);
    t.remember(1, [&key("k")]);
    assert_eq!((t.key_count(), t.item_count()), (2, 2));
    t.invalidate(b"k", true);
    assert_eq!(
        outbox_bytes(&mut t),
        vec![(
            1,
            Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
        )]
    );
    t.invalidate(b"k", true);
    assert!(t.take_outbox().is_empty());
    assert_eq!((t.key_count(), t.item_count()), (1, 1));
}

#[test]
fn own_changes_wait_for_the_reply_and_noloop_skips_them() {
    let mut t = Tracking::default();
    enable(&mut t, 1, true, Options::default(), &[]);
    let noloop = Options {
        noloop: true,
        ..Options::default()
    };
    enable(&mut t, 2, true, noloop, &[]);
    t.remember(1, [&key("k")]);
    t.remember(2, [&key("k")]);
    t.enter(1, true);
    t.invalidate(b"k", true);
    let (before, after) = t.take_current_output();
    assert!(before.is_empty() && after.is_empty(), "pending until done");
    t.send_pending();
    let (before, after) = t.take_current_output();
    assert!(before.is_empty());
    assert_eq!(after.len(), 1);
    assert_eq!(outbox_bytes(&mut t).len(), 1, "client 2 hears of it");
    t.leave();
    t.remember(2, [&key("k")]);
    t.enter(2, true);
    t.invalidate(b"k", true);
    t.send_pending();
    assert!(!t.has_output(), "NOLOOP: nothing about its own write");
}

#[test]
fn broadcast_collects_keys_per_prefix_in_order() {
    let mut t = Tracking::default();
    let bcast = Options {
        bcast: true,
        ..Options::default()
    };
    enable(&mut t, 1, true, bcast, &["a", "b"]);
    assert_eq!(t.prefix_count(), 2);
    t.invalidate(b"a2", true);
    t.invalidate(b"a1", true);
    t.invalidate(b"c", true);
    t.invalidate(b"a1", true);
    t.broadcast();
    let sent = outbox_bytes(&mut t);
    assert_eq!(
        sent,
        vec![(
            1,
            Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n")
        )]
    );
    t.broadcast();
    assert!(t.take_outbox().is_empty());
    t.disable(1);
    assert_eq!(t.prefix_count(), 0);
    assert!(t.is_empty());
}

#[test]
fn a_flush_sends_a_null_in_the_tracking_clients_protocol() {
    let mut t = Tracking::default();
    enable(&mut t, 1, true, Options::default(), &[]);
    let (target, target_info) = client(2, false);
    target.set_subscriber(true);
    let (mailbox, info) = client(3, false);
    t.enable(3, &mailbox, &info, 2, Some(target), Options::default(), &[]);
    assert_eq!(target_info.lock().id, 2);
    t.remember(1, [&key("k")]);
    t.invalidate_all();
    assert_eq!(t.key_count(), 0);
    let sent = outbox_bytes(&mut t);
    assert_eq!(
        sent,
        vec![
            (1, Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n_\r\n")),
            (
                2,
                Bytes::from_static(
                    b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
                )
            ),
        ]
    );
}

#[test]
fn a_vanished_redirect_target_breaks_the_redirect() {
    let mut t = Tracking::default();
    let (target, _) = client(2, true);
    let (mailbox, info) = client(1, true);
    t.enable(
        1,
        &mailbox,
        &info,
        2,
        Some(target.clone()),
        Options::default(),
        &[],
    );
    t.remember(1, [&key("k")]);
    target.close();
    t.invalidate(b"k", true);
    assert_eq!(
        outbox_bytes(&mut t),
        vec![(
            1,
            Bytes::from_static(b">2\r\n$21\r\ntracking-redir-broken\r\n:2\r\n")
        )]
    );
    assert!(t.info(1).unwrap().broken_redirect);
    assert!(info.lock().tracking_broken_redirect);
}

#[test]
fn the_key_limit_drops_keys_with_invalidations() {
    let mut t = Tracking::default();
    enable(&mut t, 1, true, Options::default(), &[]);
    let keys: Vec<Bytes> = (0..10).map(|i| key(&format!("k{i}"))).collect();
    t.remember(1, &keys);
    t.limit_keys(0);
    assert_eq!(t.key_count(), 10, "0 means no limit");
    t.limit_keys(4);
    assert_eq!(t.key_count(), 4);
    assert_eq!(t.take_outbox().len(), 6);
    assert_eq!(t.item_count(), 4);
}
