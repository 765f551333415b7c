#!/usr/bin/env bash
# run.sh — `make run`: start the local stack, bring the schema and demo data up to date, and
# run the app. It says "ready" once every process answers /api/health with status ok (joined
# its group, caught up, relayed once, connections open): the first orders are then as fast as
# the rest. Ctrl-C stops all of it.
#
# LAYOUT=split (the default: the faster on a machine of two or more cores, see
# bench/results/latest.md) runs two processes: a stream worker (relay, transformer, sink, owner
# of the embedded chDB) on STREAM_PORT (PORT + 1), and the API process on PORT, which forwards
# analytics reads to the stream worker and wakes its relay through Kafka after each commit.
# LAYOUT=single runs one worker that does everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-3000}"
LAYOUT="${LAYOUT:-split}"
STREAM_PORT="${STREAM_PORT:-$((PORT + 1))}"
FAUST_DATA_DIR="${FAUST_DATA_DIR:-.stack/run/faust}"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
PIDS=()

stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    devstack/stack.sh down
}

# wait_ready URL... — until each answers /api/health with status "ok", or READY_TIMEOUT.
wait_ready() {
    .venv/bin/python - "$READY_TIMEOUT" "$@" <<'PY'
import json, sys, time, urllib.request

deadline = time.monotonic() + float(sys.argv[1])
for url in sys.argv[2:]:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as answer:
                if json.load(answer).get("status") == "ok":
                    break
        except (OSError, ValueError):
            pass  # not up yet, or 503 while starting
        if time.monotonic() > deadline:
            sys.exit(f"run.sh: {url} not ready after {sys.argv[1]} s (see its log above)")
        time.sleep(0.2)
PY
}

# A second `make run` would fail to bind, and its exit would stop the stack under the first.
for port in "$PORT" "$STREAM_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "run.sh: something already listens on port $port (another make run?): stop it first" >&2
        exit 1
    fi
done

devstack/stack.sh up
trap stop_all EXIT
trap 'exit 130' INT TERM
.venv/bin/ecommerce-stream migrate
.venv/bin/ecommerce-stream seed

case "$LAYOUT" in
single)
    .venv/bin/ecommerce-stream worker -l info &
    PIDS+=($!)
    wait_ready "http://127.0.0.1:$PORT"
    ;;
split)
    ROLES=relay,transform,sink NICE=10 PORT="$STREAM_PORT" FAUST_DATA_DIR="$FAUST_DATA_DIR-stream" \
        .venv/bin/ecommerce-stream worker -l info &
    PIDS+=($!)
    ROLES=api STREAM_URL="http://127.0.0.1:$STREAM_PORT" FAUST_DATA_DIR="$FAUST_DATA_DIR-api" \
        .venv/bin/ecommerce-stream worker -l info &
    PIDS+=($!)
    echo "stream worker on :$STREAM_PORT (pid ${PIDS[0]}), API process on :$PORT (pid ${PIDS[1]})"
    wait_ready "http://127.0.0.1:$STREAM_PORT" "http://127.0.0.1:$PORT"
    ;;
*)
    echo "run.sh: LAYOUT is single or split, not $LAYOUT" >&2
    exit 2
    ;;
esac
echo "ready: http://localhost:$PORT (shop) and http://localhost:$PORT/dashboard.html — Ctrl-C stops everything"
# Until any process ends (Ctrl-C ends them all); the EXIT trap stops the rest and the stack.
wait -n
