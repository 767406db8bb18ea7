//! MEMORY STATS, DOCTOR, MALLOC-STATS and PURGE: the server-wide side of
//! `memoryCommand` (USAGE and HELP are data commands, `cmd/memory/`).
//! The figures are Redis's `getMemoryOverheadData`, from what moat
//! measures: the counting allocator's live bytes, its peak and start-up
//! marks, the process RSS, every client's buffers, the AOF buffer, the
//! script caches and each database's tables.

use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("memory|stats", stats),
    ("memory|doctor", doctor),
    ("memory|malloc-stats", malloc_stats),
    ("memory|purge", purge),
];

/// One database's table overheads.
struct DbOverhead {
    index: usize,
    main: u64,
    expires: u64,
}

/// Redis's `struct redisMemOverhead`, for what moat has.
struct Overhead {
    peak: u64,
    total: u64,
    startup: u64,
    clients_normal: u64,
    aof_buffer: u64,
    lua_caches: u64,
    functions_caches: u64,
    dbs: Vec<DbOverhead>,
    overhead_total: u64,
    keys: u64,
    rss: u64,
    clients: usize,
    cached_scripts: usize,
    /// Memory of the EVAL and FUNCTION Lua VMs.
    lua_eval: u64,
    lua_functions: u64,
    functions: usize,
    libraries: usize,
}

impl Overhead {
    fn measure(session: &Session, ks: &mut KeyspaceLock<'_>) -> Overhead {
        let shared = &session.shared;
        let total = crate::alloc::allocated_bytes();
        let peak = crate::alloc::update_peak(total);
        // Not the engine itself: a script calling INFO or MEMORY holds it.
        let figures = shared.scripting.figures();
        let (lua_caches, functions_caches, cached_scripts) = (
            figures.scripts_bytes,
            figures.functions_bytes,
            figures.cached_scripts,
        );
        let (lua_eval, lua_functions, function_count, library_count) = (
            figures.eval_vm,
            figures.functions_vm,
            figures.functions,
            figures.libraries,
        );
        let keyspace = ks.get();
        let mut dbs = Vec::new();
        let mut keys = 0;
        for index in 0..keyspace.len() {
            let db = keyspace.db(index);
            // Redis lists only the databases that hold keys.
            if db.is_empty() {
                continue;
            }
            keys += db.len() as u64;
            let (main, expires) = db.overhead_bytes();
            dbs.push(DbOverhead {
                index,
                main: main as u64,
                expires: expires as u64,
            });
        }
        let clients_normal = crate::conn_limits::clients_memory(shared);
        let aof_buffer = shared.aof.buffered_bytes() as u64;
        let startup = crate::alloc::startup_bytes();
        let overhead_total = startup
            + clients_normal
            + aof_buffer
            + lua_caches
            + functions_caches
            + dbs.iter().map(|d| d.main + d.expires).sum::<u64>();
        Overhead {
            peak,
            total,
            startup,
            clients_normal,
            aof_buffer,
            lua_caches,
            functions_caches,
            dbs,
            overhead_total,
            keys,
            rss: crate::alloc::resident_bytes(),
            clients: shared.clients.snapshot().len(),
            cached_scripts,
            lua_eval,
            lua_functions,
            functions: function_count,
            libraries: library_count,
        }
    }

    /// The allocator's active and resident sizes as Redis fakes them
    /// without jemalloc: the RSS less the Lua VMs' memory.
    fn resident(&self) -> u64 {
        self.rss.saturating_sub(self.lua_eval + self.lua_functions)
    }

    /// `zmalloc_used - startup`, at least 1 (Redis's `net_usage`).
    fn net_usage(&self) -> u64 {
        self.total.saturating_sub(self.startup).max(1)
    }

    fn dataset(&self) -> u64 {
        self.total.saturating_sub(self.overhead_total)
    }

    /// RSS over allocated bytes (`total_frag`). Without jemalloc Redis
    /// takes the allocator's active and resident sizes to be the RSS, so
    /// this is also the allocator fragmentation.
    fn fragmentation(&self) -> f64 {
        ratio(self.rss, self.total)
    }
}

