#!/usr/bin/env bash
# Throughput of moat-server relative to redis-server on this machine.
#
# Both servers run at the same time, pinned to the same core (SERVER_CORE)
# with persistence off, and are benchmarked in turn, so the one measured
# has that core to itself; redis-benchmark runs pinned to the other cores
# (CLIENT_CORES), with one thread per core when there are several. After a
# warm-up, each test (PING, SET, GET at pipeline 1 and 16) runs REPEAT
# times per server, back to back and in alternating order, so drift on a
# shared machine hits both alike. Ratios are moat/redis per pair of runs:
# 1.00 means as fast as Redis; the median and the range over the
# repetitions are printed. A second table divides the requests by the CPU
# time each server used for them (its threads' scheduler time).
#
# On a machine with two cores the client has one, and at pipeline 16 it
# saturates before either server does: both servers then see the same
# traffic (the same segments, reads and writes per request) and the
# requests/s ratio is 1.00 give or take the noise of the run. There the
# second table is the one that tells the servers apart. With three cores
# or more the client gets two or more and the servers are the bottleneck.
#
# The ACL part (crates/testkit/examples/acl_bench.rs) uses one connection
# pipelining batches of 1000 GETs, as different users, and prints for each
# server the cost of its ACL checks as throughput ratios against the
# default user (which needs no key or command check), with moat's targets.
#
#   scripts/bench.sh            # defaults below
#   REPEAT=9 REQUESTS_P1=200000 scripts/bench.sh
#   CORE_ONLY=1 scripts/bench.sh                 # redis-benchmark part only
#   MOAT_BIN=/path/to/moat-server CORE_ONLY=1 scripts/bench.sh   # another build
#
# The machine may be shared: the benchmark runs in a session of its own,
# which Linux schedules as one group (autogroup) against other sessions,
# and raises that group's priority by BENCH_NICE (default -20; needs root,
# 0 leaves it alone) for the minutes it runs, so that the servers and the
# client are not starved by other work.
#   ACL_ONLY=1 ACL_COMMANDS=100000 ACL_ROUNDS=3 scripts/bench.sh
#
# ACL_INSTRUCTIONS=1 measures the same ACL scenarios on moat alone as
# user-space instructions per command, counted by valgrind's callgrind
# (no hardware counters needed): the same answer on a busy machine as on
# an idle one, which throughput on a shared machine is not. Kernel and
# client time are not in it, so these ratios are lower than the
# throughput ratios.
#
#   ACL_INSTRUCTIONS=1 ACL_COMMANDS=50000 scripts/bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BENCH_NICE=${BENCH_NICE:--20}
if [ -z "${BENCH_IN_SESSION:-}" ] && command -v setsid >/dev/null; then
    BENCH_IN_SESSION=1 exec setsid --wait "$0" "$@"
fi
# Requests per run: about two seconds each at this machine's rates.
REQUESTS_P1=${REQUESTS_P1:-${REQUESTS:-100000}}
REQUESTS_P16=${REQUESTS_P16:-${REQUESTS:-1000000}}
CLIENTS=${CLIENTS:-50}
REPEAT=${REPEAT:-5}
CORE_ONLY=${CORE_ONLY:-0}
cores=$(nproc)
SERVER_CORE=${SERVER_CORE:-$((cores - 1))}
# Every core but the server's, unless told otherwise (CLIENT_CORE is the
# older name).
if [ "$cores" -ge 3 ]; then
    default_client_cores="0-$((cores - 2))"
else
    default_client_cores=0
fi
CLIENT_CORES=${CLIENT_CORES:-${CLIENT_CORE:-$default_client_cores}}
CLIENT_THREADS=${CLIENT_THREADS:-$(taskset -c "$CLIENT_CORES" nproc 2>/dev/null || echo 1)}
ACL_COMMANDS=${ACL_COMMANDS:-200000}
ACL_ROUNDS=${ACL_ROUNDS:-3}
ACL_ONLY=${ACL_ONLY:-0}
ACL_INSTRUCTIONS=${ACL_INSTRUCTIONS:-0}

source scripts/lib.sh
bench_init bench.sh
need redis-server redis-benchmark redis-cli taskset

if [ "$CORE_ONLY" = 1 ]; then
    moat_binary
else
    moat_binary -p moat-testkit --example acl_bench
fi
# After the build: only the measurement runs with the raised priority.
if [ -n "${BENCH_IN_SESSION:-}" ] && [ "$BENCH_NICE" != 0 ]; then
    echo "$BENCH_NICE" 2>/dev/null >/proc/self/autogroup || true
fi
acl_bench="$target_dir/release/examples/acl_bench"

