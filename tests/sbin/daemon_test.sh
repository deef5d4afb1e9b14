#!/usr/bin/env bash
# sbin/cafflow-daemon as an operator (or systemd) uses it: start, status and
# stop of each role; http counts as up while the master is still down (503);
# bad arguments; the foreground mode; SIGKILL after the stop timeout, taking
# the role's tasks along; each role's log rotating at log.max_file_bytes and
# keeping log.max_files. Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-daemon-XXXXXX")"
CONF="$T/conf/cafflow.ini"
RUN_PID=""

cleanup() {
  [ -z "$RUN_PID" ] || kill -KILL "$RUN_PID" 2>/dev/null || true
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
daemon() { "$SRC/sbin/cafflow-daemon" "$@" --conf "$CONF"; }
status_code() { local rc=0; daemon status "$@" > /dev/null || rc=$?; echo "$rc"; }

write_cluster_conf "[log]" "max_file_bytes = 4096" "max_files = 2"
mkdir -p "$T/xmlconfig/daemon" "$T/logs"
cat > "$T/xmlconfig/daemon/long.xml" <<'EOF'
<work-flow name="long" dir="/daemon">
  <start name="start" to="long"/>
  <action name="long"><shell><command>sleep 60</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
EOF

# Each role's log already holds more than log.max_file_bytes, and two rotated
# files exist: starting rotates it once more and keeps two rotated files.
for r in "master-$P1" "worker-$P2" "http-$P3"; do
  head -c 5000 /dev/zero | tr '\0' 'f' > "$T/logs/$r.log"
  echo old1 > "$T/logs/$r.1.log"
  echo old2 > "$T/logs/$r.2.log"
done

# 1. Nothing runs: status 3 for each role.
for role in master worker http; do
  [ "$(status_code "$role")" = 3 ] || fail "status of a stopped $role is not 3"
done

# 2. http first: up although the master is not (health answers 503).
out="$(daemon start http)" || fail "start http failed: $out"
expect_contains "$out" "started http 127.0.0.1:$P3"
[ "$(status_code http)" = 0 ] || fail "status of a running http is not 0"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P3/api/v1/health")"
[ "$code" = 503 ] || fail "health without a master answered $code"

out="$(daemon start master)" || fail "start master failed: $out"
expect_contains "$out" "started master 127.0.0.1:$P1"
out="$(daemon start worker --address "127.0.0.1:$P2")" || fail "start worker failed: $out"
expect_contains "$out" "started worker 127.0.0.1:$P2"
for role in master worker http; do
  [ "$(status_code "$role")" = 0 ] || fail "status of a running $role is not 0"
  pid="$(cat "$T/data/pids/$role-"*.pid)"
  expect_contains "$(tr '\0' ' ' < "/proc/$pid/cmdline")" "--role $role --conf $CONF"
done
expect_contains "$(daemon start master)" "is already running (pid $(cat "$T/data/pids/master-$P1.pid"))"
wait_for 30 "$SRC/sbin/cafflow" --conf "$CONF" cluster status > /dev/null || fail "no cluster status"
wait_for 30 bash -c "'$SRC/sbin/cafflow' --conf '$CONF' cluster status | grep -q '127.0.0.1:$P2'" \
  || fail "the worker did not register"

# Logs rotated: the filler moved to .1, old1 to .2, old2 is gone.
for r in "master-$P1" "worker-$P2" "http-$P3"; do
  [ "$(head -c 5 "$T/logs/$r.1.log")" = fffff ] || fail "$r.log did not rotate"
  [ "$(cat "$T/logs/$r.2.log")" = old1 ] || fail "$r.1.log did not move to $r.2.log"
  [ ! -e "$T/logs/$r.3.log" ] || fail "$r keeps more than log.max_files rotated files"
  # (info lines reach the file within a second: spdlog flushes every 1 s)
  wait_for 10 grep -q "starting at" "$T/logs/$r.log" || fail "$r.log has no start line"
  [ "$(stat -c %s "$T/logs/$r.log")" -lt 4096 ] || fail "$r.log is still over the limit"
done

# 3. Bad input: exit 2 (arguments) or 78 (config), naming what is wrong.
bad() { local want="$1" text="$2" out rc=0; shift 2; out="$("$@" 2>&1)" || rc=$?
        [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $out"; expect_contains "$out" "$text"; }
bad 2 "unknown role 'cook'" daemon start cook
bad 2 "unknown action 'restart'" daemon restart master
bad 2 "--address 127.0.0.1:1 is not in cluster.workers" daemon start worker --address 127.0.0.1:1
bad 2 "usage:" "$SRC/sbin/cafflow-daemon" status --conf "$CONF"
cp "$CONF" "$T/conf/bad.ini"
printf '[master]\ndrain_grace_s = soon\n' >> "$T/conf/bad.ini"
bad 78 "master.drain_grace_s: expected a whole number, got 'soon'" \
  "$SRC/sbin/cafflow-daemon" status master --conf "$T/conf/bad.ini"

# 4. Stop each role; stopping again is fine.
for role in http master; do
  out="$(daemon stop "$role")" || fail "stop $role failed"
  expect_contains "$out" "stopped $role"
  [ "$(status_code "$role")" = 3 ] || fail "status of a stopped $role is not 3"
done
expect_contains "$(daemon stop master)" "is not running"
echo 999999 > "$T/data/pids/master-$P1.pid"
expect_contains "$(daemon status master || true)" "stale pid file"

# 5. A stop that outlasts CAFFLOW_STOP_TIMEOUT ends in SIGKILL for the role
#    and its tasks (a task runs, the drain grace is 30 s).
daemon start master > /dev/null || fail "restart of the master failed"
daemon start http > /dev/null || fail "restart of http failed"
id="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run long)"
running() { [ "$("$SRC/sbin/cafflow" --conf "$CONF" --json instance show "$id" \
                | json_field "j['nodes'][1]['status']")" = running ]; }
wait_for 30 running || fail "the task did not start"
task_pid="$("$SRC/sbin/cafflow" --conf "$CONF" --json instance show "$id" | json_field "j['nodes'][1]['attempts'][0]['pid']")"
kill -0 "$task_pid" || fail "no task process"
out="$(CAFFLOW_STOP_TIMEOUT=1 daemon stop worker)" || fail "stop worker failed"
expect_contains "$out" "did not stop within 1s: killed"
[ "$(status_code worker)" = 3 ] || fail "the killed worker still counts as running"
wait_for 10 bash -c "! kill -0 $task_pid 2>/dev/null" || fail "the task outlived its killed worker"

# 6. Foreground mode (systemd Type=simple): status and stop see it.
"$SRC/sbin/cafflow-daemon" run worker --conf "$CONF" > "$T/run.out" 2>&1 &
RUN_PID=$!
wait_for 30 bash -c "grep -q 'worker 127.0.0.1:$P2 up' '$T/run.out'" || fail "run wrote nothing to stderr: $(cat "$T/run.out")"
[ "$(status_code worker)" = 0 ] || fail "status does not see the foreground worker"
[ "$(cat "$T/data/pids/worker-$P2.pid")" = "$RUN_PID" ] || fail "the pid file does not name the foreground process"
out="$(daemon stop worker)" || fail "stop of the foreground worker failed"
expect_contains "$out" "stopped worker"
wait "$RUN_PID" || fail "the foreground worker exited $? on SIGTERM"
RUN_PID=""

daemon stop http > /dev/null
daemon stop master > /dev/null
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
echo "PASS"
