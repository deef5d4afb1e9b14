#!/usr/bin/env bash
# Graceful stop: an attempt running while stop-cluster runs is not killed —
# it finishes and its instance ends succeeded (after the next start if need
# be), the next node included. With drain graces shorter than a task, the
# task is killed and its worker's result ("killed", not "lost") survives both
# processes in the worker's outbox file. Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-drain-XXXXXX")"
CONF="$T/conf/cafflow.ini"

cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  pkill -KILL -f -- "$T/" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
cli() { "$SRC/sbin/cafflow" --conf "$CONF" "$@"; }

write_cluster_conf
mkdir -p "$T/xmlconfig/drain"
# nap runs until the test lets it end (the file $T/release), and says when
# it is done; `after` runs after it.
cat > "$T/xmlconfig/drain/nap.xml" <<EOF
<work-flow name="nap" dir="/drain">
  <start name="start" to="nap"/>
  <action name="nap"><shell><command>echo nap-started; while [ ! -e $T/release ]; do sleep 0.1; done; echo nap-finished</command></shell><ok to="after"/></action>
  <action name="after"><shell><command>echo after-ran</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
EOF
cat > "$T/xmlconfig/drain/long.xml" <<'EOF'
<work-flow name="long" dir="/drain">
  <start name="start" to="long"/>
  <action name="long"><shell><command>echo long-started; sleep 60</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
EOF

node_status() { cli --json instance show "$1" | json_field "[n for n in j['nodes'] if n['name'] == '$2'][0]['status']"; }
running() { [ "$(node_status "$1" "$2")" = running ]; }

# 1. A running attempt survives stop-cluster: it finishes, is not killed.
"$SRC/sbin/start-cluster" --conf "$CONF" > /dev/null || fail "start-cluster failed"
id="$(cli workflow run nap)"
wait_for 30 running "$id" nap || fail "nap did not start: $(cli instance show "$id")"
"$SRC/sbin/stop-cluster" --conf "$CONF" > "$T/stop.out" 2>&1 &
stopper=$!
# The worker drains with nap still running; then nap may end.
worker_drains() { grep -q "stopping: no new attempts; 1 running tasks may finish" "$T"/logs/worker-*.log; }
wait_for 60 worker_drains || fail "the worker did not drain: $(cat "$T"/logs/worker-*.log)"
touch "$T/release"
wait "$stopper" || fail "stop-cluster failed: $(cat "$T/stop.out")"
out="$(cat "$T/stop.out")"
expect_contains "$out" "stopped 3 processes"
case "$out" in *killed*) fail "stop-cluster had to kill: $out" ;; esac
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
expect_contains "$(cat "$T"/logs/worker-*.log)" "stopping: no new attempts; 1 running tasks may finish"
expect_contains "$(cat "$T"/logs/master-*.log)" "drained: no attempt runs"

"$SRC/sbin/start-cluster" --conf "$CONF" > /dev/null || fail "the second start-cluster failed"
cli instance wait "$id" --timeout 60 > /dev/null || fail "nap did not succeed: $(cli instance show "$id")"
[ "$(node_attempts "$id" nap)" = "1 succeeded" ] || fail "nap ran as: $(node_attempts "$id" nap)"
[ "$(node_attempts "$id" after)" = "1 succeeded" ] || fail "after ran as: $(node_attempts "$id" after)"
expect_contains "$(cli instance log "$id" nap)" "nap-finished"
expect_contains "$(cli instance log "$id" after)" "after-ran"

# 2. Drain graces shorter than the task: the task is killed after them; the
#    result reaches the next master from the worker's outbox file.
"$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null || fail "stop-cluster failed"
printf '[master]\ndrain_grace_s = 1\n' >> "$CONF"
sed -i 's/^\[worker\]$/[worker]\ndrain_grace_s = 1\nkill_grace_s = 1/' "$CONF"
"$SRC/sbin/start-cluster" --conf "$CONF" > /dev/null || fail "start-cluster failed"
id2="$(cli workflow run long)"
wait_for 30 running "$id2" long || fail "long did not start: $(cli instance show "$id2")"
task_pid="$(cli --json instance show "$id2" | json_field "[n for n in j['nodes'] if n['name'] == 'long'][0]['attempts'][0]['pid']")"
{ [ -n "$task_pid" ] && kill -0 "$task_pid"; } || fail "no pid for the running task: $(cli --json instance show "$id2")"
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed: $out"
case "$out" in *killed*) fail "stop-cluster had to SIGKILL a role: $out" ;; esac
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
! kill -0 "$task_pid" 2>/dev/null || fail "the task (pid $task_pid) outlived its worker"
worker_log="$(cat "$T"/logs/worker-*.log)"
expect_contains "$worker_log" "the drain grace is over: 1 running tasks get SIGTERM"
expect_contains "$worker_log" "kept in"
ls "$T"/data/work/*.outbox.json > /dev/null 2>&1 || fail "no outbox file was kept"

"$SRC/sbin/start-cluster" --conf "$CONF" > /dev/null || fail "the third start-cluster failed"
set +e
cli instance wait "$id2" --timeout 60 > /dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "long ended with wait exit $rc: $(cli instance show "$id2")"
[ "$(node_attempts "$id2" long)" = "1 killed" ] || fail "long's attempt: $(node_attempts "$id2" long)"
if ls "$T"/data/work/*.outbox.json > /dev/null 2>&1; then fail "the outbox file was not taken back"; fi
echo "PASS"
