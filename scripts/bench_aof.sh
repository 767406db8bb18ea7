#!/usr/bin/env bash
# SET throughput of moat-server relative to redis-server with the
# append-only file on, for appendfsync everysec and always.
#
# Both servers run at the same time, each pinned to its own core, each
# in its own directory on the same file system; redis-benchmark talks to
# each in turn. Ratios are moat/redis: 1.00 means as fast as Redis.
#
#   scripts/bench_aof.sh              # defaults: 100000 requests, 50 clients
#   REQUESTS=20000 scripts/bench_aof.sh
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}

for tool in redis-server redis-benchmark redis-cli taskset; do
    command -v "$tool" >/dev/null || { echo "bench_aof.sh: $tool not found" >&2; exit 1; }
done

cargo build --release -p moat-server
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
moat_bin="$target_dir/release/moat-server"

# On disk next to the build (not a tmpfs), so fsync costs what it costs.
workdir=$(mktemp -d "$target_dir/bench-aof.XXXXXX")
cleanup() {
    local pidfile
    for pidfile in "$workdir"/*.pid; do
        [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 0.3
    rm -rf "$workdir"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start <core> <name> <binary> <fsync>: prints the port once the server answers.
start() {
    local core=$1 name=$2 binary=$3 fsync=$4 port
    port=$(free_port)
    mkdir -p "$workdir/$name-$fsync"
    taskset -c "$core" "$binary" --port "$port" --bind 127.0.0.1 --dir "$workdir/$name-$fsync" \
        --save '' --appendonly yes --appendfsync "$fsync" --aof-use-rdb-preamble no \
        >"$workdir/$name-$fsync.log" 2>&1 &
    echo $! >"$workdir/$name-$fsync.pid"
    for _ in $(seq 100); do
        if redis-cli -p "$port" PING >/dev/null 2>&1; then echo "$port"; return; fi
        sleep 0.1
    done
    echo "bench_aof.sh: $name did not start:" >&2
    cat "$workdir/$name-$fsync.log" >&2
    exit 1
}

stop() { # <name> <fsync>
    kill "$(cat "$workdir/$1-$2.pid")" 2>/dev/null || true
    rm -f "$workdir/$1-$2.pid"
}

set_rps() { # <port> <pipeline>
    redis-benchmark -p "$1" -P "$2" -n "$REQUESTS" -c "$CLIENTS" -r 100000 -q --csv -t set \
        | tail -n +2 | cut -d, -f2 | tr -d '"'
}

printf '%-34s %12s %12s %8s\n' "SET (requests/s)" redis moat ratio
for fsync in everysec always; do
    redis_port=$(start 0 redis "$(command -v redis-server)" "$fsync")
    moat_port=$(start 1 moat "$moat_bin" "$fsync")
    for pipeline in 1 16; do
        redis_rps=$(set_rps "$redis_port" "$pipeline")
        moat_rps=$(set_rps "$moat_port" "$pipeline")
        awk -v t="appendfsync $fsync, -P $pipeline" -v r="$redis_rps" -v m="$moat_rps" \
            'BEGIN { printf "%-34s %12.0f %12.0f %8.2f\n", t, r, m, (r > 0 ? m / r : 0) }'
    done
    stop redis "$fsync"
    stop moat "$fsync"
done
