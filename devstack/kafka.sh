#!/usr/bin/env bash
# kafka.sh {start|stop|status|topics|start-broker I|stop-broker I|kill-broker I|freeze|thaw} — a local
# Apache Kafka cluster in KRaft combined mode (each process is broker and
# controller), run from the official jars on Maven Central, with the project's
# topics created. Data, logs and pids live under $STACK_DIR/kafka.
#
# Env: STACK_DIR, STACK_CACHE_DIR, KAFKA_PORT (9092), KAFKA_LOCAL_BROKERS (1),
#      KAFKA_VERSION (4.0.2), KAFKA_HEAP_OPTS (-Xmx512m -Xms256m),
#      KAFKA_READY_TIMEOUT (90 s).
# Broker i (0-based) listens on KAFKA_PORT+2i (clients) and KAFKA_PORT+2i+1
# (controller), both on 127.0.0.1.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.0.2}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_LOCAL_BROKERS="${KAFKA_LOCAL_BROKERS:-1}"
# Small heaps: the 2-core dev/CI box also runs the Python test suite.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"

TOPICS=(order.events orders_analytics order.events.dlq)
TOPIC_PARTITIONS=3

case "$KAFKA_LOCAL_BROKERS" in
[1-5]) ;;
*) die "KAFKA_LOCAL_BROKERS must be 1..5 (got '$KAFKA_LOCAL_BROKERS')" ;;
esac
N="$KAFKA_LOCAL_BROKERS"
min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }
RF="$(min 3 "$N")"

KAFKA_DIR="$STACK_DIR/kafka"
TOPIC_LIST="$KAFKA_DIR/topics.txt"
# The jars depend only on the version, so all profiles share them.
DIST_DIR="$STACK_CACHE_DIR/kafka-$KAFKA_VERSION"
LIBS_DIR="$DIST_DIR/libs"
# A Maven local repo inside the cache rather than ~/.m2: the cache folder is
# then the whole story (deleting it is a clean slate) and nothing leaks into
# the user's own Maven setup.
M2_REPO="$STACK_CACHE_DIR/m2"
POM="$DEVSTACK_DIR/kafka/pom.xml"

client_port() { echo $((KAFKA_PORT + 2 * $1)); }
controller_port() { echo $((KAFKA_PORT + 2 * $1 + 1)); }
broker_dir() { echo "$KAFKA_DIR/broker-$1"; }
pid_file() { echo "$(broker_dir "$1")/kafka.pid"; }

bootstrap_servers() {
    local i out=""
    for ((i = 0; i < N; i++)); do out+="${out:+,}127.0.0.1:$(client_port "$i")"; done
    echo "$out"
}

ensure_java() {
    command -v java >/dev/null || die "java not found (Kafka 4 needs Java 17+)"
    local major
    major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17+, found '$major'"
}

# The stamp holds the pom's checksum, so editing the pom (e.g. a log4j bump)
# re-resolves, while an unchanged pom never touches the network again.
ensure_jars() {
    local want
    want="$(sha256sum "$POM" | cut -d' ' -f1)"
    [ "$(cat "$DIST_DIR/.complete" 2>/dev/null)" = "$want" ] && return 0
    command -v mvn >/dev/null || die "mvn not found; needed once to fetch the Kafka jars"
    mkdir -p "$DIST_DIR"
    # The lock lives in a subshell so its fd is not inherited by the brokers;
    # it serializes two profiles starting at once on a cold cache.
    (
        flock -w 900 9 || die "timed out waiting for another Kafka download"
        [ "$(cat "$DIST_DIR/.complete" 2>/dev/null)" = "$want" ] && exit 0
        log "resolving Apache Kafka $KAFKA_VERSION jars with Maven (first run only)"
        # A private copy of the pom keeps Maven's working files out of the repo.
        cp "$POM" "$DIST_DIR/pom.xml"
        rm -rf "$LIBS_DIR.tmp"
        if ! mvn -B -q -f "$DIST_DIR/pom.xml" -Dmaven.repo.local="$M2_REPO" \
            -Dkafka.version="$KAFKA_VERSION" \
            dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$LIBS_DIR.tmp" >"$DIST_DIR/mvn.log" 2>&1; then
            show_log_tail "$DIST_DIR/mvn.log"
            die "could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (try another KAFKA_VERSION)"
        fi
        # Swap in whole, so an interrupted download never looks complete.
        rm -rf "$LIBS_DIR"
        mv "$LIBS_DIR.tmp" "$LIBS_DIR"
        echo "$want" >"$DIST_DIR/.complete"
    ) 9>"$DIST_DIR/.lock"
}

