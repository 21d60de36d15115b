# Sourced by the benchmark scripts: sets BIN to the release binary they measure.
#
# The release build links the Swift runtime and Foundation statically (`--static-swift-stdlib`, in its own
# scratch folder `.build-static` so it never invalidates `.build`): on this stack that answers 5-10% more
# requests per second than the dynamically linked build.
#
# It is also laid out for a small resident set (README, Benchmarks: idle RSS 39 → 25 MiB):
# - every function in a section of its own (`-function-sections`) and the functions a server runs listed first
#   (`Benchmarks/hot-symbols.txt`, written by `Benchmarks/hot-symbols.sh`; lld's `--symbol-ordering-file`), so
#   the kernel's fault-around, which maps 64 KiB around each page the code touches, maps mostly code that runs;
# - not position-independent (`-no-pie`) and exporting no symbols (`--no-export-dynamic`): the loader then has
#   no 140,000 relocations to read and apply and no 48,000-symbol tables to read at every start.
# `STRIPE_SIM_BIN=path SKIP_BUILD=1` measures a given binary instead.
HOT_SYMBOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/hot-symbols.txt"
RELEASE_FLAGS=(
    -c release --static-swift-stdlib --scratch-path .build-static
    -Xswiftc -Xfrontend -Xswiftc -function-sections
    -Xswiftc -use-ld=lld
    -Xlinker "--symbol-ordering-file=$HOT_SYMBOLS" -Xlinker --no-warn-symbol-ordering
    -Xlinker --no-export-dynamic -Xlinker -no-pie
)
if [ -z "${SKIP_BUILD:-}" ]; then
    echo "[bench] swift build ${RELEASE_FLAGS[*]} --product stripe-sim" >&2
    swift build "${RELEASE_FLAGS[@]}" --product stripe-sim >&2
fi
BIN="${STRIPE_SIM_BIN:-$(swift build "${RELEASE_FLAGS[@]}" --show-bin-path)/stripe-sim}"
[ -x "$BIN" ] || { echo "no stripe-sim executable at $BIN" >&2; exit 1; }
