#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable for the same binary and inputs whatever
# else the machine is doing (req/s on 2 shared cores moves by 20% between runs; this moves by well under 1%).
#
#   Benchmarks/instructions.sh                     # builds release (Benchmarks/release.sh), N=1000 creates
#   N=2000 Benchmarks/instructions.sh
#   KIND=get Benchmarks/instructions.sh            # GET /v1/customers/{id} instead of POST /v1/customers
#   KIND=list Benchmarks/instructions.sh           # GET /v1/customers?limit=10 (a page of ten customers)
#   KIND=get-many Benchmarks/instructions.sh       # GET of random ids of a `--db` file of STORE customers
#                                                  # (default 20000): retrieves that miss the RenderedCache
#   PROFILE=1 Benchmarks/instructions.sh           # also keep the callgrind files (see below)
#   STRIPE_SIM_BIN=path SKIP_BUILD=1 Benchmarks/instructions.sh
#
# Two runs of the server under callgrind: one answering 10 requests, one answering 10 + N. The difference over N
# is the user-space instructions of one request (start-up and the first requests cancel out); the first run's
# total is start-up. Kernel time (syscalls, scheduling, page faults) is not counted: see `perf` for that.
# With PROFILE=1 both callgrind files stay in $BENCH_TMP; `callgrind_annotate --inclusive=yes FILE` of each,
# subtracted, gives each function's share of a request.
#
# valgrind 3.19 (Debian 12) cannot read the DWARF 5 of a Swift 6 build, so the binary is measured stripped of
# debug information (symbols stay). The requests go to 127.0.0.1 only, one connection, in order.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${N:-1000}"
KIND="${KIND:-post}"
KEY="${BENCH_KEY:-sk_test_bench}"
WORK="$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/stripe-sim-instructions.XXXXXX")"
VPID=""  # set by callgrind.sh's callgrind_serve

cleanup() {
    [ -n "$VPID" ] && kill "$VPID" 2>/dev/null || true
    [ -n "${PROFILE:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/release.sh"

source "$(dirname "${BASH_SOURCE[0]}")/callgrind.sh"

# KIND=get-many: a `--db` file of STORE customers, written once by the release binary at full speed (not under
# valgrind), their ids shuffled; each measured server gets a fresh copy of it, so its cache starts empty and every
# retrieve (of an id not asked before) reads SQLite.
SERVE_ARGS=()
if [ "$KIND" = "get-many" ]; then
    STORE="${STORE:-20000}"
    "$BIN" serve --port "$PORT" --db "$WORK/store.sqlite" --log-level warning >"$WORK/store.log" 2>&1 &
    STORE_PID=$!
    until curl -s -o /dev/null --max-time 1 "$URL/healthz"; do sleep 0.1; done
    python3 - "$STORE" "$PORT" "$KEY" "$WORK/ids.txt" <<'EOF'
import http.client, json, random, sys
count, port, key, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
form = {"Authorization": "Bearer " + key, "Content-Type": "application/x-www-form-urlencoded"}
ids = []
for n in range(count):
    conn.request("POST", "/v1/customers", f"email=c{n}%40example.com&name=Customer+{n}&metadata[n]={n}", form)
    ids.append(json.loads(conn.getresponse().read())["id"])
random.seed(1)
random.shuffle(ids)
open(out, "w").write("\n".join(ids) + "\n")
EOF
    kill -INT "$STORE_PID"
    wait "$STORE_PID" 2>/dev/null || true
    SERVE_ARGS=(--db "$WORK/server.sqlite")
fi

# requests COUNT: COUNT requests of KIND on one keep-alive connection; exits non-zero on any non-2xx.
requests() {
    python3 - "$1" "$PORT" "$KIND" "$KEY" "$WORK/ids.txt" <<'EOF'
import http.client, json, sys
count, port, kind, key, ids_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
auth = {"Authorization": "Bearer " + key}
form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
body = "email=bench%40example.com&name=Bench+Customer&description=created+by+wrk&metadata[source]=wrk&metadata[tier]=gold"
def send(method, path, data=None, headers=auth):
    conn.request(method, path, data, headers)
    r = conn.getresponse()
    payload = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {payload[:200]!r}")
    return payload
target = None
if kind == "get-many":
    ids = open(ids_file).read().split()
    if count > len(ids):
        sys.exit(f"{count} retrieves need at least as many stored customers (STORE={len(ids)})")
    for n in range(count):
        send("GET", "/v1/customers/" + ids[n])
    sys.exit(0)
made = 0
if kind == "get":
    target = "/v1/customers/" + json.loads(send("POST", "/v1/customers", body, form))["id"]
    made = 1
if kind == "list":  # (the first run's 10 requests are the 10 creates: the difference is N lists)
    for _ in range(10):
        send("POST", "/v1/customers", body, form)
    target, made = "/v1/customers?limit=10", 10
for _ in range(count - made):
    if target:
        send("GET", target)
    else:
        send("POST", "/v1/customers", body, form)
EOF
}

# measure COUNT -> total instructions of a server that started, answered COUNT requests and stopped.
measure() {
    local out="$WORK/callgrind.$1"
    if [ "$KIND" = "get-many" ]; then
        rm -f "$WORK/server.sqlite"*
        cp "$WORK/store.sqlite" "$WORK/server.sqlite"
        [ ! -f "$WORK/store.sqlite-wal" ] || cp "$WORK/store.sqlite-wal" "$WORK/server.sqlite-wal"
    fi
    callgrind_serve "$out" >&2
    requests "$1"
    callgrind_stop
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

base=$(measure 10)
full=$(measure $((N + 10)))
echo "binary: $BIN"
echo "start-up and 10 requests: $base instructions"
echo "one $KIND request: $(((full - base) / N)) instructions (mean of $N)"
[ -z "${PROFILE:-}" ] || echo "callgrind files: $WORK/callgrind.10 and $WORK/callgrind.$((N + 10))"
