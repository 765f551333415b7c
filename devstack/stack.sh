#!/usr/bin/env bash
# stack.sh {up|down|status} — start/stop/inspect the whole local stack
# (MariaDB, then Kafka). Configuration: see mariadb.sh and kafka.sh.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"

case "${1:-}" in
up)
    "$here/mariadb.sh" start
    "$here/kafka.sh" start
    ;;
down)
    # Reverse order; MariaDB is stopped even if Kafka's stop failed.
    rc=0
    "$here/kafka.sh" stop || rc=$?
    "$here/mariadb.sh" stop || rc=$?
    exit "$rc"
    ;;
status)
    rc=0
    "$here/mariadb.sh" status || rc=$?
    "$here/kafka.sh" status || rc=$?
    exit "$rc"
    ;;
*)
    echo "usage: $0 {up|down|status}" >&2
    exit 2
    ;;
esac
