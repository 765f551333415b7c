#!/usr/bin/env bash
# churn-drill.sh [RUNS] — `make churn-drill`: the rebalancing fault drill (a second worker leaves
# and rejoins four times under 40 orders/s) repeated RUNS times (default 10) with the outbox
# audit switched off, so nothing repairs what the consumer loses. Prints, and writes to
# test-artifacts/churn-drill.md, the accepted orders missing from ClickHouse after each run.
# A measurement of the stream processor, not a CI test: CI runs the drill once, audit on.
# DRILL_STATIC_MEMBERSHIP=1 gives each worker its own KAFKA_GROUP_INSTANCE_ID.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${1:-10}"
report=test-artifacts/churn-drill.md
mkdir -p test-artifacts
printf '| run | orders in MySQL | counted in ClickHouse | lost | rebalances seen by worker 1 |'\
' records read again | analytics exact after the load | drill |\n|---|---|---|---|---|---|---|---|\n' >"$report"
total=0
for run in $(seq 1 "$runs"); do
    log="test-artifacts/churn-drill-$run.log"
    if OUTBOX_AUDIT=false make --no-print-directory test-faults \
        PYTEST_ARGS="-k rebalances_every" >"$log" 2>&1; then verdict=passed; else verdict=failed; fi
    # The drill's row of test-artifacts/faults.md: its 6th and 7th columns are the orders in
    # MySQL and those counted in ClickHouse.
    row="$(grep -F 'rebalancing' test-artifacts/faults.md 2>/dev/null || true)"
    if [[ -z "$row" ]]; then
        echo "run $run: the drill wrote no result (see $log)"
        printf '| %s | - | - | - | no result |\n' "$run" >>"$report"
        continue
    fi
    in_mysql="$(awk -F'|' '{gsub(/ /, "", $6); print $6}' <<<"$row")"
    counted="$(awk -F'|' '{gsub(/ /, "", $7); print $7}' <<<"$row")"
    exact="$(awk -F'|' '{gsub(/^ +| +$/, "", $10); print $10}' <<<"$row")"
    lost=$((in_mysql - counted))
    total=$((total + lost))
    # What the workers logged: each rebalance ends in a seek to the committed offsets, and
    # the consumer logs each record that came ahead of its partition's next unread offset.
    rebalances="$(grep -c 'Seek stream partitions to committed offsets' .stack/faults/worker-1.log)"
    read_again="$(cat .stack/faults/worker-*.log | grep -c 'reading again from')"
    if ((lost > 0)); then  # the next run wipes the stack: keep what tells where they went
        for log_file in .stack/faults/worker-*.log; do
            cp "$log_file" "test-artifacts/churn-drill-$run-$(basename "$log_file")"
        done
    fi
    echo "run $run: $lost of $in_mysql orders lost ($verdict)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$run" "$in_mysql" "$counted" "$lost" \
        "$rebalances" "$read_again" "$exact" "$verdict" >>"$report"
done
echo "lost in $runs runs: $total (table: $report)"
