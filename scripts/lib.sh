# Helpers shared by the bench scripts (sourced, not run).
#
#   source "$(dirname "$0")/lib.sh"
#   bench_init bench_x.sh [parent dir of the work directory]
#   need redis-server redis-benchmark
#   moat_binary -p moat-testkit --example x   # builds unless MOAT_BIN is set
#   port=$(start_server moat 1 "$moat_bin" --save '' --appendonly no)
#
# Every server started here writes its pid to "$workdir/<name>.pid" and
# is stopped when the script exits, however it exits.

# bench_init <script name> [parent dir]: the work directory and the trap
# that stops the servers and removes it.
bench_init() {
    BENCH_NAME=$1
    if [ -n "${2:-}" ]; then
        workdir=$(mktemp -d "$2/$BENCH_NAME.XXXXXX")
    else
        workdir=$(mktemp -d)
    fi
    trap bench_cleanup EXIT
}

bench_cleanup() {
    stop_servers
    rm -rf "$workdir"
}

# need <tool>...: stops the script if one is not on PATH.
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$BENCH_NAME: $tool not found" >&2; exit 1; }
    done
}

# moat_binary [cargo build arguments]: sets moat_bin (MOAT_BIN, or the
# release build made now, with whatever else the arguments name) and
# target_dir.
moat_binary() {
    target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    if [ -n "${MOAT_BIN:-}" ]; then
        moat_bin=$MOAT_BIN
        [ "$#" = 0 ] || cargo build --release "$@"
    else
        cargo build --release -p moat-server --bin moat-server "$@"
        moat_bin="$target_dir/release/moat-server"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server <name> <core, or - for any> <binary> [directives...]:
# prints the port once the server answers on 127.0.0.1. Called in a
# command substitution, so the pid goes to a file for the cleanup.
start_server() {
    local name=$1 core=$2 binary=$3 port
    shift 3
    port=$(free_port)
    mkdir -p "$workdir/$name"
    if [ "$core" = - ]; then
        "$binary" --port "$port" --bind 127.0.0.1 --dir "$workdir/$name" "$@" \
            >"$workdir/$name.log" 2>&1 &
    else
        taskset -c "$core" "$binary" --port "$port" --bind 127.0.0.1 --dir "$workdir/$name" "$@" \
            >"$workdir/$name.log" 2>&1 &
    fi
    echo $! >"$workdir/$name.pid"
    for _ in $(seq 100); do
        if redis-cli -p "$port" PING >/dev/null 2>&1; then echo "$port"; return; fi
        sleep 0.1
    done
    echo "$BENCH_NAME: $name did not start:" >&2
    cat "$workdir/$name.log" >&2
    exit 1
}

server_pid() { # <name>
    cat "$workdir/$1.pid"
}

# stop_server <name>: stops it and waits until it is gone, so its port
# and files are free.
stop_server() {
    local pidfile="$workdir/$1.pid" pid
    [ -e "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    rm -f "$pidfile"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop_servers() {
    local pidfile
    for pidfile in "$workdir"/*.pid; do
        [ -e "$pidfile" ] || continue
        stop_server "$(basename "$pidfile" .pid)"
    done
}

# An awk function for the scripts' awk programs: median(a, n) of a[1..n]
# (sorts a in place).
AWK_MEDIAN='
    function median(a, n,    i, j, x) {
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }'

# pair_summary <csv> <key>: the csv holds "<key>,<redis>,<moat>" lines,
# one per pair of runs; prints the median of each column, the median of
# the per-pair ratios moat/redis and their range.
pair_summary() {
    awk -F, -v key="$2" "$AWK_MEDIAN"'
        $1 == key && $2 > 0 {
            n++; r[n] = $2; m[n] = $3; q[n] = $3 / $2
            lo = (n == 1 || q[n] < lo) ? q[n] : lo; hi = (n == 1 || q[n] > hi) ? q[n] : hi
        }
        END {
            if (n == 0) { printf "%12s\n", "no result"; exit }
            printf "%12.0f %12.0f %8.2f %6.2f-%-6.2f\n", median(r, n), median(m, n), median(q, n), lo, hi
        }' "$1"
}

# cpu_ns <pid>: CPU time its threads have used so far, in nanoseconds
# (the scheduler's own count, finer than /proc/<pid>/stat's ticks).
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ total += $1 } END { printf "%.0f\n", total }'
}
