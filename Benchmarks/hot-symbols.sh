#!/usr/bin/env bash
# Writes Benchmarks/hot-symbols.txt: the functions a release binary runs while it starts, answers the benchmark's
# requests and idles, in the order callgrind first meets them. Benchmarks/release.sh links the release binary
# with that list as lld's --symbol-ordering-file, so the code a server actually runs sits together.
#
#   Benchmarks/hot-symbols.sh                              # builds release (Benchmarks/release.sh) first
#   STRIPE_SIM_BIN=path SKIP_BUILD=1 Benchmarks/hot-symbols.sh
#
# Why it matters: a page fault on a file mapping maps the 64 KiB around it that the page cache holds (the
# kernel's fault-around), and a start-up scattered over 32 MB of code faulted some 340 times: about 20 MiB of
# resident text for a few MiB actually run. Packed, the same code maps a fraction of that (README, Benchmarks).
# The list only orders: a function missing from it (new code) is placed as usual, and a name that no longer
# exists is ignored, so a stale list costs memory, never correctness. Re-run it after large changes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-Benchmarks/hot-symbols.txt}"
KEY="${BENCH_KEY:-sk_test_bench}"
WORK="$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/stripe-sim-hot.XXXXXX")"
VPID=""  # set by callgrind.sh's callgrind_serve
cleanup() {
    [ -n "$VPID" ] && kill "$VPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/release.sh"

source "$(dirname "${BASH_SOURCE[0]}")/callgrind.sh"
callgrind_serve "$WORK/callgrind.out" --demangle=no
# The benchmark's requests (Benchmarks/http.sh), then errors, v2, events; then a few idle seconds, so the
# background services' loops are in the list too.
for _ in $(seq 1 20); do
    curl -s -o /dev/null -u "$KEY:" "$URL/v1/customers" \
        -d email=bench%40example.com -d name=Bench+Customer -d description=created+by+wrk \
        -d 'metadata[source]=wrk' -d 'metadata[tier]=gold'
done
ID=$(curl -s -u "$KEY:" "$URL/v1/customers" -d email=a%40b.co | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
for path in "/v1/customers/$ID" "/v1/customers/$ID" "/v1/customers?limit=10" "/v1/events?limit=3" \
    /v1/customers/cus_missing /v1/nowhere; do
    curl -s -o /dev/null -u "$KEY:" "$URL$path"
done
curl -s -o /dev/null "$URL/v1/customers"
curl -s -o /dev/null -u "$KEY:" "$URL/v1/customers" -d email=not-an-email
curl -s -o /dev/null -u "$KEY:" -H 'Stripe-Version: 2026-06-24.preview' -H 'Content-Type: application/json' \
    "$URL/v2/core/accounts" -d '{"display_name": "Bench", "configuration": {"customer": {}}}'
sleep 3
callgrind_stop

python3 - "$WORK/callgrind.out" "$OUT" <<'EOF'
import re, sys
seen, names = set(), []
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^c?fn=\(\d+\) (.+)$", line.rstrip("\n"))
    if not m:
        continue
    name = m.group(1).split("'")[0]  # callgrind marks recursion levels with 'N
    # Skip unnamed code (0x…) and valgrind's own labels ("(below main)").
    if name.startswith("0x") or " " in name or name in seen:
        continue
    seen.add(name)
    names.append(name)
with open(sys.argv[2], "w") as out:
    out.write("".join(n + "\n" for n in names))
print(f"[hot-symbols] {len(names)} functions written to {sys.argv[2]}", file=sys.stderr)
EOF
