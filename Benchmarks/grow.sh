#!/usr/bin/env bash
# Does the write rate stay flat as the SQLite database grows?
#
#   Benchmarks/grow.sh                    # 100,000 customers, rate per 10,000
#   N=300000 SEGMENT=20000 Benchmarks/grow.sh
#   KEEP_DB=/var/tmp/grow.sqlite Benchmarks/grow.sh   # keep the file afterwards
#   STORAGE=memory Benchmarks/grow.sh     # the same without --db (in-memory SQLite)
#
# Starts a release `stripe-sim serve --db FILE` (or, with STORAGE=memory, in memory) on 127.0.0.1 and POSTs
# /v1/customers with wrk (-t1 -c10, Benchmarks/grow.lua) until N responses
# came back, printing the rate of each SEGMENT. Bounded: wrk stops after
# MAX_SECONDS (default 900) even if N was not reached. A few requests still
# in flight when the script stops may add a handful of rows beyond N.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
N="${N:-100000}"
SEGMENT="${SEGMENT:-10000}"
MAX_SECONDS="${MAX_SECONDS:-900}"
KEY="${BENCH_KEY:-sk_test_bench}"
WORK="$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/stripe-sim-grow.XXXXXX")"
DB="${KEEP_DB:-$WORK/grow.sqlite}"
STORAGE="${STORAGE:-db}"
STORAGE_ARGS=(--db "$DB")
[ "$STORAGE" = memory ] && STORAGE_ARGS=()
PID=""

cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "${BASH_SOURCE[0]}")/release.sh"
if ! command -v wrk >/dev/null 2>&1; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT"
"$BIN" serve --host 127.0.0.1 --port "$PORT" "${STORAGE_ARGS[@]}" > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -u "$KEY:" "$URL/v1/customers" || true)" != "000" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "server exited" >&2; exit 1; }
    sleep 0.1
done

echo "### SQLite growth ($STORAGE): POST /v1/customers, $N rows in segments of $SEGMENT"
echo
echo "\`stripe-sim serve ${STORAGE_ARGS[*]:+--db}\`, release, \`wrk -t1 -c10\` on 127.0.0.1, $(nproc) cores, $(date -u +%Y-%m-%d)."
echo
echo "| rows | segment req/s | vs first segment | elapsed |"
echo "| ---: | ---: | ---: | ---: |"
set +e
GROW_TOTAL="$N" GROW_SEGMENT="$SEGMENT" BENCH_KEY="$KEY" \
    wrk -t1 -c10 -d"${MAX_SECONDS}s" --timeout 10s -s "$ROOT/Benchmarks/grow.lua" "$URL/v1/customers" \
    > "$WORK/wrk.txt" 2>&1
set -e
awk '
    /^GROW / {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (!first) first = v["seg_rps"]
        printf "| %d | %.0f | %.2f | %.1f s |\n", v["rows"], v["seg_rps"], v["seg_rps"] / first, v["total_seconds"]
    }
    /^GROW_DONE / {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); d[kv[1]] = kv[2] }
        printf "\n%d rows in %.1f s: %.0f req/s overall; %d non-2xx responses.\n", d["rows"], d["seconds"], d["rps"], d["non2xx"]
        done = 1
        if (d["non2xx"] > 0) bad = 1
    }
    END { exit done ? (bad ? 3 : 0) : 2 }' "$WORK/wrk.txt" && rc=0 || rc=$?
if [ "$STORAGE" = memory ]; then
    echo "Server RSS at the end: $(( $(ps -o rss= -p "$PID" | tr -d ' ') / 1024 )) MiB."
else
    echo "Database file and WAL: $(du -ch "$DB" "$DB-wal" 2>/dev/null | tail -n 1 | cut -f1)."
fi
case "$rc" in
    0) ;;
    2) echo "wrk stopped before $N rows (MAX_SECONDS=$MAX_SECONDS?):" >&2; tail -n 20 "$WORK/wrk.txt" >&2; exit 1 ;;
    *) echo "some writes failed (non-2xx responses)" >&2; exit 1 ;;
esac
