//! Pub/Sub fan-out benchmark: many pattern and channel subscribers, a few
//! pipelining publishers, messages counted where they arrive.
//!
//! `cargo run --release -p moat-testkit --example pubsub_bench -- <port> [seconds]`
//!
//! It connects `PATTERN_SUBSCRIBERS` clients that PSUBSCRIBE one pattern
//! each (taken in turn from [`PATTERNS`]: prefixes, suffixes, classes and
//! `*`-heavy ones that backtrack) and `CHANNEL_SUBSCRIBERS` that SUBSCRIBE
//! one channel each, then `PUBLISHERS` clients publish for `seconds`
//! (default 5), each keeping `PIPELINE` PUBLISH commands in flight over
//! [`CHANNELS`] (a new one sent for each reply). The default of 256 is
//! enough that neither server waits for commands: each is busy for a
//! similar share of the window (with 32, the wall-time ratio measured
//! round trips more than servers).
//!
//! It prints `metric,value` lines: PUBLISH commands answered per second,
//! messages received by subscribers per second (both within the window),
//! how many deliveries the PUBLISH replies promised and how many
//! subscribers received after draining (they must agree, or messages were
//! lost), and subscribers that the server disconnected.
//!
//! The subscribers run on one thread (a current-thread tokio runtime) and
//! only skip RESP frames with a few integer parses, the publishers on a
//! second one; both on one core outpace one core of server.
//! scripts/bench_pubsub.sh runs it against redis-server and moat-server
//! and prints the ratios. Counts are totals for the configured number of
//! clients, which can be changed with the environment
//! (`PATTERN_SUBSCRIBERS`, `CHANNEL_SUBSCRIBERS`, `PUBLISHERS`,
//! `PIPELINE`, `PAYLOAD`).

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Patterns of the pattern subscribers, one each, in turn.
const PATTERNS: &[&str] = &[
    "news.*",
    "news.sports.*",
    "news.*.eu",
    "*.weather.*",
    "*",
    "*a*e*",
    "n?ws.*",
    "[nw]*.*",
    "stock.*",
    "stock.[a-m]*",
    "*.*.*",
    "*x*y*z*",
    "chat.room?",
    "*.eu",
    "news.sports.football",
    "*o*o*o*o*",
    "s*k.*",
    "[^s]*",
    "chat.*",
    "*1",
];

/// Channels the publishers publish to, in turn (channel subscribers
/// listen to the first ones).
const CHANNELS: &[&str] = &[
    "news.sports.eu",
    "news.weather.us",
    "news.sports.football",
    "stock.apple",
    "stock.zinc",
    "chat.room1",
    "chat.lobby",
    "weather.eu",
    "news.politics.eu",
    "misc",
];

