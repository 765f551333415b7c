#!/usr/bin/env bash
# test.sh — `make test`: a fresh stack on the test profile's ports and data, migrated and
# seeded, then pytest (whose fixtures start the app), then the stack is stopped whatever
# happened. Exits with pytest's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every run starts from empty stores, so no test depends on what an earlier run left.
devstack/stack.sh down >/dev/null 2>&1 || true
rm -rf "$STACK_DIR"
devstack/stack.sh up
trap 'devstack/stack.sh down' EXIT
.venv/bin/ecommerce-stream migrate
.venv/bin/ecommerce-stream seed
.venv/bin/pytest "$@"
