//! Differential test: every default moat reports for CONFIG GET equals the
//! reference redis-server's.
//!
//! The reference on this machine is Redis 7.0.15 while moat follows 7.2;
//! the known differences are listed in [`ONLY_IN_7_2`] and
//! [`DIFFERENT_DEFAULTS`]. When `/usr/bin/redis-server` is missing the
//! test prints a skip notice, unless `MOAT_REQUIRE_REFERENCE=1` makes it
//! fail.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use moat_config::Config;

const REFERENCE: &str = "/usr/bin/redis-server";

use moat_testkit::accepted_differences::{
    CONFIG_DIFFERENT_DEFAULTS as DIFFERENT_DEFAULTS, CONFIG_ONLY_IN_7_2 as ONLY_IN_7_2,
};

/// Kills the reference server when the test ends, even on failure.
struct Reference(Child);

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn defaults_equal_the_reference_server() {
    if !Path::new(REFERENCE).exists() {
        assert!(
            std::env::var("MOAT_REQUIRE_REFERENCE").as_deref() != Ok("1"),
            "MOAT_REQUIRE_REFERENCE=1 but {REFERENCE} is missing"
        );
        eprintln!("skipping: {REFERENCE} not found (set MOAT_REQUIRE_REFERENCE=1 to require it)");
        return;
    }
    let reference = reference_config();
    let ours: BTreeMap<String, String> = Config::default()
        .get(&[Bytes::from_static(b"*")])
        .into_iter()
        .collect();

    let mut problems = Vec::new();
    for (name, value) in &reference {
        if DIFFERENT_DEFAULTS.iter().any(|(n, _)| n == name) {
            continue;
        }
        match ours.get(name) {
            None => problems.push(format!("{name}: missing in moat (reference: {value:?})")),
            Some(mine) if mine != value => {
                problems.push(format!("{name}: moat {mine:?}, reference {value:?}"))
            }
            Some(_) => {}
        }
    }
    for name in ours.keys() {
        if !reference.contains_key(name)
            && !DIFFERENT_DEFAULTS.iter().any(|(n, _)| n == name)
            && !ONLY_IN_7_2.iter().any(|(n, _)| n == name)
        {
            problems.push(format!("{name}: only in moat and not a known 7.2 addition"));
        }
    }
    assert!(
        problems.is_empty(),
        "default mismatches:\n{}",
        problems.join("\n")
    );
}

/// Starts the reference with its built-in defaults (no config file) and
/// returns its `CONFIG GET *`.
fn reference_config() -> BTreeMap<String, String> {
    let workdir = tempfile::tempdir().unwrap();
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let child = Command::new(REFERENCE)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .current_dir(workdir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Reference(child);
    let mut stream = connect(port);
    stream
        .write_all(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let items = read_array_of_bulks(&mut reader);
    items
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

/// Waits (a bounded number of attempts) for the server to listen.
fn connect(port: u16) -> TcpStream {
    for _ in 0..200 {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            return stream;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("reference server did not start on port {port}");
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line.trim_end_matches("\r\n").to_owned()
}

fn read_array_of_bulks(reader: &mut impl BufRead) -> Vec<String> {
    let header = read_line(reader);
    let count: usize = header
        .strip_prefix('*')
        .and_then(|n| n.parse().ok())
        .expect("array reply");
    (0..count)
        .map(|_| {
            let len: usize = read_line(reader)
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .expect("bulk");
            let mut buf = vec![0; len + 2];
            std::io::Read::read_exact(reader, &mut buf).unwrap();
            String::from_utf8_lossy(&buf[..len]).into_owned()
        })
        .collect()
}
