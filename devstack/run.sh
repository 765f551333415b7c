#!/usr/bin/env bash
# run.sh — `make run`: start the local stack, bring the schema and demo data up to date, and
# run the app. Ctrl-C stops all of it.
#
# LAYOUT=split (the default: the faster on a machine of two or more cores, see
# bench/results/latest.md) runs two processes: a stream worker (relay, transformer, sink, owner
# of the embedded chDB) on STREAM_PORT (PORT + 1) in the background, and the API process on
# PORT in the foreground, which forwards analytics reads to the stream worker.
# LAYOUT=single runs one worker that does everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-3000}"
LAYOUT="${LAYOUT:-split}"
STREAM_PORT="${STREAM_PORT:-$((PORT + 1))}"
FAUST_DATA_DIR="${FAUST_DATA_DIR:-.stack/run/faust}"
STREAM_PID=""

stop_all() {
    if [ -n "$STREAM_PID" ] && kill -0 "$STREAM_PID" 2>/dev/null; then
        kill -TERM "$STREAM_PID" 2>/dev/null || true
        wait "$STREAM_PID" 2>/dev/null || true
    fi
    devstack/stack.sh down
}

devstack/stack.sh up
trap stop_all EXIT
.venv/bin/ecommerce-stream migrate
.venv/bin/ecommerce-stream seed

case "$LAYOUT" in
single)
    echo "serving http://localhost:$PORT (shop) and /dashboard.html — Ctrl-C stops everything"
    .venv/bin/ecommerce-stream worker -l info
    ;;
split)
    # The API process's commits wake the stream worker's relay through Kafka (outbox.commits).
    ROLES=relay,transform,sink PORT="$STREAM_PORT" FAUST_DATA_DIR="$FAUST_DATA_DIR-stream" \
        .venv/bin/ecommerce-stream worker -l info &
    STREAM_PID=$!
    echo "stream worker on :$STREAM_PORT (pid $STREAM_PID); API process on :$PORT"
    echo "serving http://localhost:$PORT (shop) and /dashboard.html — Ctrl-C stops everything"
    ROLES=api STREAM_URL="http://127.0.0.1:$STREAM_PORT" FAUST_DATA_DIR="$FAUST_DATA_DIR-api" \
        .venv/bin/ecommerce-stream worker -l info
    ;;
*)
    echo "run.sh: LAYOUT is single or split, not $LAYOUT" >&2
    exit 2
    ;;
esac
