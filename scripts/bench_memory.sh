#!/usr/bin/env bash
# Memory of moat-server relative to redis-server for the same data.
#
# For each data set a fresh pair of servers (persistence off) is loaded
# through `redis-cli --pipe` from one generated protocol file, so both get
# exactly the same commands; then each server's `used_memory` (INFO) and
# resident size (VmRSS from /proc/<pid>/status) are read. Ratios are
# moat/redis: 1.00 means as much memory as Redis, below is less.
#
#   scripts/bench_memory.sh                 # 1M elements per data set
#   N=100000 scripts/bench_memory.sh
#   SETS="zset" scripts/bench_memory.sh     # some of: strings hash zset
#   MOAT_BIN=/path/to/moat-server scripts/bench_memory.sh   # no build
#   SCORES=ascending scripts/bench_memory.sh   # sorted set members in order
#
# After the sorted set is loaded, redis-benchmark times rank operations
# on it (one client pipelining 16, RANK_REQUESTS each; RANK_REQUESTS=0
# skips them): ZRANK of the last member, ZRANGE of 10 members from the
# middle by index, ZCOUNT over the middle half, and ZRANGEBYSCORE with a
# LIMIT offset in the middle, of which Redis gets a hundredth as many
# requests (Redis 7.0 walks the offset, O(N)).
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-1000000}
SETS=${SETS:-strings hash zset}
RANK_REQUESTS=${RANK_REQUESTS:-2000}
SCORES=${SCORES:-random}

source scripts/lib.sh
bench_init bench_memory.sh
need redis-server redis-cli python3
moat_binary

# start <name> <binary>: a server with persistence off, on any core.
start() {
    start_server "$1" - "$2" --save '' --appendonly no
}

# generate <set> <file>: the RESP commands that load one data set. Hash
# fields and sorted set members go 100 to a command; sorted set scores
# are pseudo-random (fixed seed), so members arrive in no particular
# order, or with SCORES=ascending a thousand apart, in order.
generate() {
    python3 - "$1" "$N" "$2" "$SCORES" <<'EOF'
import random, sys

kind, n, path, scores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

rng = random.Random(42)
with open(path, "wb") as f:
    if kind == "strings":
        for i in range(n):
            f.write(command(b"SET", b"key:%d" % i, b"value:%d" % i))
    else:
        for start in range(0, n, 100):
            args = []
            for i in range(start, min(start + 100, n)):
                if kind == "hash":
                    args += [b"field:%d" % i, b"value:%d" % i]
                else:
                    score = i * 1000 if scores == "ascending" else rng.randrange(1_000_000_000)
                    args += [b"%d" % score, b"member:%d" % i]
            name = b"HSET" if kind == "hash" else b"ZADD"
            f.write(command(name, kind.encode(), *args))
EOF
}

used_memory() {
    redis-cli -p "$1" INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'
}

rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# rank_ops <redis port> <moat port>: one line per command.
rank_ops() {
    local last mid
    last=$(redis-cli -p "$1" ZRANGE zset -1 -1)
    mid=$((N / 2))
    while IFS='|' read -r label share cmd; do
        local r m n=$((RANK_REQUESTS / share > 16 ? RANK_REQUESTS / share : 16))
        # shellcheck disable=SC2086
        r=$(redis-benchmark -p "$1" -c 1 -P 16 -n "$n" -q --csv $cmd | tail -n 1 | cut -d, -f2 | tr -d '"')
        # shellcheck disable=SC2086
        m=$(redis-benchmark -p "$2" -c 1 -P 16 -n "$RANK_REQUESTS" -q --csv $cmd | tail -n 1 | cut -d, -f2 | tr -d '"')
        printf '%-34s %10.0f %10.0f %8s\n' "$label" "$r" "$m" "$(ratio "$m" "$r")"
    done <<EOF
ZRANK last member|1|ZRANK zset $last
ZRANGE mid mid+9 (by index)|1|ZRANGE zset $mid $((mid + 9))
ZCOUNT middle half|1|ZCOUNT zset 250000000 750000000
ZRANGEBYSCORE LIMIT mid 10|100|ZRANGEBYSCORE zset -inf +inf LIMIT $mid 10
EOF
}

printf '%-8s %10s %10s %10s %10s %8s %8s\n' \
    data "redis used" "redis RSS" "moat used" "moat RSS" "used x" "RSS x"
for set in $SETS; do
    generate "$set" "$workdir/$set.resp"
    redis_port=$(start redis "$(command -v redis-server)")
    moat_port=$(start moat "$moat_bin")
    for port in "$redis_port" "$moat_port"; do
        redis-cli -p "$port" --pipe <"$workdir/$set.resp" >"$workdir/$set-$port.pipe" 2>&1 \
            || { echo "bench_memory.sh: loading $set failed:" >&2; cat "$workdir/$set-$port.pipe" >&2; exit 1; }
        grep -q 'errors: 0' "$workdir/$set-$port.pipe" \
            || { echo "bench_memory.sh: $set had errors:" >&2; cat "$workdir/$set-$port.pipe" >&2; exit 1; }
    done
    sleep 1
    ru=$(used_memory "$redis_port")
    rr=$(rss_bytes "$(server_pid redis)")
    mu=$(used_memory "$moat_port")
    mr=$(rss_bytes "$(server_pid moat)")
    printf '%-8s %9sM %9sM %9sM %9sM %8s %8s\n' "$set" \
        "$(mib "$ru")" "$(mib "$rr")" "$(mib "$mu")" "$(mib "$mr")" \
        "$(ratio "$mu" "$ru")" "$(ratio "$mr" "$rr")"
    if [ "$set" = zset ] && [ "$RANK_REQUESTS" -gt 0 ]; then
        rank_ops "$redis_port" "$moat_port" >"$workdir/ranks.txt"
    fi
    stop_servers
    rm -f "$workdir/$set.resp"
done

if [ -s "$workdir/ranks.txt" ]; then
    echo
    echo "rank operations on the $N-member sorted set (requests/s, one client, pipeline 16)"
    printf '%-34s %10s %10s %8s\n' command redis moat ratio
    cat "$workdir/ranks.txt"
fi
