#!/usr/bin/env bash
# A master with a standby ([cluster] standby) run by the sbin scripts:
# start-cluster starts both (the master active, the standby waiting for the
# master lease); the master killed (SIGKILL), the standby takes over with the
# next epoch; the old master started again (cafflow-daemon start master) waits
# as the standby; stop-cluster stops every process — the waiting one first,
# so that it never takes the lease over — and leaves none. Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-standby-XXXXXX")"
CONF="$T/conf/cafflow.ini"

cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
daemon() { "$SRC/sbin/cafflow-daemon" "$@" --conf "$CONF"; }
now() { date +%s.%N; }
since() { python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$1"; }

# master P1, worker P2, http P3, standby P4.
read -r P1 P2 P3 P4 < <(free_ports 4)
MASTER="127.0.0.1:$P1" STANDBY="127.0.0.1:$P4"
mkdir -p "$T/conf" "$T/xmlconfig"
cp -r "$SRC/xmlconfig/examples" "$T/xmlconfig/"
{
  printf '[cluster]\nmaster = %s\nstandby = %s\nworkers = 127.0.0.1:%s\nhttp = 127.0.0.1:%s\n' \
    "$MASTER" "$STANDBY" "$P2" "$P3"
  printf '[worker]\nreconnect_interval_ms = 100\n'
} > "$CONF"

# GET /api/v1/cluster; a field of the master process at an address; whether
# the masters' roles are as given (and, optionally, the epoch).
cluster_json() { curl -sf --max-time 2 "http://127.0.0.1:$P3/api/v1/cluster"; }
master_field() { cluster_json | json_field "[m for m in j['masters'] if m['address'] == '$1'][0]['$2']"; }
epoch() { cluster_json | json_field "j['epoch']"; }
roles_are() {
  local json
  json="$(cluster_json)" || return 1
  [ "$(json_field "[m for m in j['masters'] if m['address'] == '$MASTER'][0]['role']" <<< "$json")" = "$1" ] \
    && [ "$(json_field "[m for m in j['masters'] if m['address'] == '$STANDBY'][0]['role']" <<< "$json")" = "$2" ] \
    && [ "$(json_field "j['master_reachable']" <<< "$json")" = True ] \
    && { [ -z "${3:-}" ] || [ "$(json_field "j['epoch']" <<< "$json")" = "$3" ]; }
}
pid_of() { cat "$T/data/pids/$1-${2##*:}.pid"; }
# A role's log lines after line $3 (lines written by a later start).
log_after() { tail -n "+$(($3 + 1))" "$T/logs/$1-${2##*:}.log"; }
log_lines() { wc -l < "$T/logs/$1-${2##*:}.log"; }

# 1. start-cluster: four processes, the master active, the standby waiting.
t0="$(now)"
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
echo "start-cluster took $(since "$t0") s"
expect_contains "$out" "started master $MASTER"
expect_contains "$out" "started standby $STANDBY"
expect_contains "$out" "cafflow is ready: http://127.0.0.1:$P3"
for role in master standby worker http; do
  pgrep -f -- "--role $role --conf $CONF " > /dev/null || fail "no $role process"
done
[ "$(pgrep -f -- "--conf $CONF " | wc -l)" -eq 4 ] || fail "expected exactly 4 processes: $(pgrep -af -- "--conf $CONF ")"
[ "$(daemon status standby)" = "standby $STANDBY is running (pid $(pid_of standby "$STANDBY"))" ] \
  || fail "status standby: $(daemon status standby || true)"
wait_for 15 roles_are active standby \
  || fail "the master is not active with the standby waiting: $(cluster_json || true)"
epoch1="$(epoch)"
[ -n "$epoch1" ] || fail "no epoch in: $(cluster_json || true)"
[ "$(master_field "$MASTER" pid)" = "$(pid_of master "$MASTER")" ] \
  || fail "the active master's pid is not the master's pid file's: $(cluster_json)"
[ "$(master_field "$STANDBY" pid)" = "$(pid_of standby "$STANDBY")" ] \
  || fail "the standby's pid is not the standby's pid file's: $(cluster_json)"
expect_contains "$(cat "$T/logs/standby-$P4.log")" "the active master is $MASTER"
expect_contains "$(daemon start standby)" "standby $STANDBY is already running"

# 2. The master killed: the standby takes over, one epoch higher.
master_pid="$(pid_of master "$MASTER")"
t0="$(now)"
kill -KILL "$master_pid"
wait_for 15 roles_are standby active "$((epoch1 + 1))" \
  || fail "the standby did not take over within 15 s (epoch was $epoch1): $(cluster_json || true)"
echo "the standby took over after $(since "$t0") s (epoch $epoch1 -> $((epoch1 + 1)))"
rc=0; daemon status master > /dev/null || rc=$?
[ $rc -eq 3 ] || fail "status of the killed master is $rc, not 3"

# 3. The old master started again waits as the standby.
mark="$(log_lines master "$MASTER")"
t0="$(now)"
out="$(daemon start master)" || fail "start master failed: $out"
echo "cafflow-daemon start master (waiting) took $(since "$t0") s"
expect_contains "$out" "started master $MASTER"
new_pid="$(pid_of master "$MASTER")"
[ "$new_pid" != "$master_pid" ] || fail "the master was not started again"
expect_contains "$(log_after master "$MASTER" "$mark")" "the active master is $STANDBY"
waits_again() { roles_are standby active "$((epoch1 + 1))" && [ "$(master_field "$MASTER" pid)" = "$new_pid" ]; }
wait_for 15 waits_again || fail "the restarted master does not wait as the standby: $(cluster_json || true)"

# 4. stop-cluster stops all four (the waiting master first: it does not take
#    the lease over while the standby drains); nothing is left.
t0="$(now)"
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed: $out"
echo "stop-cluster (standby active) took $(since "$t0") s"
expect_contains "$out" "stopped 4 processes"
case "$out" in *killed*) fail "stop-cluster had to kill: $out" ;; esac
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
case "$(log_after master "$MASTER" "$mark")" in
  *"takes the master lease"*|*"takes over from"*) fail "the waiting master took the lease while the cluster stopped" ;;
esac

# 5. Once more from the start: the master is active again; stop-cluster stops
#    the waiting standby before the master drains, so it never takes over.
mark="$(log_lines standby "$STANDBY")"
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "the second start-cluster failed: $out"
expect_contains "$out" "started standby $STANDBY"
wait_for 15 roles_are active standby || fail "after a restart the master is not active: $(cluster_json || true)"
t0="$(now)"
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed: $out"
echo "stop-cluster (master active) took $(since "$t0") s"
expect_contains "$out" "stopped 4 processes"
case "$out" in *killed*) fail "stop-cluster had to kill: $out" ;; esac
if pgrep -f -- "--conf $CONF " > /dev/null; then fail "processes left: $(pgrep -af -- "--conf $CONF ")"; fi
case "$(log_after standby "$STANDBY" "$mark")" in
  *"takes the master lease"*|*"takes over from"*) fail "the standby took the lease while the cluster stopped" ;;
esac
expect_contains "$("$SRC/sbin/stop-cluster" --conf "$CONF")" "nothing of $CONF was running"

# 6. Without [cluster] standby the role is refused, naming the key.
sed -i '/^standby = /d' "$CONF"
rc=0; out="$(daemon start standby 2>&1)" || rc=$?
[ $rc -eq 2 ] || fail "start standby without a standby configured exited $rc, expected 2: $out"
expect_contains "$out" "no standby is configured"
expect_contains "$out" "cluster.standby"
echo "PASS"
