#!/usr/bin/env bash
# HTTP throughput of stripe-sim against its own ceiling, on 127.0.0.1 only.
#
#   Benchmarks/http.sh                 # builds release (Benchmarks/release.sh), ~4 minutes of load
#   DURATION=5s Benchmarks/http.sh     # shorter runs
#   STRIPE_SIM_BIN=path/to/stripe-sim SKIP_BUILD=1 Benchmarks/http.sh
#
# The ceiling is `stripe-sim ceiling --port P`: a bare Hummingbird route
# `GET /` answering a small fixed JSON body, built into the same binary, so
# "vs ceiling" is the share of the framework's own speed that the simulator
# keeps. Ceiling runs alternate with the measurements and each measurement is
# compared with the mean of the ceiling runs just before and after it, so
# drift (thermal, a noisy neighbour) shows up in the ceiling rows.
#
# Output: Markdown tables on stdout (also written to $BENCH_OUT, default
# .artifacts/bench-http.md); progress on stderr. Exit 1 if any run saw
# non-2xx responses or socket errors (the numbers would not mean much).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BENCH="$ROOT/Benchmarks"
DURATION="${DURATION:-10s}"
THREADS=1
CONNS=10
KEY="${BENCH_KEY:-sk_test_bench}"
export BENCH_KEY="$KEY"
OUT="${BENCH_OUT:-$ROOT/.artifacts/bench-http.md}"
# Scratch folder, also for the --db file: keep it on a real disk (not tmpfs)
# so that SQLite's fsyncs cost what they cost.
WORK="$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/stripe-sim-bench.XXXXXX")"
PIDS=()