fn env_number(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Ok(text) => text.parse().map_err(|_| format!("{name}: not a number")),
        Err(_) => Ok(default),
    }
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pubsub_bench: {error}");
            return ExitCode::from(2);
        }
    };
    let local = tokio::task::LocalSet::new();
    match local.block_on(&runtime, run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pubsub_bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn command(args: &[&[u8]]) -> Vec<u8> {
    moat_testkit::encode_command(args)
}

/// Shared between the tasks of the one thread.
#[derive(Default)]
struct Counters {
    received: Cell<u64>,
    subscribed: Cell<usize>,
    disconnected: Cell<usize>,
    stop_reading: Cell<bool>,
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: pubsub_bench <port> [seconds]";
    let port: u16 = args.next().ok_or(usage)?.parse().map_err(|_| usage)?;
    let seconds: f64 = match args.next() {
        Some(n) => n.parse().map_err(|_| usage)?,
        None => 5.0,
    };
    let pattern_subscribers = env_number("PATTERN_SUBSCRIBERS", 1000)?;
    let channel_subscribers = env_number("CHANNEL_SUBSCRIBERS", 100)?;
    let publishers = env_number("PUBLISHERS", 10)?;
    let pipeline = env_number("PIPELINE", 256)?.max(1);
    let payload = "p".repeat(env_number("PAYLOAD", 16)?);

    let counters = Rc::new(Counters::default());
    let subscriptions = (0..pattern_subscribers)
        .map(|i| ("PSUBSCRIBE", PATTERNS[i % PATTERNS.len()]))
        .chain((0..channel_subscribers).map(|i| ("SUBSCRIBE", CHANNELS[i % 4])));
    let mut handles = Vec::new();
    for (verb, name) in subscriptions {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connecting a subscriber: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .write_all(&command(&[verb.as_bytes(), name.as_bytes()]))
            .await
            .map_err(|e| e.to_string())?;
        handles.push(tokio::task::spawn_local(subscriber(
            stream,
            counters.clone(),
        )));
    }
    let total_subscribers = handles.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while counters.subscribed.get() < total_subscribers {
        if Instant::now() > deadline {
            return Err("subscribers did not all get their confirmation".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let window = Duration::from_secs_f64(seconds);
    let received_before = counters.received.get();
    let started = Instant::now();
    let stop_at = started + window;
    // The publishers run on a thread of their own: behind a thousand
    // subscriber reads on this one, their replies would wait, and the
    // server would wait for their next commands.
    let publishing = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(publish_all(port, publishers, pipeline, payload, stop_at))
    });
    while !publishing.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (published, promised) = publishing
        .join()
        .map_err(|_| "the publishers' thread panicked".to_string())??;
    let elapsed = started.elapsed().as_secs_f64();
    let received_in_window = counters.received.get() - received_before;
    // Drain: whatever was promised and is still on its way.
    let drain_deadline = Instant::now() + Duration::from_secs(20);
    let mut last = counters.received.get();
    let mut last_change = Instant::now();
    while counters.received.get() - received_before < promised
        && Instant::now() < drain_deadline
        && last_change.elapsed() < Duration::from_secs(3)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if counters.received.get() != last {
            last = counters.received.get();
            last_change = Instant::now();
        }
    }
    let received_total = counters.received.get() - received_before;
    counters.stop_reading.set(true);
    for handle in handles {
        handle.abort();
    }

    println!("metric,value");
    println!("published_per_sec,{:.0}", published as f64 / elapsed);
    println!(
        "delivered_per_sec,{:.0}",
        received_in_window as f64 / elapsed
    );
    println!("published,{published}");
    println!("promised_deliveries,{promised}");
    println!("received_deliveries,{received_total}");
    println!("disconnected_subscribers,{}", counters.disconnected.get());
    Ok(())
}

/// Runs the publishers until `stop_at`; returns the PUBLISH commands
/// answered and the sum of their receiver counts.
async fn publish_all(
    port: u16,
    publishers: usize,
    pipeline: usize,
    payload: String,
    stop_at: Instant,
) -> Result<(u64, u64), String> {
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connecting a publisher: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        // Each publisher starts at its own channel.
        let commands: Vec<Vec<u8>> = (0..CHANNELS.len())
            .map(|i| {
                let channel = CHANNELS[(p + i) % CHANNELS.len()];
                command(&[b"PUBLISH", channel.as_bytes(), payload.as_bytes()])
            })
            .collect();
        tasks.push(tokio::spawn(publisher(stream, commands, pipeline, stop_at)));
    }
    let (mut published, mut promised) = (0, 0);
    for task in tasks {
        let (n, receivers) = task.await.map_err(|e| e.to_string())??;
        published += n;
        promised += receivers;
    }
    Ok((published, promised))
}