# kafka_tool CLASS ARGS... — run one of Kafka's CLI classes. C1-only JIT and
# serial GC: these JVMs live for seconds, so startup time is all that matters.
kafka_tool() {
    local class="$1"
    shift
    java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        -Dlog4j2.configurationFile="$DEVSTACK_DIR/kafka/tools-log4j2.properties" \
        -cp "$LIBS_DIR/*" "$class" "$@"
}

# Adding or removing voters of a formatted static quorum would corrupt it, so
# a STACK_DIR stays bound to the broker count it was first formatted with.
check_topology() {
    local stamp="$KAFKA_DIR/brokers"
    if [ -f "$stamp" ]; then
        local was
        was="$(cat "$stamp")"
        [ "$was" = "$N" ] || die "$KAFKA_DIR was formatted for $was broker(s), KAFKA_LOCAL_BROKERS=$N; stop it and delete $KAFKA_DIR, or use another STACK_DIR"
    else
        mkdir -p "$KAFKA_DIR"
        echo "$N" >"$stamp"
    fi
}

cluster_id() {
    local file="$KAFKA_DIR/cluster.id"
    if [ ! -s "$file" ]; then
        kafka_tool kafka.tools.StorageTool random-uuid >"$file.tmp"
        mv "$file.tmp" "$file"
    fi
    cat "$file"
}

write_broker_config() {
    local i="$1" dir voters="" j
    dir="$(broker_dir "$i")"
    for ((j = 0; j < N; j++)); do
        voters+="${voters:+,}$((j + 1))@127.0.0.1:$(controller_port "$j")"
    done
    mkdir -p "$dir/data" "$dir/logs"
    cat >"$dir/server.properties" <<EOF
# Generated by devstack/kafka.sh — rewritten on every start.
process.roles=broker,controller
node.id=$((i + 1))
# A static voter set: fixed topology, no dynamic-quorum bootstrapping needed.
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(client_port "$i"),CONTROLLER://127.0.0.1:$(controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$i")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

num.partitions=$TOPIC_PARTITIONS
default.replication.factor=$RF
min.insync.replicas=$([ "$N" -ge 3 ] && echo 2 || echo 1)
offsets.topic.replication.factor=$RF
transaction.state.log.replication.factor=$RF
transaction.state.log.min.isr=$(min 2 "$N")
share.coordinator.state.topic.replication.factor=$RF
share.coordinator.state.topic.min.isr=$(min 2 "$N")
# The first consumer group / transaction creates these internal topics; the
# default 50 partitions each take noticeably long on a 2-core box.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
auto.create.topics.enable=true
# Tests start consumer groups constantly; the default 3 s delay would add up.
group.initial.rebalance.delay.ms=0
# A restarted combined node cannot re-register until the controller expires
# its previous incarnation's session (default 9 s); a shorter session makes a
# warm restart ~6 s faster and lets fault tests see a dead broker sooner.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=1000
# The log cleaner's 128 MiB default buffer is a quarter of our small heap.
log.cleaner.dedupe.buffer.size=33554432
EOF
}