log() { echo "[bench] $*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build and tools -------------------------------------------------------
source "$(dirname "${BASH_SOURCE[0]}")/release.sh"

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done

# --- helpers ---------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

http_code() {  # URL [curl args...] -> status code, 000 when nothing answered
    local url="$1"
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url" || true
}

rss_kb() { ps -o rss= -p "$1" | tr -d ' ' || true; }

db_size() {  # FILE -> size of the database and its WAL together, e.g. 38M
    du -ch "$1" "$1-wal" 2>/dev/null | tail -n 1 | cut -f1 || true
}

# start_server NAME PROBE_PATH ARGS...   (ARGS without --port)
# Sets S_PID, S_URL, S_STARTUP_MS, S_RSS_KB. Startup is the time from the
# launch to the first HTTP answer of any status, polled by curl in a tight loop.
start_server() {
    local name="$1" probe="$2" port t0 t1 code deadline
    shift 2
    port=$(free_port)
    S_URL="http://127.0.0.1:$port"
    t0=$(date +%s%N)
    "$BIN" "$@" --port "$port" > "$WORK/$name.log" 2>&1 &
    S_PID=$!
    PIDS+=("$S_PID")
    deadline=$((t0 + 15000000000))
    while :; do
        code=$(http_code "$S_URL$probe" -u "$KEY:")
        [ "$code" != "000" ] && break
        if ! kill -0 "$S_PID" 2>/dev/null; then
            cat "$WORK/$name.log" >&2
            echo "$name exited before answering" >&2
            exit 1
        fi
        if [ "$(date +%s%N)" -gt "$deadline" ]; then
            echo "$name did not answer on $S_URL within 15 s" >&2
            exit 1
        fi
    done
    t1=$(date +%s%N)
    S_STARTUP_MS=$(( (t1 - t0) / 1000000 ))
    sleep 1
    S_RSS_KB=$(rss_kb "$S_PID")
    log "$name up on $S_URL in ${S_STARTUP_MS} ms (HTTP $code), idle RSS ${S_RSS_KB} KiB"
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

collect_ids() {  # BASE_URL COUNT FILE: the ids of the newest COUNT customers, one per line
    python3 - "$1" "$2" "$3" "$KEY" <<'PY'
import base64, json, sys, urllib.request
base, count, path, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
ids, after = [], None
while len(ids) < count:
    url = base + "/v1/customers?limit=100" + (f"&starting_after={after}" if after else "")
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
        page = json.load(r)
    ids += [c["id"] for c in page["data"]]
    if not page["has_more"]:
        break
    after = ids[-1]
open(path, "w").write("\n".join(ids[:count]) + "\n")
print(len(ids[:count]))
PY
}

create_customer() {  # BASE_URL -> id
    curl -sf --max-time 5 "$1/v1/customers" -u "$KEY:" \
        -d email=bench-target@example.com -d name="Bench Target" -d "metadata[role]=target" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# Results, one per run: label|storage|rps|p99_us|requests|non2xx|errors|kind
RUNS=()
BAD=0

# run_wrk LABEL STORAGE KIND SCRIPT URL
run_wrk() {
    local label="$1" storage="$2" kind="$3" script="$4" url="$5" line n
    n=${#RUNS[@]}
    log "wrk -t$THREADS -c$CONNS -d$DURATION  $label ($storage)"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s -s "$BENCH/$script" "$url" \
        > "$WORK/wrk-$n.txt" 2>&1 || true
    line=$(grep '^BENCH ' "$WORK/wrk-$n.txt" || true)
    if [ -z "$line" ]; then
        cat "$WORK/wrk-$n.txt" >&2
        echo "wrk produced no result for $label" >&2
        exit 1
    fi
    local requests rps p99_us non2xx errors
    # shellcheck disable=SC2086 # $line is split into its key=value words on purpose
    {
        requests=$(kv requests $line); rps=$(kv rps $line); p99_us=$(kv p99_us $line)
        non2xx=$(kv non2xx $line); errors=$(kv errors $line)
    }
    if [ "$non2xx" != 0 ] || [ "$errors" != 0 ]; then
        BAD=1
        log "  WARNING: $non2xx non-2xx responses, $errors socket errors"
    fi
    log "  $rps req/s, p99 ${p99_us} us"
    RUNS+=("$label|$storage|$rps|$p99_us|$requests|$non2xx|$errors|$kind")
    LAST_REQUESTS=$requests
}

kv() {  # KEY key=value... -> value
    local key="$1" pair
    shift
    for pair in "$@"; do
        [ "${pair%%=*}" = "$key" ] && { echo "${pair#*=}"; return; }
    done
    echo ""
}

ceiling_run() { run_wrk "ceiling \`GET /\`" "—" ceiling report.lua "$CEIL_URL/"; }

# --- the servers and the runs ----------------------------------------------
start_server ceiling / ceiling
CEIL_PID=$S_PID CEIL_URL=$S_URL
START_ROWS=("ceiling (\`stripe-sim ceiling\`)|$S_STARTUP_MS|$S_RSS_KB")
wrk -t1 -c"$CONNS" -d2s "$CEIL_URL/" > /dev/null 2>&1 || true   # warm-up

ceiling_run
for storage in memory sqlite; do
    if [ "$storage" = memory ]; then
        start_server sim-memory /v1/customers serve --host 127.0.0.1
        name="serve (in memory)"
    else
        DB="$WORK/bench.sqlite"
        start_server sim-sqlite /v1/customers serve --host 127.0.0.1 --db "$DB"
        name="serve --db (new file)"
    fi
    SIM_PID=$S_PID SIM_URL=$S_URL
    idle=$S_RSS_KB startup=$S_STARTUP_MS
    CUS=$(create_customer "$SIM_URL") || { echo "could not create a customer on $SIM_URL" >&2; exit 1; }
    log "target customer $CUS"
    wrk -t1 -c"$CONNS" -d2s -s "$BENCH/get.lua" "$SIM_URL/v1/customers/$CUS" > /dev/null 2>&1 || true

    run_wrk "\`POST /v1/customers\`" "$storage" sim post_customer.lua "$SIM_URL/v1/customers"
    ROWS=$LAST_REQUESTS
    ceiling_run
    run_wrk "\`GET /v1/customers/{id}\`" "$storage" sim get.lua "$SIM_URL/v1/customers/$CUS"
    ceiling_run
    # The same over many customers: most miss the in-memory cache of recent bodies and read SQLite.
    IDS_FILE="$WORK/ids-$storage.txt"
    N_IDS=$(collect_ids "$SIM_URL" 50000 "$IDS_FILE")
    export BENCH_IDS="$IDS_FILE"
    run_wrk "\`GET /v1/customers/{id}\`, random of $N_IDS" "$storage" sim get_many.lua "$SIM_URL"
    ceiling_run
    run_wrk "\`GET /v1/customers?limit=10\`" "$storage" sim get.lua "$SIM_URL/v1/customers?limit=10"
    ceiling_run

    START_ROWS+=("$name|$startup|$idle|$(rss_kb "$SIM_PID")")
    stop_server "$SIM_PID"
    if [ "$storage" = sqlite ]; then
        start_server sim-sqlite-reopen /v1/customers serve --host 127.0.0.1 --db "$DB"
        START_ROWS+=("serve --db (reopen, ~$ROWS customers, $(db_size "$DB") file)|$S_STARTUP_MS|$S_RSS_KB")
        stop_server "$S_PID"
    fi
done
START_ROWS[0]="${START_ROWS[0]}|$(rss_kb "$CEIL_PID")"
stop_server "$CEIL_PID"

# --- report ----------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
case "$OUT" in
    "$ROOT/.artifacts/"*) printf '*\n' > "$ROOT/.artifacts/.gitignore" ;;   # never committed
esac
{
    echo "### HTTP benchmark"
    echo
    echo "$(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '(none)')," \
        "$(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1))," \
        "$(swift --version 2>/dev/null | head -1 | sed 's/ (.*//')," \
        "release build; \`wrk -t$THREADS -c$CONNS -d$DURATION\` on 127.0.0.1, client and server on the same machine."
    echo "\"vs ceiling\" divides by the mean of the ceiling runs just before and after;" \
        "on ceiling rows, in brackets, each ceiling run against the first one (drift)."
    echo
    echo "| run | storage | req/s | p99 latency | vs ceiling | non-2xx / errors |"
    echo "| --- | --- | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${RUNS[@]}" | awk -F'|' '
        function lat(us) { return us < 1000 ? sprintf("%d µs", us) : sprintf("%.2f ms", us / 1000) }
        function num(x,   s, out) {
            s = sprintf("%d", x + 0.5); out = ""
            while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
            return s out
        }
        { label[NR] = $1; st[NR] = $2; rps[NR] = $3; p99[NR] = $4; bad[NR] = $6 "/" $7; kind[NR] = $8 }
        END {
            first = 0
            for (i = 1; i <= NR; i++) if (kind[i] == "ceiling") { first = rps[i]; break }
            for (i = 1; i <= NR; i++) {
                if (kind[i] == "ceiling") { ratio = first ? sprintf("(%.2f)", rps[i] / first) : "—" }
                else {
                    # previous and next ceiling runs
                    b = 0; a = 0
                    for (j = i - 1; j >= 1; j--) if (kind[j] == "ceiling") { b = rps[j]; break }
                    for (j = i + 1; j <= NR; j++) if (kind[j] == "ceiling") { a = rps[j]; break }
                    c = (a && b) ? (a + b) / 2 : (a ? a : b)
                    ratio = c ? sprintf("%.2f", rps[i] / c) : "?"
                }
                printf "| %s | %s | %s | %s | %s | %s |\n", label[i], st[i], num(rps[i]), lat(p99[i]), ratio, bad[i]
            }
        }'
    echo
    echo "| server | startup to first answer | idle RSS | RSS after load |"
    echo "| --- | ---: | ---: | ---: |"
    printf '%s\n' "${START_ROWS[@]}" | awk -F'|' '
        function mib(kb) { return kb == "" ? "—" : sprintf("%.1f MiB", kb / 1024) }
        { printf "| %s | %d ms | %s | %s |\n", $1, $2, mib($3), mib($4) }'
} | tee "$OUT"
log "written to $OUT"

if [ "$BAD" -ne 0 ]; then
    echo "some runs saw non-2xx responses or socket errors: see the last column" >&2
    exit 1
fi
