# Sourced by instructions.sh and hot-symbols.sh, after release.sh (which sets BIN) and with WORK set to a scratch
# folder: installs valgrind when it is missing, puts a copy of BIN without debug information at
# $WORK/stripe-sim (valgrind 3.19, Debian 12's, cannot read the DWARF 5 of a Swift 6 build; the symbols stay),
# and picks a free loopback port (PORT, URL). The servers it starts listen on 127.0.0.1 only.
if ! command -v valgrind >/dev/null 2>&1; then
    echo "[bench] installing valgrind" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >&2
fi
strip --strip-debug -o "$WORK/stripe-sim" "$BIN"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT"
VPID=""

# callgrind_serve OUT [valgrind options…]: starts `stripe-sim serve` under callgrind (with the options in the
# array SERVE_ARGS, if set), writing OUT when it stops, and returns once it answers (VPID is its process).
callgrind_serve() {
    local out="$1"
    shift
    valgrind --tool=callgrind "$@" --callgrind-out-file="$out" "$WORK/stripe-sim" serve --port "$PORT" \
        ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"} \
        --log-level warning >"$out.log" 2>&1 &
    VPID=$!
    for _ in $(seq 1 300); do
        curl -s -o /dev/null --max-time 1 "$URL/healthz" && return 0
        sleep 0.2
    done
    echo "[bench] the server under callgrind did not answer within a minute (log: $out.log)" >&2
    return 1
}

# callgrind_stop: stops it (SIGINT: a graceful shutdown) and waits for callgrind to write its file.
callgrind_stop() {
    kill -INT "$VPID"
    wait "$VPID" 2>/dev/null || true
    VPID=""
}
