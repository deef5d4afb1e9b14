#!/usr/bin/env bash
# The README's commands as a user runs them, against a throwaway config:
# start-cluster, the CLI, a crashed role restarted, stop-cluster leaving
# nothing behind. Always cleans up, also on failure.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-sbin-XXXXXX")"
CONF="$T/conf/cafflow.ini"

cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
write_cluster_conf

# 1. Start: every role, ready, the URL printed.
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
expect_contains "$out" "cafflow is ready: http://127.0.0.1:$P3"
expect_contains "$out" "started worker 127.0.0.1:$P2"
expect_contains "$out" "the web page: http://127.0.0.1:$P3/"
page="$(curl -sf "http://127.0.0.1:$P3/")" || fail "the web page does not answer"
expect_contains "$page" '<script src="/ui/app.js"></script>'
# A line per step: the build (up to date here, or its progress), each role
# as it starts, what it waits for.
expect_contains "$out" "setup: build"
expect_contains "$out" "starting master 127.0.0.1:$P1 (pid "
expect_contains "$out" "starting worker 127.0.0.1:$P2 (pid "
expect_contains "$out" "waiting for the API at http://127.0.0.1:$P3 and 1 worker(s) to register"

# 2. Master, worker and http are separate processes of this config.
for role in master worker http; do
  pgrep -f -- "--role $role --conf $CONF " > /dev/null || fail "no $role process"
done
[ "$(pgrep -f -- "--conf $CONF " | wc -l)" -eq 3 ] || fail "expected exactly 3 processes"
# The worker's task spawner is its child, saying whose it is.
worker_pid="$(cat "$T/data/pids/worker-$P2.pid")"
spawner_pid="$(pgrep -x -P "$worker_pid" cafflow-spawner)" || fail "the worker has no task spawner"
expect_contains "$(ps -o args= -p "$spawner_pid")" "cafflow-spawner --fd 3 --worker 127.0.0.1:$P2"

# 3. The CLI lists the examples, runs one to success and one to failure.
list="$("$SRC/sbin/cafflow" --conf "$CONF" workflow list)"
for wf in hello daily_etl always_fails etl_report orders_etl hello_parent; do expect_contains "$list" "$wf"; done
id="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run daily_etl -p day=2026-11-20)"
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$id" --timeout 60 > /dev/null \
  || fail "daily_etl did not succeed: $("$SRC/sbin/cafflow" --conf "$CONF" instance show "$id")"
# The ETL actions end to end (issue 14): CSV -> SQLite -> report -> mail as .eml.
etl="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run orders_etl -p day=2026-11-20 -p dir="$T/orders")"
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$etl" --timeout 120 > /dev/null \
  || fail "orders_etl did not succeed: $("$SRC/sbin/cafflow" --conf "$CONF" instance show "$etl")"
expect_contains "$(cat "$T/orders/out/report_2026-11-20.csv")" '"customer 1, Ltd",29,'
expect_contains "$(cat "$T"/logs/mail/*.eml)" "Subject: orders of 2026-11-20 loaded"
expect_contains "$("$SRC/sbin/cafflow" --conf "$CONF" --json instance show "$etl")" '"value": 200.0'
# A sub-workflow: hello runs as its child, and the two name each other.
parent="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run hello_parent)"
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$parent" --timeout 60 > /dev/null \
  || fail "hello_parent did not succeed: $("$SRC/sbin/cafflow" --conf "$CONF" instance show "$parent")"
expect_contains "$("$SRC/sbin/cafflow" --conf "$CONF" instance show "$parent")" "(node child)"
child="$("$SRC/sbin/cafflow" --conf "$CONF" instance list --workflow hello --trigger sub-workflow)"
expect_contains "$child" "succeeded"
bad="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run always_fails)"
set +e
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$bad" --timeout 60 > /dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "instance wait of a failed instance exited $rc, expected 1"
show="$("$SRC/sbin/cafflow" --conf "$CONF" instance show "$bad")"
expect_contains "$show" "node 'check' failed: exit code 3"
# A rerun of the failed node keeps the first attempt and adds one.
"$SRC/sbin/cafflow" --conf "$CONF" instance rerun "$bad" --failed > /dev/null || fail "rerun refused"
set +e
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$bad" --timeout 60 > /dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "the rerun of always_fails exited $rc, expected 1"
rerun="$("$SRC/sbin/cafflow" --conf "$CONF" --json instance show "$bad")"
expect_contains "$rerun" '"trigger": "rerun"'
expect_contains "$rerun" '"number": 2'

# A manual run has no downstream effect; a trigger makes etl_report fire.
none="$("$SRC/sbin/cafflow" --conf "$CONF" --json instance list --workflow etl_report)" \
  || fail "instance list failed: $none"
expect_contains "$none" '"instances": []'
tid="$("$SRC/sbin/cafflow" --conf "$CONF" workflow trigger daily_etl -p day=2026-11-21)"
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$tid" --timeout 60 > /dev/null || fail "triggered daily_etl did not succeed"
for _ in $(seq 1 100); do
  report="$("$SRC/sbin/cafflow" --conf "$CONF" instance list --workflow etl_report --trigger dependency)"
  case "$report" in *succeeded*) break ;; esac
  sleep 0.1
done
expect_contains "$report" "succeeded"
expect_contains "$("$SRC/sbin/cafflow" --conf "$CONF" workflow show etl_report)" "daily_etl"

# 4. Starting again starts nothing; a crashed role is restarted.
out="$("$SRC/sbin/start-cluster" --conf "$CONF")"
expect_contains "$out" "already running"
kill -KILL "$(cat "$T/data/pids/worker-$P2.pid")"
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "restart failed: $out"
expect_contains "$out" "started worker 127.0.0.1:$P2"

# 5. Stop: nothing of this config remains.
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed"
expect_contains "$out" "stopped 3 processes"
# It says what it waits for.
expect_contains "$out" "stopping master 127.0.0.1:$P1 (pid "
expect_contains "$out" "running attempts finish (master.drain_grace_s = 30s)"
expect_contains "$out" "stopping worker 127.0.0.1:$P2"
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
if pgrep -f -- "cafflow-spawner --fd 3 --worker 127.0.0.1:$P2" > /dev/null; then fail "the spawner is left"; fi
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")"
expect_contains "$out" "nothing of $CONF was running"

# 6. A bad config fails fast, naming the key.
echo "[worker]" >> "$CONF"
echo "slots = plenty" >> "$CONF"
if out="$("$SRC/sbin/start-cluster" --conf "$CONF" 2>&1)"; then fail "started with a bad config"; fi
expect_contains "$out" "worker.slots: expected a whole number, got 'plenty'"
echo "PASS"
