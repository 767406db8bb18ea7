#!/usr/bin/env bash
# Throughput of several moat-server builds (and redis-server) side by
# side: the tool for finding which commit made a hot path slower.
#
# Every binary runs at the same time, pinned to the same core
# (SERVER_CORE), and redis-benchmark (pinned to CLIENT_CORE) measures
# each in turn, REPEAT times per test, the order rotated every round so
# that drift on a shared machine hits all alike. Prints requests/s per
# round and the median per binary, with its ratio to the first binary,
# for requests per second and per second of the server's CPU time.
#
#   scripts/bench_builds.sh /usr/bin/redis-server old/moat-server target/release/moat-server
#   TESTS="set get" PIPELINE=16 REQUESTS=1000000 REPEAT=5 scripts/bench_builds.sh A B
#
# To get an older build: git worktree add /tmp/old <commit>, then
# (cd /tmp/old && cargo build --release -p moat-server) with a target
# directory of its own (CARGO_TARGET_DIR): cargo's fingerprints would
# take a shared one's build of another worktree as up to date.
set -euo pipefail

cd "$(dirname "$0")/.."
TESTS=${TESTS:-set get}
PIPELINE=${PIPELINE:-16}
REQUESTS=${REQUESTS:-1000000}
REPEAT=${REPEAT:-5}
CLIENTS=${CLIENTS:-50}
cores=$(nproc)
SERVER_CORE=${SERVER_CORE:-$((cores - 1))}
CLIENT_CORE=${CLIENT_CORE:-0}

source scripts/lib.sh
bench_init bench_builds.sh
need redis-benchmark redis-cli taskset
[ "$#" -ge 1 ] || { echo "usage: scripts/bench_builds.sh <server binary>..." >&2; exit 2; }

ports=()
for i in $(seq 0 $(($# - 1))); do
    binary=${*:$((i + 1)):1}
    ports+=("$(start_server "build$i" "$SERVER_CORE" "$binary" --save '' --appendonly no)")
    echo "build$i: $binary"
done

run() { # <port> <test> <requests>
    taskset -c "$CLIENT_CORE" redis-benchmark -p "$1" -P "$PIPELINE" -t "$2" -n "$3" -c "$CLIENTS" -q --csv \
        | tail -n +2 | cut -d, -f2 | tr -d '"'
}

# Warm-up: connections, allocator, the key GET reads, CPU frequency.
for port in "${ports[@]}"; do
    for test in $TESTS; do run "$port" "$test" 200000 >/dev/null; done
done

count=${#ports[@]}
: >"$workdir/runs.csv"
: >"$workdir/cpu.csv"
echo
printf '%-6s %-10s' round test
for i in $(seq 0 $((count - 1))); do printf ' %12s' "build$i"; done
echo
for round in $(seq "$REPEAT"); do
    for test in $TESTS; do
        results=()
        for step in $(seq 0 $((count - 1))); do
            i=$(((step + round) % count))
            pid=$(server_pid "build$i")
            before=$(cpu_ns "$pid")
            results[i]=$(run "${ports[i]}" "$test" "$REQUESTS")
            after=$(cpu_ns "$pid")
            per_cpu[i]=$(awk -v n="$REQUESTS" -v t="$((after - before))" 'BEGIN { printf "%.0f", (t > 0 ? n * 1e9 / t : 0) }')
        done
        printf '%-6s %-10s' "$round" "$test"
        for i in $(seq 0 $((count - 1))); do
            printf ' %12.0f' "${results[i]}"
            echo "$test,$i,${results[i]}" >>"$workdir/runs.csv"
            echo "$test,$i,${per_cpu[i]}" >>"$workdir/cpu.csv"
        done
        echo
    done
done

# medians <csv> <title>
medians() {
    echo
    echo "$2"
    for test in $TESTS; do
        awk -F, -v t="$test" -v n="$count" "$AWK_MEDIAN"'
            $1 == t { c[$2]++; v[$2, c[$2]] = $3 }
            END {
                for (b = 0; b < n; b++) {
                    delete a
                    for (k = 1; k <= c[b]; k++) a[k] = v[b, k]
                    m[b] = median(a, c[b])
                }
                for (b = 0; b < n; b++)
                    printf "%-10s build%d %12.0f %8.2f\n", t, b, m[b], (m[0] > 0 ? m[b] / m[0] : 0)
            }' "$1"
    done
}
medians "$workdir/runs.csv" "medians (requests/s; ratio to build0)"
# The client's core may saturate first: then CPU time per request is
# what tells the builds apart.
medians "$workdir/cpu.csv" "medians (requests per second of server CPU time; ratio to build0)"