format_storage() {
    local i="$1" dir
    dir="$(broker_dir "$i")"
    # meta.properties is written by a successful format; its presence means the
    # log dir (and the cluster's metadata) must be reused, never reformatted.
    [ -f "$dir/data/meta.properties" ] && return 0
    log "formatting storage of broker $i"
    if ! kafka_tool kafka.tools.StorageTool format -t "$(cluster_id)" \
        -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
        show_log_tail "$dir/format.log"
        die "formatting broker $i failed"
    fi
}

launch_broker() {
    local i="$1" dir port
    dir="$(broker_dir "$i")"
    if pid_of "$(pid_file "$i")" >/dev/null; then
        return 0
    fi
    for port in "$(client_port "$i")" "$(controller_port "$i")"; do
        if port_in_use "$port"; then
            die "127.0.0.1:$port (broker $i) is taken by another process; set KAFKA_PORT"
        fi
    done
    write_broker_config "$i"
    format_storage "$i"
    # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several options
    start_detached "$dir/kafka.out" java $KAFKA_HEAP_OPTS \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dkafka.logs.dir="$dir/logs" \
        -Dlog4j2.configurationFile="$DEVSTACK_DIR/kafka/log4j2.properties" \
        -cp "$LIBS_DIR/*" kafka.Kafka "$dir/server.properties" >"$(pid_file "$i")"
    log "broker $i starting (pid $(cat "$(pid_file "$i")"), 127.0.0.1:$(client_port "$i"))"
}

show_broker_logs() {
    local i="$1" dir
    dir="$(broker_dir "$i")"
    show_log_tail "$dir/logs/server.log"
    show_log_tail "$dir/kafka.out"
}

# The listing goes to a file so the readiness probe's answer is reused by
# ensure_topics instead of costing another JVM start.
list_topics() {
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap_servers)" \
        --list >"$TOPIC_LIST"
}

# A KRaft broker opens its client listener only after the controller has
# unfenced it, so an open port already means "registered and able to lead
# partitions"; a successful topic listing then proves metadata requests work.
# Port polls come first because each metadata check costs a JVM start.
wait_cluster_ready() {
    local deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) i pid rc
    for ((i = 0; i < N; i++)); do
        pid="$(pid_of "$(pid_file "$i")")" || { show_broker_logs "$i"; die "broker $i exited during startup"; }
        rc=0
        wait_for $((deadline > SECONDS ? deadline - SECONDS : 0)) "$pid" port_in_use "$(client_port "$i")" || rc=$?
        if [ "$rc" -ne 0 ]; then
            show_broker_logs "$i"
            [ "$rc" -eq 2 ] && die "broker $i exited during startup"
            die "broker $i not listening after ${KAFKA_READY_TIMEOUT} s"
        fi
    done
    if ! wait_for $((deadline > SECONDS ? deadline - SECONDS : 0)) "" list_topics; then
        for ((i = 0; i < N; i++)); do show_broker_logs "$i"; done
        die "cluster metadata not usable after ${KAFKA_READY_TIMEOUT} s"
    fi
}

# ensure_topics — create the missing ones among TOPICS, judged from the last
# list_topics: on a warm restart no JVM is started here at all.
ensure_topics() {
    local bootstrap topic
    bootstrap="$(bootstrap_servers)"
    for topic in "${TOPICS[@]}"; do
        if ! grep -qxF "$topic" "$TOPIC_LIST"; then
            kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
                --create --if-not-exists --topic "$topic" \
                --partitions "$TOPIC_PARTITIONS" --replication-factor "$RF" >/dev/null
            log "created topic $topic ($TOPIC_PARTITIONS partitions, RF $RF)"
        fi
    done
}

prepare() {
    ensure_java
    ensure_jars
    check_topology
}

start() {
    prepare
    local i
    # All brokers are launched before waiting: with 3 voters none can become
    # ready until a majority of controllers is up.
    for ((i = 0; i < N; i++)); do launch_broker "$i"; done
    wait_cluster_ready
    ensure_topics
    log "running: $N broker(s), bootstrap $(bootstrap_servers)"
}

