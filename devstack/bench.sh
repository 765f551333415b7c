#!/usr/bin/env bash
# bench.sh — `make bench`: a fresh stack on the bench profile's ports and data, migrated and
# seeded, then `python -m bench` (which starts and stops its own workers), then the stack is
# stopped whatever happened. Arguments go to `python -m bench`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The benchmark records each worker's pid beside this name (bench-worker-<name>.pid), so an
# interrupted run leaves none behind.
WORKER_PID_FILE="$STACK_DIR/bench-worker.pid"
stop_all() {
    local file pid
    for file in "$STACK_DIR"/bench-worker-*.pid; do
        [ -s "$file" ] || continue
        pid="$(tr -dc '0-9' <"$file")"
        [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    done
    devstack/stack.sh down
}

# Every run starts from empty stores: results never depend on what an earlier run left.
devstack/stack.sh down >/dev/null 2>&1 || true
rm -rf "$STACK_DIR"
devstack/stack.sh up
trap stop_all EXIT
.venv/bin/ecommerce-stream migrate
.venv/bin/ecommerce-stream seed
# From the project root: the benchmark is a package of the checkout, not of the installed app.
.venv/bin/python -m bench --worker-pid-file "$WORKER_PID_FILE" "$@"