/// Keeps `pipeline` PUBLISH commands in flight until `stop_at` (each
/// reply read is replaced by a new command at once), cycling through
/// `commands`; returns the commands answered and the sum of their
/// receiver counts.
async fn publisher(
    mut stream: TcpStream,
    commands: Vec<Vec<u8>>,
    pipeline: usize,
    stop_at: Instant,
) -> Result<(u64, u64), String> {
    let mut next = 0;
    let mut outgoing = Vec::new();
    let mut send = |count: usize, outgoing: &mut Vec<u8>| {
        outgoing.clear();
        for _ in 0..count {
            outgoing.extend_from_slice(&commands[next % commands.len()]);
            next += 1;
        }
    };
    let mut buffer = Vec::with_capacity(64 * 1024);
    let (mut answered, mut receivers) = (0u64, 0u64);
    let mut in_flight = pipeline;
    send(pipeline, &mut outgoing);
    stream
        .write_all(&outgoing)
        .await
        .map_err(|e| e.to_string())?;
    while in_flight > 0 {
        let n = stream
            .read_buf(&mut buffer)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("publisher connection closed".into());
        }
        let mut at = 0;
        let mut replies = 0;
        while let Some((value, length)) = integer_reply(&buffer[at..])? {
            receivers += value;
            replies += 1;
            at += length;
        }
        buffer.drain(..at);
        answered += replies as u64;
        in_flight -= replies;
        if replies > 0 && Instant::now() < stop_at {
            send(replies, &mut outgoing);
            stream
                .write_all(&outgoing)
                .await
                .map_err(|e| e.to_string())?;
            in_flight += replies;
        }
    }
    Ok((answered, receivers))
}

/// One `:<n>\r\n` reply at the start of `data`: its value and length.
fn integer_reply(data: &[u8]) -> Result<Option<(u64, usize)>, String> {
    let Some(end) = data.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    if data[0] != b':' || end < 2 {
        return Err(format!(
            "unexpected PUBLISH reply {:?}",
            String::from_utf8_lossy(&data[..end])
        ));
    }
    let value = std::str::from_utf8(&data[1..end - 1])
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or("bad integer reply")?;
    Ok(Some((value, end + 1)))
}

/// Reads frames until the connection ends, counting all but the first
/// (the subscription's confirmation).
async fn subscriber(mut stream: TcpStream, counters: Rc<Counters>) {
    let mut buffer: Vec<u8> = Vec::with_capacity(256 * 1024);
    let mut confirmed = false;
    loop {
        if buffer.capacity() - buffer.len() < 64 * 1024 {
            buffer.reserve(64 * 1024);
        }
        match stream.read_buf(&mut buffer).await {
            Ok(0) | Err(_) => {
                if !counters.stop_reading.get() {
                    counters.disconnected.set(counters.disconnected.get() + 1);
                }
                return;
            }
            Ok(_) => {}
        }
        let mut at = 0;
        let mut frames = 0u64;
        while let Some(length) = frame_length(&buffer[at..]) {
            at += length;
            frames += 1;
        }
        buffer.drain(..at);
        if !confirmed && frames > 0 {
            confirmed = true;
            frames -= 1;
            counters.subscribed.set(counters.subscribed.get() + 1);
        }
        counters.received.set(counters.received.get() + frames);
    }
}

/// The length of the complete `*n` or `>n` frame of bulk strings and
/// integers at the start of `data`, or None if it is not complete. Skips
/// without copying: all a subscriber needs is the count.
fn frame_length(data: &[u8]) -> Option<usize> {
    let (count, mut at) = header(data)?;
    for _ in 0..count {
        let (length, after) = header(&data[at..])?;
        at += after;
        if data[at - after] == b'$' {
            at += length + 2;
            if at > data.len() {
                return None;
            }
        }
    }
    Some(at)
}

/// `<type><digits>\r\n`: the number and the header's length.
fn header(data: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut at = 1;
    while at < data.len() {
        match data[at] {
            b'\r' => return (at + 1 < data.len()).then_some((value, at + 2)),
            digit @ b'0'..=b'9' => value = value * 10 + (digit - b'0') as usize,
            _ => {}
        }
        at += 1;
    }
    None
}