# stop_pids PID... — SIGTERM all at once so every broker's controlled shutdown
# still finds a live controller quorum; SIGKILL only what hangs past 30 s.
stop_pids() {
    local pid deadline=$((SECONDS + 30))
    # A frozen broker (`freeze`) would not see the TERM before it is thawed.
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        if ! wait_gone "$pid" $((deadline > SECONDS ? deadline - SECONDS : 0)); then
            log "pid $pid ignored SIGTERM for 30 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
        fi
    done
}

stop() {
    local pids=() pidfile pid
    # Every broker dir, not just 0..N-1: stopping must not depend on the env
    # matching the one used at start.
    for pidfile in "$KAFKA_DIR"/broker-*/kafka.pid; do
        [ -e "$pidfile" ] || continue
        if pid="$(pid_of "$pidfile")"; then pids+=("$pid"); fi
    done
    if [ "${#pids[@]}" -eq 0 ]; then
        log "not running"
        return 0
    fi
    stop_pids "${pids[@]}"
    rm -f "$KAFKA_DIR"/broker-*/kafka.pid
    log "stopped ${#pids[@]} broker(s)"
}

broker_index() {
    case "${1:-}" in
    '' | *[!0-9]*) die "broker index required (0..$((N - 1)))" ;;
    esac
    [ "$1" -lt "$N" ] || die "broker index $1 out of range 0..$((N - 1))"
    echo "$1"
}

start_broker() {
    local i
    i="$(broker_index "${1:-}")"
    prepare
    launch_broker "$i"
    wait_cluster_ready
}

stop_broker() {
    local i pid
    i="$(broker_index "${1:-}")"
    if pid="$(pid_of "$(pid_file "$i")")"; then
        stop_pids "$pid"
        rm -f "$(pid_file "$i")"
        log "broker $i stopped"
    else
        log "broker $i not running"
    fi
}

# kill_broker I — SIGKILL, as a crashed machine would: no controlled shutdown.
kill_broker() {
    local i pid
    i="$(broker_index "${1:-}")"
    if pid="$(pid_of "$(pid_file "$i")")"; then
        kill -KILL "$pid"
        wait_gone "$pid" 10 || die "broker $i (pid $pid) survived SIGKILL"
        rm -f "$(pid_file "$i")"
        log "broker $i killed"
    else
        log "broker $i not running"
    fi
}

# freeze | thaw — SIGSTOP / SIGCONT every broker: a cluster that hangs (connections open, no
# answer) rather than one that is gone, as a stalled machine or a long GC pause looks.
signal_brokers() {
    local sig="$1" i pid
    for ((i = 0; i < N; i++)); do
        if pid="$(pid_of "$(pid_file "$i")")"; then
            kill "-$sig" "$pid"
            log "broker $i: SIG$sig"
        else
            die "broker $i not running"
        fi
    done
}

status() {
    local i pid up=0
    for ((i = 0; i < N; i++)); do
        if pid="$(pid_of "$(pid_file "$i")")"; then
            echo "kafka broker $i: running (pid $pid, 127.0.0.1:$(client_port "$i"))"
            up=$((up + 1))
        else
            echo "kafka broker $i: stopped"
        fi
    done
    if [ "$up" -eq "$N" ]; then
        echo "kafka: running (bootstrap $(bootstrap_servers))"
        return 0
    fi
    [ "$up" -eq 0 ] && echo "kafka: stopped" || echo "kafka: degraded ($up/$N brokers)"
    return 3
}

topics() {
    prepare
    list_topics
    ensure_topics
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap_servers)" \
        --describe --exclude-internal
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
topics) topics ;;
start-broker) start_broker "${2:-}" ;;
stop-broker) stop_broker "${2:-}" ;;
kill-broker) kill_broker "${2:-}" ;;
freeze) signal_brokers STOP ;;
thaw) signal_brokers CONT ;;
*)
    echo "usage: $0 {start|stop|status|topics|start-broker I|stop-broker I|kill-broker I|freeze|thaw}" >&2
    exit 2
    ;;
esac