/// The `# Memory` section of INFO, in Redis 7.2's order, from the same
/// figures as MEMORY STATS. Without jemalloc Redis takes the allocator's
/// allocated bytes to be its own count and its active and resident
/// sizes to be the RSS less Lua's, which this follows.
pub(crate) fn write_info(session: &Session, ks: &mut KeyspaceLock<'_>, out: &mut String) {
    use std::fmt::Write;
    let shared = &session.shared;
    let m = Overhead::measure(session, ks);
    let (lua_eval, lua_functions) = (m.lua_eval, m.lua_functions);
    let (functions, libraries) = (m.functions, m.libraries);
    let resident = m.resident();
    let config = shared.config.read();
    let mut kv = |key: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{key}:{value}\r\n");
    };
    let human = super::server::human_bytes;
    let float = |v: f64| format!("{v:.2}");
    kv("used_memory", &m.total);
    kv("used_memory_human", &human(m.total));
    kv("used_memory_rss", &m.rss);
    kv("used_memory_rss_human", &human(m.rss));
    kv("used_memory_peak", &m.peak);
    kv("used_memory_peak_human", &human(m.peak));
    kv(
        "used_memory_peak_perc",
        &format!("{:.2}%", m.total as f32 * 100.0 / m.peak.max(1) as f32),
    );
    kv("used_memory_overhead", &m.overhead_total);
    kv("used_memory_startup", &m.startup);
    kv("used_memory_dataset", &m.dataset());
    kv(
        "used_memory_dataset_perc",
        &format!("{:.2}%", m.dataset() as f32 * 100.0 / m.net_usage() as f32),
    );
    kv("allocator_allocated", &m.total);
    kv("allocator_active", &resident);
    kv("allocator_resident", &resident);
    let system = total_system_memory();
    kv("total_system_memory", &system);
    kv("total_system_memory_human", &human(system));
    kv("used_memory_lua", &lua_eval);
    kv("used_memory_vm_eval", &lua_eval);
    kv("used_memory_lua_human", &human(lua_eval));
    kv("used_memory_scripts_eval", &m.lua_caches);
    kv("number_of_cached_scripts", &m.cached_scripts);
    kv("number_of_functions", &functions);
    kv("number_of_libraries", &libraries);
    kv("used_memory_vm_functions", &lua_functions);
    kv("used_memory_vm_total", &(lua_eval + lua_functions));
    kv(
        "used_memory_vm_total_human",
        &human(lua_eval + lua_functions),
    );
    kv("used_memory_functions", &m.functions_caches);
    let scripts = m.lua_caches + m.functions_caches;
    kv("used_memory_scripts", &scripts);
    kv("used_memory_scripts_human", &human(scripts));
    let maxmemory = shared.limits.maxmemory();
    kv("maxmemory", &maxmemory);
    kv("maxmemory_human", &human(maxmemory));
    kv(
        "maxmemory_policy",
        &config.get_text("maxmemory-policy").unwrap_or_default(),
    );
    kv("allocator_frag_ratio", &float(ratio(resident, m.total)));
    kv("allocator_frag_bytes", &(resident as i64 - m.total as i64));
    kv("allocator_rss_ratio", &float(1.0));
    kv("allocator_rss_bytes", &0);
    kv("rss_overhead_ratio", &float(ratio(m.rss, resident)));
    kv("rss_overhead_bytes", &(m.rss as i64 - resident as i64));
    kv("mem_fragmentation_ratio", &float(m.fragmentation()));
    kv("mem_fragmentation_bytes", &(m.rss as i64 - m.total as i64));
    // Nothing is left out of the comparison with maxmemory: moat has no
    // replica buffers, and counts the AOF buffer as Redis counts it.
    kv("mem_not_counted_for_evict", &0);
    kv("mem_replication_backlog", &0);
    kv("mem_total_replication_buffers", &0);
    kv("mem_clients_slaves", &0);
    kv("mem_clients_normal", &m.clients_normal);
    kv("mem_cluster_links", &0);
    kv("mem_aof_buffer", &m.aof_buffer);
    kv("mem_allocator", &"libc");
    kv("active_defrag_running", &0);
    kv("lazyfree_pending_objects", &0);
    kv("lazyfreed_objects", &0);
}

/// `MemTotal` of /proc/meminfo, in bytes (Redis's `zmalloc_get_memory_size`).
fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kib| kib * 1024)
}

/// Redis computes its ratios in `float`.
fn ratio(a: u64, b: u64) -> f64 {
    f64::from(a as f32 / b.max(1) as f32)
}

fn int(n: u64) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

fn signed(a: u64, b: u64) -> Frame {
    Frame::Integer(a as i64 - b as i64)
}

