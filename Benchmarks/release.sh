# Sourced by the benchmark scripts: sets BIN to the release binary they measure.
#
# The release build links the Swift runtime and Foundation statically (`--static-swift-stdlib`, in its own
# scratch folder `.build-static` so it never invalidates `.build`): on this stack that answers 5-10%
# more requests per second than the dynamically linked build and idles with 4 MiB less resident memory.
# `STRIPE_SIM_BIN=path SKIP_BUILD=1` measures a given binary instead.
RELEASE_FLAGS=(-c release --static-swift-stdlib --scratch-path .build-static)
if [ -z "${SKIP_BUILD:-}" ]; then
    echo "[bench] swift build ${RELEASE_FLAGS[*]} --product stripe-sim" >&2
    swift build "${RELEASE_FLAGS[@]}" --product stripe-sim >&2
fi
BIN="${STRIPE_SIM_BIN:-$(swift build "${RELEASE_FLAGS[@]}" --show-bin-path)/stripe-sim}"
[ -x "$BIN" ] || { echo "no stripe-sim executable at $BIN" >&2; exit 1; }
