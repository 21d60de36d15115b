#!/usr/bin/env bash
# How long `stripe-sim run` takes: the 20-step customer lifecycle scenario and
# the whole library, in process, RUNS times each (default 20).
#
#   Benchmarks/scenarios.sh                  # builds release first
#   RUNS=50 Benchmarks/scenarios.sh
#   STRIPE_SIM_BIN=path/to/stripe-sim SKIP_BUILD=1 Benchmarks/scenarios.sh
#
# Two figures per run: the runner's own time (scenario start to report, the
# number on its summary line) and the process wall time (exec to exit,
# including startup). Prints a Markdown table of min / median / p90 / max.
# Not part of CI: timing on a shared 2-core machine is noisy.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-20}"
source "$(dirname "${BASH_SOURCE[0]}")/release.sh"

measure() {  # $1 = label, rest = paths
    local label="$1"; shift
    local runner=() wall=() out start end
    for _ in $(seq 1 "$RUNS"); do
        start=$(date +%s%N)
        out=$("$BIN" run "$@" | tail -1)
        end=$(date +%s%N)
        case "$out" in *passed*) ;; *) echo "scenarios failed: $out" >&2; exit 1 ;; esac
        runner+=("$(echo "$out" | sed -E 's/.*· ([0-9.]+) (ms|s)$/\1 \2/' | awk '{ print ($2 == "s") ? $1 * 1000 : $1 }')")
        wall+=("$(( (end - start) / 1000000 ))")
    done
    python3 - "$label" "${runner[*]}" "${wall[*]}" <<'PY'
import statistics, sys
label, runner, wall = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
def row(name, xs):
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    print(f"| {label} | {name} | {xs[0]:.0f} | {statistics.median(xs):.0f} | {p90:.0f} | {xs[-1]:.0f} |")
row("runner", runner)
row("process", wall)
PY
}

echo "| scenarios | time | min ms | median ms | p90 ms | max ms |"
echo "| --- | --- | --- | --- | --- | --- |"
measure "customer-lifecycle.yaml (20 steps)" Scenarios/customer-lifecycle.yaml
measure "Scenarios/ (all, in parallel)" Scenarios
