#!/usr/bin/env bash
# SET throughput of moat-server relative to redis-server with the
# append-only file on, for appendfsync everysec and always.
#
# For each policy both servers run at the same time, each pinned to its
# own core, each in its own directory on the same file system (next to
# the build, not a tmpfs, so fsync costs what it costs). redis-benchmark
# (random keys) talks to each in turn, REPEAT times per test, in
# alternating order, so drift on a shared machine hits both alike.
# Ratios are moat/redis per pair of runs: 1.00 means as fast as Redis;
# the median and the range over the repetitions are printed.
#
#   scripts/bench_aof.sh              # defaults: 100000 requests, 50 clients, 3 runs
#   REQUESTS=20000 REPEAT=5 scripts/bench_aof.sh
#   MOAT_BIN=/path/to/moat-server scripts/bench_aof.sh   # another build
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-50}
REPEAT=${REPEAT:-3}

source scripts/lib.sh
moat_binary
bench_init bench_aof.sh "$target_dir"
need redis-server redis-benchmark redis-cli taskset

set_rps() { # <port> <pipeline>
    redis-benchmark -p "$1" -P "$2" -n "$REQUESTS" -c "$CLIENTS" -r 100000 -q --csv -t set \
        | tail -n +2 | cut -d, -f2 | tr -d '"'
}

: >"$workdir/runs.csv"
for fsync in everysec always; do
    aof=(--save '' --appendonly yes --appendfsync "$fsync" --aof-use-rdb-preamble no)
    redis_port=$(start_server "redis-$fsync" 0 "$(command -v redis-server)" "${aof[@]}")
    moat_port=$(start_server "moat-$fsync" 1 "$moat_bin" "${aof[@]}")
    for pipeline in 1 16; do
        for rep in $(seq "$REPEAT"); do
            if [ $((rep % 2)) = 1 ]; then
                redis=$(set_rps "$redis_port" "$pipeline")
                moat=$(set_rps "$moat_port" "$pipeline")
            else
                moat=$(set_rps "$moat_port" "$pipeline")
                redis=$(set_rps "$redis_port" "$pipeline")
            fi
            echo "$fsync/$pipeline,$redis,$moat" >>"$workdir/runs.csv"
        done
    done
    stop_server "redis-$fsync"
    stop_server "moat-$fsync"
done

echo "SET requests/s, medians of $REPEAT runs; ratio: median and range of moat/redis per pair"
printf '%-28s %12s %12s %8s %14s\n' test redis moat ratio range
for fsync in everysec always; do
    for pipeline in 1 16; do
        printf '%-28s %s\n' "appendfsync $fsync, -P $pipeline" "$(pair_summary "$workdir/runs.csv" "$fsync/$pipeline")"
    done
done