# start <core> <name> <binary>: a server with persistence off.
start() {
    start_server "$2" "$1" "$3" --save '' --appendonly no
}

# The ACL rows: <ratio name>|<baseline scenario>|<moat's target>.
acl_rows="acl user|default user|0.97;100 patterns|default user|0.90;1000 patterns|default user|0.85;denied command|acl user|0.70;denied key|acl user|0.70"

if [ "$ACL_INSTRUCTIONS" = 1 ]; then
    for tool in valgrind callgrind_control; do
        command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found" >&2; exit 1; }
    done
    port=$(free_port)
    mkdir -p "$workdir/moat"
    # Instrumentation starts off: start-up and user creation are not counted.
    (cd "$workdir" && exec valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$workdir/callgrind.out" \
        "$moat_bin" --port "$port" --bind 127.0.0.1 --dir "$workdir/moat" \
        --save '' --appendonly no) >"$workdir/moat.log" 2>&1 &
    valgrind_pid=$!
    echo "$valgrind_pid" >"$workdir/moat.pid"
    for _ in $(seq 300); do
        redis-cli -p "$port" PING >/dev/null 2>&1 && break
        sleep 0.2
    done
    ACL_BENCH_ONLY=setup "$acl_bench" "$port" 1 1 >/dev/null
    callgrind_control -i on "$valgrind_pid" >/dev/null
    echo
    echo "ACL cost in instructions per command (moat, user space, $ACL_COMMANDS GETs per scenario)"
    : >"$workdir/moat-instructions.csv"
    for scenario in "default user" "acl user" "100 patterns" "1000 patterns" "denied key" "denied command"; do
        # A warm-up run, then the counted one.
        ACL_BENCH_SETUP=0 ACL_BENCH_ONLY="$scenario" "$acl_bench" "$port" 2000 1 >/dev/null
        callgrind_control -z "$valgrind_pid" >/dev/null
        ACL_BENCH_SETUP=0 ACL_BENCH_ONLY="$scenario" "$acl_bench" "$port" "$ACL_COMMANDS" 1 >/dev/null
        callgrind_control --dump="$scenario" "$valgrind_pid" >/dev/null
        # The dump is written by the server's next scheduling point.
        dump=
        for _ in $(seq 600); do
            dump=$(grep -ls "^desc: Trigger: dump $scenario\$" "$workdir"/callgrind.out.* | tail -n 1 || true)
            [ -n "$dump" ] && grep -q '^summary: ' "$dump" && break
            dump=
            sleep 0.1
        done
        [ -n "$dump" ] || { echo "bench.sh: no callgrind dump for $scenario" >&2; exit 1; }
        total=$(sed -n 's/^summary: //p' "$dump")
        printf '%s,%s\n' "$scenario" "$((total / ACL_COMMANDS))" >>"$workdir/moat-instructions.csv"
    done
    printf '%-22s %14s\n' scenario instructions
    awk -F, '{ printf "%-22s %14d\n", $1, $2 }' "$workdir/moat-instructions.csv"
    echo
    printf '%-34s %8s %8s\n' ratio target moat
    awk -F, -v rows="$acl_rows" '
        { cost[$1] = $2 }
        END {
            split(rows, list, ";")
            for (r = 1; r in list; r++) {
                split(list[r], f, "|")
                # Fewer instructions is faster: the ratio is baseline / scenario.
                ratio = cost[f[1]] > 0 ? cost[f[2]] / cost[f[1]] : 0
                printf "%-34s %8s %8.3f\n", f[1] " / " f[2], ">=" f[3], ratio
            }
        }' "$workdir/moat-instructions.csv"
    exit 0
fi

redis_port=$(start "$SERVER_CORE" redis "$(command -v redis-server)")
moat_port=$(start "$SERVER_CORE" moat "$moat_bin")

# run <port> <pipeline> <test> <requests>: requests per second.
run() {
    local threads=()
    [ "$CLIENT_THREADS" -le 1 ] || threads=(--threads "$CLIENT_THREADS")
    taskset -c "$CLIENT_CORES" redis-benchmark -p "$1" -P "$2" -t "$3" -n "$4" -c "$CLIENTS" \
        "${threads[@]}" -q --csv \
        | tail -n +2 | cut -d, -f2 | tr -d '"'
}

# measure <name> <port> <pipeline> <test> <requests>: sets <name>_rps
# (requests per second) and <name>_cpu (requests per second of the
# server's own CPU time).
measure() {
    local pid before after rps
    pid=$(server_pid "$1")
    before=$(cpu_ns "$pid")
    rps=$(run "$2" "$3" "$4" "$5")
    after=$(cpu_ns "$pid")
    printf -v "$1_rps" '%s' "$rps"
    printf -v "$1_cpu" '%s' "$(awk -v n="$5" -v t="$((after - before))" 'BEGIN { printf "%.0f", (t > 0 ? n * 1e9 / t : 0) }')"
}

if [ "$ACL_ONLY" != 1 ]; then
    echo "servers on core $SERVER_CORE, redis-benchmark on cores $CLIENT_CORES ($CLIENT_THREADS threads)," \
        "$CLIENTS clients, $REPEAT runs per test"
    # Warm-up: connections, allocator, the key GET reads, CPU frequency.
    for port in "$redis_port" "$moat_port"; do
        for test in ping_mbulk set get; do
            run "$port" 16 "$test" 200000 >/dev/null
            run "$port" 1 "$test" 20000 >/dev/null
        done
    done
    : >"$workdir/runs.csv"
    : >"$workdir/cpu.csv"
    for rep in $(seq "$REPEAT"); do
        for pipeline in 1 16; do
            requests=$REQUESTS_P1
            [ "$pipeline" = 1 ] || requests=$REQUESTS_P16
            for test in ping_mbulk set get; do
                if [ $((rep % 2)) = 1 ]; then
                    measure redis "$redis_port" "$pipeline" "$test" "$requests"
                    measure moat "$moat_port" "$pipeline" "$test" "$requests"
                else
                    measure moat "$moat_port" "$pipeline" "$test" "$requests"
                    measure redis "$redis_port" "$pipeline" "$test" "$requests"
                fi
                echo "$pipeline/$test,$redis_rps,$moat_rps" >>"$workdir/runs.csv"
                echo "$pipeline/$test,$redis_cpu,$moat_cpu" >>"$workdir/cpu.csv"
            done
        done
    done
    table() { # <title> <csv>
        echo
        echo "$1 (medians; ratio: median and range of moat/redis per pair)"
        printf '%-4s %-12s %12s %12s %8s %14s\n' P test redis moat ratio range
        for pipeline in 1 16; do
            for test in ping_mbulk set get; do
                printf '%-4s %-12s %s\n' "P$pipeline" "$test" "$(pair_summary "$2" "$pipeline/$test")"
            done
        done
    }
    table "redis-benchmark, requests/s" "$workdir/runs.csv"
    # When the client's cores are the bottleneck (pipeline 16 on two
    # cores), requests/s measure the client, and the server's efficiency
    # shows in its CPU time instead.
    table "requests per second of server CPU time" "$workdir/cpu.csv"
fi

[ "$CORE_ONLY" = 1 ] && exit 0

ratio_table() { # <title> <redis csv file> <moat csv file>
    echo
    echo "$1"
    printf '%-22s %14s %14s %8s\n' test redis moat ratio
    awk -F, 'NR == FNR { redis[$1] = $2; next }
             ($1 in redis) { printf "%-22s %14.0f %14.0f %8.2f\n", $1, redis[$1], $2, (redis[$1] > 0 ? $2 / redis[$1] : 0) }' \
        "$2" "$3"
}

"$acl_bench" "$redis_port" "$ACL_COMMANDS" "$ACL_ROUNDS" | tail -n +2 >"$workdir/redis-acl.csv"
"$acl_bench" "$moat_port" "$ACL_COMMANDS" "$ACL_ROUNDS" | tail -n +2 >"$workdir/moat-acl.csv"
ratio_table "ACL overhead, one connection pipelining 1000 GETs (commands/s)" \
    "$workdir/redis-acl.csv" "$workdir/moat-acl.csv"

# Within each server: what its ACL checks cost, as throughput ratios.
echo
echo "ACL cost on each server (throughput ratio; moat's target in brackets)"
printf '%-34s %8s %8s %8s\n' ratio target redis moat
awk -F, -v acl_rows="$acl_rows" '
    FNR == 1 { server++ }
    { ops[server, $1] = $2 }
    END {
        split(acl_rows, rows, ";")
        for (r = 1; r in rows; r++) {
            split(rows[r], f, "|")
            redis = ops[1, f[2]] > 0 ? ops[1, f[1]] / ops[1, f[2]] : 0
            moat = ops[2, f[2]] > 0 ? ops[2, f[1]] / ops[2, f[2]] : 0
            verdict = moat >= f[3] ? "" : "  below target"
            printf "%-34s %8s %8.2f %8.2f%s\n", f[1] " / " f[2], ">=" f[3], redis, moat, verdict
        }
    }' "$workdir/redis-acl.csv" "$workdir/moat-acl.csv"
