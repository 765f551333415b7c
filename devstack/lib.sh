# shellcheck shell=bash
# lib.sh — helpers shared by the devstack service scripts (sourced, not run).
# Keeps path defaults, pid-file handling and bounded polling in one place so
# mariadb.sh and kafka.sh behave the same way.

DEVSTACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$DEVSTACK_DIR/.." && pwd)"

# Per-profile state (data, logs, pids). The Makefile exports a different one
# per profile (run/test) so the profiles never share data.
STACK_DIR="${STACK_DIR:-$REPO_DIR/.stack/run}"
# Downloads are profile-independent, so every profile shares one cache.
STACK_CACHE_DIR="${STACK_CACHE_DIR:-$REPO_DIR/.stack/cache}"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# alive PID — true while the process runs. A killed server stays visible to
# kill -0 as a zombie until PID 1 reaps it, which here can take a while.
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ]
}

# pid_of PIDFILE — prints the pid if that process is alive. A stale pid file
# (left by a crash or a reboot) is removed so callers only see live processes.
pid_of() {
    local pidfile="$1" pid
    [ -s "$pidfile" ] || return 1
    pid="$(tr -dc '0-9' <"$pidfile")"
    if [ -n "$pid" ] && alive "$pid"; then
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$pidfile"
    return 1
}

# wait_for TIMEOUT_S PID_OR_EMPTY CMD... — poll CMD until it succeeds.
# Fails early if the watched process died, because waiting out the full
# timeout on a server that already crashed only hides the cause.
wait_for() {
    local timeout="$1" pid="$2"
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$pid" ] && ! alive "$pid"; then
            return 2
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.5
    done
}

# wait_gone PID TIMEOUT_S — true once the process has exited.
wait_gone() {
    local pid="$1" deadline=$((SECONDS + $2))
    while alive "$pid"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

show_log_tail() {
    local file="$1"
    if [ -f "$file" ]; then
        echo "----- last lines of $file -----" >&2
        tail -n 40 "$file" >&2
        echo "-----" >&2
    fi
}

# port_in_use PORT — true if something accepts TCP connections on 127.0.0.1:PORT.
# Uses bash's /dev/tcp so no extra tool (nc, ss) is needed.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_detached LOGFILE CMD... — run CMD in its own session so that a Ctrl-C
# in the shell that ran `make up` does not take the server down with it.
# Prints the pid (setsid/nohup exec in place, so $! is the server itself).
start_detached() {
    local logfile="$1"
    shift
    setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
    printf '%s\n' "$!"
}