fn stats(session: &mut Session, ks: &mut KeyspaceLock<'_>, _argv: &[Bytes]) -> Frame {
    let m = Overhead::measure(session, ks);
    let head: Vec<(&'static str, Frame)> = vec![
        ("peak.allocated", int(m.peak)),
        ("total.allocated", int(m.total)),
        ("startup.allocated", int(m.startup)),
        // No replication, no cluster: nothing is kept for them.
        ("replication.backlog", int(0)),
        ("clients.slaves", int(0)),
        ("clients.normal", int(m.clients_normal)),
        ("cluster.links", int(0)),
        ("aof.buffer", int(m.aof_buffer)),
        ("lua.caches", int(m.lua_caches)),
        ("functions.caches", int(m.functions_caches)),
    ];
    let named = |(k, v): (&'static str, Frame)| (Frame::bulk(k), v);
    let mut map: Vec<(Frame, Frame)> = head.into_iter().map(named).collect();
    for db in &m.dbs {
        map.push((
            Frame::Bulk(Bytes::from(format!("db.{}", db.index))),
            Frame::Map(vec![
                (Frame::bulk("overhead.hashtable.main"), int(db.main)),
                (Frame::bulk("overhead.hashtable.expires"), int(db.expires)),
            ]),
        ));
    }
    let net = m.net_usage();
    let per_key = net.checked_div(m.keys).unwrap_or(0);
    let tail: Vec<(&'static str, Frame)> = vec![
        ("overhead.total", int(m.overhead_total)),
        ("keys.count", int(m.keys)),
        ("keys.bytes-per-key", int(per_key)),
        ("dataset.bytes", int(m.dataset())),
        (
            "dataset.percentage",
            Frame::Double(f64::from(m.dataset() as f32 * 100.0 / net as f32)),
        ),
        (
            "peak.percentage",
            Frame::Double(f64::from(m.total as f32 * 100.0 / m.peak.max(1) as f32)),
        ),
        ("allocator.allocated", int(m.total)),
        ("allocator.active", int(m.resident())),
        ("allocator.resident", int(m.resident())),
        (
            "allocator-fragmentation.ratio",
            Frame::Double(ratio(m.resident(), m.total)),
        ),
        (
            "allocator-fragmentation.bytes",
            signed(m.resident(), m.total),
        ),
        ("allocator-rss.ratio", Frame::Double(1.0)),
        ("allocator-rss.bytes", int(0)),
        (
            "rss-overhead.ratio",
            Frame::Double(ratio(m.rss, m.resident())),
        ),
        ("rss-overhead.bytes", signed(m.rss, m.resident())),
        ("fragmentation", Frame::Double(m.fragmentation())),
        ("fragmentation.bytes", signed(m.rss, m.total)),
    ];
    map.extend(tail.into_iter().map(named));
    Frame::Map(map)
}

/// `getMemoryDoctorReport`, with the checks that apply to moat (no
/// replicas; the allocator ratios are those of the RSS, see
/// [`Overhead::fragmentation`]).
fn doctor_report(m: &Overhead) -> String {
    if m.total < 5 * 1024 * 1024 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues \
                detector can't be used in these conditions. Please, leave for your mission on \
                Earth and fill it with some data. The new Sam and I will be back to our \
                programming as soon as I finished rebooting.\n"
            .to_string();
    }
    let big_peak = m.peak as f32 / m.total as f32 > 1.5;
    let high_frag = m.fragmentation() > 1.4 && m.rss.saturating_sub(m.total) > 10 << 20;
    let big_client_buf = m.clients_normal / (m.clients.max(1) as u64) > 1024 * 200;
    let many_scripts = m.cached_scripts > 1000;
    let mut reports = Vec::new();
    if big_peak {
        reports.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n".to_string());
    }
    if high_frag {
        reports.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n".to_string());
    }
    if big_client_buf {
        reports.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n".to_string());
    }
    if many_scripts {
        reports.push(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n".to_string());
    }
    if reports.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for \
                what occurs on this base.\n"
            .to_string();
    }
    let mut s =
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n".to_string();
    for r in reports {
        s.push_str(&r);
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

fn doctor(session: &mut Session, ks: &mut KeyspaceLock<'_>, _argv: &[Bytes]) -> Frame {
    let m = Overhead::measure(session, ks);
    Frame::Verbatim {
        format: *b"txt",
        text: Bytes::from(doctor_report(&m)),
    }
}

/// What Redis built without jemalloc answers: the system allocator has
/// no statistics report.
fn malloc_stats(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    Frame::bulk("Stats not supported for the current allocator")
}

fn purge(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    crate::alloc::purge();
    Frame::ok()
}
