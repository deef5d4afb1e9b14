#!/usr/bin/env bash
# A two-host cluster on one machine: two config roots ($T/a for host
# "127.0.0.1", $T/b for host "localhost"; both loopback), a worker on each
# (announcing the host names hosta and hostb), master and http on the first.
# start-cluster and stop-cluster on the first root reach the second host
# through a fake ssh that runs the command locally in the second root. A
# workflow pinned to each host runs there; an unreachable host is named; no
# process of either root is left. Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-2host-XXXXXX")"
A="$T/a" B="$T/b"
CONF="$A/conf/cafflow.ini"

cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "$T/" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
grep -q '^127\.0\.0\.1' <<< "$(getent hosts localhost)" \
  || { echo "SKIP: localhost does not resolve to 127.0.0.1 here"; exit 0; }
read -r P1 P2 P3 P4 < <(free_ports 4)

# The fake ssh: "fake-ssh [-o OPTION]... HOST COMMAND". Host localhost is the
# second root (the first root's paths in COMMAND become the second's, as the
# same install path holds another config there); any other host cannot be
# reached (exit 255, as ssh). Every call is logged.
mkdir -p "$T/bin"
cat > "$T/bin/fake-ssh" <<EOF
#!/usr/bin/env bash
echo "\$*" >> "$T/ssh.log"
while [ \$# -gt 0 ]; do
  case "\$1" in -o) shift 2 ;; -*) shift ;; *) break ;; esac
done
host="\$1"; shift
[ "\$host" = localhost ] || { echo "ssh: connect to host \$host port 22: Connection refused" >&2; exit 255; }
cmd="\$*" from="$A/" to="$B/"
export CAFFLOW_LOCAL_HOSTS=localhost
exec bash -c "\${cmd//"\$from"/"\$to"}"
EOF
chmod +x "$T/bin/fake-ssh"
export CAFFLOW_SSH="$T/bin/fake-ssh" CAFFLOW_LOCAL_HOSTS=127.0.0.1

for root in a b; do
  mkdir -p "$T/$root/conf" "$T/$root/xmlconfig"
  {
    printf '[cluster]\nmaster = 127.0.0.1:%s\nworkers = 127.0.0.1:%s, localhost:%s\nhttp = 127.0.0.1:%s\n' \
      "$P1" "$P2" "$P4" "$P3"
    printf '[worker]\nreconnect_interval_ms = 100\nhost = host%s\n' "$root"
  } > "$T/$root/conf/cafflow.ini"
done
for h in a b; do
  cat > "$A/xmlconfig/on_host$h.xml" <<EOF
<work-flow name="on_host$h">
  <start name="start" to="where"/>
  <action name="where" host="host$h"><shell><command>echo "ran on \$CAFFLOW_WORKER"</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
EOF
done
cli() { "$SRC/sbin/cafflow" --conf "$CONF" "$@"; }

# 1. One start-cluster starts both hosts' roles; host b's through ssh.
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
expect_contains "$out" "started worker localhost:$P4 (on localhost)"
expect_contains "$out" "started worker 127.0.0.1:$P2"
expect_contains "$out" "cafflow is ready: http://127.0.0.1:$P3"
ssh_calls="$(cat "$T/ssh.log")"
expect_contains "$ssh_calls" "BatchMode=yes"
expect_contains "$ssh_calls" "ConnectTimeout="
expect_contains "$ssh_calls" "localhost cd $SRC && sbin/cafflow-daemon start worker --address localhost:$P4 --conf $CONF"
pgrep -f -- "--role worker --conf $B/conf/cafflow.ini --address localhost:$P4" > /dev/null \
  || fail "no worker of the second root: $(pgrep -af cafflowd)"
[ -f "$B/data/pids/worker-$P4.pid" ] || fail "the second root has no pid file"
[ "$(pgrep -f -- "--conf $CONF " | wc -l)" -eq 3 ] || fail "expected 3 processes of the first root"
status="$(cli cluster status)"
expect_contains "$status" "hosta"
expect_contains "$status" "hostb"
# Starting again starts nothing, here or there.
expect_contains "$("$SRC/sbin/start-cluster" --conf "$CONF")" "all roles of $CONF are already running"

# 2. A workflow pinned to each host runs on that host's worker, in its root.
for h in a b; do
  id="$(cli workflow run "on_host$h")"
  cli instance wait "$id" --timeout 60 > /dev/null || fail "on_host$h did not succeed: $(cli instance show "$id")"
  worker="$(cli --json instance show "$id" | json_field "j['nodes'][1]['attempts'][0]['worker']")"
  want="127.0.0.1:$P2"; root="$A"
  [ $h = a ] || { want="localhost:$P4"; root="$B"; }
  [ "$worker" = "$want" ] || fail "on_host$h ran on $worker, not $want"
  expect_contains "$(cli instance log "$id" where)" "ran on $want"
  ls "$root/logs/tasks/$id/" > /dev/null 2>&1 || fail "on_host$h left no task log in $root"
done

# 3. Stop: the first root's processes and, over ssh, the second's.
out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed: $out"
expect_contains "$out" "stopped 3 processes of $CONF"
expect_contains "$out" "[localhost] cafflow-daemon: stopped worker localhost:$P4"
expect_contains "$(cat "$T/ssh.log")" "sbin/cafflow-daemon stop worker --address localhost:$P4"
if pgrep -f -- "$T/" > /dev/null; then fail "processes left: $(pgrep -af -- "$T/")"; fi

# 4. A host that cannot be reached is named, start and stop fail.
sed -i "s/^workers = .*/workers = 127.0.0.1:$P2, nohost:$P4/" "$CONF"
rc=0; out="$("$SRC/sbin/start-cluster" --conf "$CONF" 2>&1)" || rc=$?
[ $rc -ne 0 ] || fail "start-cluster succeeded without host nohost"
expect_contains "$out" "cannot reach host 'nohost' over ssh"
rc=0; out="$("$SRC/sbin/stop-cluster" --conf "$CONF" 2>&1)" || rc=$?
[ $rc -ne 0 ] || fail "stop-cluster succeeded without host nohost"
expect_contains "$out" "cannot reach host 'nohost' over ssh"
expect_contains "$out" "stopped 3 processes of $CONF"
if pgrep -f -- "$T/" > /dev/null; then fail "processes left: $(pgrep -af -- "$T/")"; fi
echo "PASS"
