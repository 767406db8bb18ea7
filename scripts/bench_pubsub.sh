#!/usr/bin/env bash
# Pub/Sub fan-out of moat-server relative to redis-server on this machine.
#
# Both servers run at the same time with persistence off; the one being
# measured is pinned to one core and the load generator
# (crates/testkit/examples/pubsub_bench.rs: 1000 pattern subscribers, 100
# channel subscribers, 10 pipelining publishers) to the other, so it never
# takes the server's CPU. Each server is measured ROUNDS times,
# alternating, on core 0 in odd rounds and core 1 in even ones (other work
# on the machine may favour a core), and the best round of each is kept. The machine is shared, so besides messages per second of wall
# time the table shows messages per second of the server's own CPU time
# (user + system, from /proc), which other work on the machine disturbs
# much less. Ratios are moat/redis: 1.00 means as fast as Redis.
#
#   scripts/bench_pubsub.sh                 # 5 s windows, 3 rounds
#   SECONDS_PER_RUN=10 ROUNDS=5 scripts/bench_pubsub.sh
#   PATTERN_SUBSCRIBERS=200 PIPELINE=32 scripts/bench_pubsub.sh
#   MOAT_ONLY=1 scripts/bench_pubsub.sh     # moat alone (for perf record)
#   MOAT_BIN=/path/to/moat-server scripts/bench_pubsub.sh   # another build
#   BASE_BIN=/path/to/older/moat-server scripts/bench_pubsub.sh
#                                 # also measures an older build, same rounds
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-3}
MOAT_ONLY=${MOAT_ONLY:-0}

source scripts/lib.sh
bench_init bench_pubsub.sh
need redis-server redis-cli taskset
moat_binary -p moat-testkit --example pubsub_bench
generator="$target_dir/release/examples/pubsub_bench"

# start <core> <name> <binary>: a server with persistence off.
start() {
    start_server "$2" "$1" "$3" --save '' --appendonly no
}

# The generator opens more than a thousand sockets.
ulimit -n 8192 2>/dev/null || true

moat_port=$(start 1 moat "$moat_bin")
if [ -n "${BASE_BIN:-}" ]; then
    base_port=$(start 0 base "$BASE_BIN")
fi
if [ "$MOAT_ONLY" != 1 ]; then
    redis_port=$(start 0 redis "$(command -v redis-server)")
fi

# CPU time of a process in clock ticks (utime + stime, all threads).
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# measure <name> <port> <server core> <round>
measure() {
    local pid before after field published delivered promised received lost cpu
    pid=$(server_pid "$1")
    taskset -a -p -c "$3" "$pid" >/dev/null
    before=$(cpu_ticks "$pid")
    taskset -c "$((1 - $3))" "$generator" "$2" "$SECONDS_PER_RUN" >"$workdir/$1-$4.csv"
    after=$(cpu_ticks "$pid")
    field() { awk -F, -v name="$1" '$1 == name { print $2 }' "$2"; }
    published=$(field published_per_sec "$workdir/$1-$4.csv")
    delivered=$(field delivered_per_sec "$workdir/$1-$4.csv")
    promised=$(field promised_deliveries "$workdir/$1-$4.csv")
    received=$(field received_deliveries "$workdir/$1-$4.csv")
    lost=$(field disconnected_subscribers "$workdir/$1-$4.csv")
    # Deliveries per second of server CPU, the drain after the window included.
    cpu=$(awk -v r="$received" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }')
    printf '%-6s round %d, core %d: %8s published/s %10s delivered/s %10s delivered/cpu-s  (promised %s, received %s, disconnected %s)\n' \
        "$1" "$4" "$3" "$published" "$delivered" "$cpu" "$promised" "$received" "$lost"
    if [ "$promised" != "$received" ] || [ "$lost" != 0 ]; then
        echo "bench_pubsub.sh: $1 lost messages or subscribers" >&2
        exit 1
    fi
    echo "$published,$delivered,$cpu" >>"$workdir/$1.rounds"
}

for round in $(seq "$ROUNDS"); do
    core=$(((round + 1) % 2))
    if [ "$MOAT_ONLY" != 1 ]; then
        measure redis "$redis_port" "$core" "$round"
    fi
    measure moat "$moat_port" "$core" "$round"
    if [ -n "${BASE_BIN:-}" ]; then
        measure base "$base_port" "$core" "$round"
    fi
done

[ "$MOAT_ONLY" = 1 ] && exit 0

echo
# table <title> <rounds file> <rounds file>: best of each, second/first.
table() {
    printf '%-22s %14s %14s %8s\n' "$1" "$(basename "$2" .rounds)" "$(basename "$3" .rounds)" ratio
    awk -F, '
        FNR == 1 { server++ }
        {
            for (i = 1; i <= 3; i++) if ($i > best[server, i]) best[server, i] = $i
        }
        END {
            split("published msgs/s|delivered msgs/s|delivered msgs/cpu-s", names, "|")
            for (i = 1; i <= 3; i++) {
                a = best[1, i]; b = best[2, i]
                printf "%-22s %14.0f %14.0f %8.2f\n", names[i], a, b, (a > 0 ? b / a : 0)
            }
        }' "$2" "$3"
}
table "best of $ROUNDS" "$workdir/redis.rounds" "$workdir/moat.rounds"
if [ -n "${BASE_BIN:-}" ]; then
    echo
    table "best of $ROUNDS" "$workdir/redis.rounds" "$workdir/base.rounds"
    echo
    table "best of $ROUNDS" "$workdir/base.rounds" "$workdir/moat.rounds"
fi
