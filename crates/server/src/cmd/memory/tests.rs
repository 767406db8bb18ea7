use crate::cmd::reply::testing::Harness;
use moat_resp::Frame;

fn usage(h: &mut Harness, line: &str) -> i64 {
    match h.run(line) {
        Frame::Integer(n) => n,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn usage_grows_with_every_kind_of_value() {
    let mut h = Harness::new();
    let mut last = 0;
    for n in [10, 100, 1000, 10_000] {
        h.run(&format!("set s {}", "x".repeat(n)));
        let now = usage(&mut h, "memory usage s");
        assert!(now > last && now as usize > n, "string of {n}: {now}");
        last = now;
    }
    for (grow, key) in [
        ("rpush l", "l"),
        ("sadd set", "set"),
        ("hset h f", "h"),
        ("zadd z 1", "z"),
        ("xadd x *", "x"),
    ] {
        let mut last = 0;
        for round in 0..4 {
            for i in 0..300 {
                let member = format!("element-{round}-{i}-padding-past-inline-size");
                let line = match key {
                    "h" => format!("hset h f{round}-{i} {member}"),
                    "z" => format!("zadd z {i} {member}"),
                    "x" => format!("xadd x * f {member}"),
                    _ => format!("{grow} {member}"),
                };
                h.run(&line);
            }
            let now = usage(&mut h, &format!("memory usage {key} samples 0"));
            assert!(now > last, "{key} round {round}: {now} <= {last}");
            last = now;
        }
        // 1200 elements of at least 36 bytes each.
        assert!(last > 1200 * 36, "{key}: {last}");
    }
}

#[test]
fn samples_and_errors() {
    let mut h = Harness::new();
    h.run("set k v");
    assert!(usage(&mut h, "memory usage k") > 0);
    assert_eq!(h.run("memory usage nosuch"), Frame::Null);
    let syntax = Frame::error("ERR syntax error");
    assert_eq!(h.run("memory usage k samples -1"), syntax);
    assert_eq!(h.run("memory usage k samples"), syntax);
    assert_eq!(h.run("memory usage k bogus 1"), syntax);
    assert_eq!(
        h.run("memory usage k samples x"),
        Frame::error("ERR value is not an integer or out of range")
    );
    // A set whose members differ in size: sampling the first few
    // estimates, 0 sizes them all.
    for i in 0..200 {
        let member = if i < 5 {
            "s".repeat(30) + &i.to_string()
        } else {
            "l".repeat(300) + &i.to_string()
        };
        h.run(&format!("sadd big {member}"));
    }
    let all = usage(&mut h, "memory usage big samples 0");
    assert_eq!(usage(&mut h, "memory usage big samples 100000"), all);
    assert!(all > 200 * 300);
}
