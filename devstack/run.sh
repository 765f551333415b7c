#!/usr/bin/env bash
# run.sh — `make run`: start the local stack, bring the schema and demo data up to date, and
# run the Faust worker (API, pages, agents) in the foreground. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

devstack/stack.sh up
trap 'devstack/stack.sh down' EXIT
.venv/bin/ecommerce-stream migrate
.venv/bin/ecommerce-stream seed
echo "serving http://localhost:${PORT:-3000} (shop) and /dashboard.html — Ctrl-C stops everything"
.venv/bin/ecommerce-stream worker -l info
