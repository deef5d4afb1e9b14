#!/usr/bin/env bash
# The small things of the command line against a real cluster: `workflow
# list` names the files that did not load (invalid, conflicting) with their
# first error; `instance list`/`show` give the logical time in its zone;
# `instance log -f` on a node that has not started waits for it (and fails
# clearly for one that never will). Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-cli-XXXXXX")"
CONF="$T/conf/cafflow.ini"
cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"
write_cluster_conf "[schedule]" "timezone = America/New_York"
cli() { "$SRC/sbin/cafflow" --conf "$CONF" "$@"; }
mkdir -p "$T/xmlconfig/mine"
cat > "$T/xmlconfig/mine/slow.xml" <<'XML'
<work-flow name="slow">
  <start name="start" to="first"/>
  <action name="first"><shell><command>sleep 3</command></shell><ok to="second"/></action>
  <action name="second"><shell><command>echo second-ran</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
XML
cat > "$T/xmlconfig/mine/broken.xml" <<'XML'
<work-flow name="broken">
  <start name="start" to="nowhere"/>
  <end name="end"/>
</work-flow>
XML
sed 's/name="slow"/name="hello"/' "$T/xmlconfig/mine/slow.xml" > "$T/xmlconfig/mine/hello_again.xml"

out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
loaded() { cli workflow list | grep -q '^slow '; }
wait_for 30 loaded || fail "slow was not loaded: $(cli workflow list)"
list="$(cli workflow list)"
expect_contains "$list" "not loaded"
expect_contains "$list" "$T/xmlconfig/mine/broken.xml"
expect_contains "$list" "nowhere"
grep -q "hello_again.xml *conflict\|hello.xml *conflict" <<< "$list" || fail "no conflict shown: $list"

# The logical time in the workflow's zone, named.
id="$(cli workflow run slow --logical-time '2026-07-04 09:30:00')"
expect_contains "$(cli instance show "$id")" "logical    2026-07-04 09:30:00 America/New_York"
expect_contains "$(cli instance list --workflow slow)" "2026-07-04 09:30:00 America/New_York"

# Following a node that has not started: it waits, then prints its log.
rc=0; log="$(timeout 60 "$SRC/sbin/cafflow" --conf "$CONF" instance log "$id" second -f 2>"$T/log.err")" || rc=$?
[ $rc -eq 0 ] || fail "instance log -f of a pending node: exit $rc ($(cat "$T/log.err"))"
expect_contains "$log" "second-ran"
expect_contains "$(cat "$T/log.err")" "waiting for it to start"
# A node that will never run: a clear failure, no endless wait.
cli instance wait "$id" --timeout 60 > /dev/null || fail "slow failed"
rc=0; out="$(cli instance log "$id" start -f 2>&1)" || rc=$?
[ $rc -ne 0 ] || fail "instance log -f of the start node succeeded: $out"
echo "PASS"
