#!/usr/bin/env bash
# Bounded history and backups, as an operator uses them: the master's
# [retention] deletes old ended instances and workflow versions beyond the
# newest K in the background, the worker old task logs; `cafflow history
# prune --before` (with --dry-run) does it by hand; `cafflow store backup`
# copies the running store and `store restore` brings it back (refused while
# a master runs). Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-retention-XXXXXX")"
CONF="$T/conf/cafflow.ini"
cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"
write_cluster_conf "[retention]" "days = 1" "log_days = 1" "work_dir_days = 1" \
  "xml_versions = 1" "interval_s = 1"
cli() { "$SRC/sbin/cafflow" --conf "$CONF" "$@"; }
DB="$T/data/cafflow.db"
sql() { python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
rows = c.execute(sys.argv[2]).fetchall()
c.commit()
print("\n".join("|".join(str(v) for v in r) for r in rows))' "$DB" "$1"; }

out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
run_hello() {
  local id
  id="$(cli workflow run hello)" || fail "cannot run hello"
  cli instance wait "$id" --timeout 60 > /dev/null || fail "hello $id failed"
  echo "$id"
}
old="$(run_hello)"
young="$(run_hello)"
[ -d "$T/logs/tasks/$old" ] || fail "no task logs of $old in $T/logs/tasks"

# 1. The master deletes an instance that ended more than `days` ago (made so
#    here), with its nodes and attempts; the young one stays.
sql "UPDATE instance SET finished_at = finished_at - 3 * 86400000 WHERE id = '$old'" > /dev/null
gone() { ! cli instance show "$1" > /dev/null 2>&1; }
wait_for 30 gone "$old" || fail "the master did not delete $old (ended 3 days ago)"
[ "$(sql "SELECT COUNT(*) FROM attempt WHERE instance_id = '$old'")" = 0 ] || fail "attempts of $old left"
[ "$(sql "SELECT COUNT(*) FROM node_instance WHERE instance_id = '$old'")" = 0 ] || fail "nodes of $old left"
cli instance show "$young" > /dev/null || fail "the young instance $young was deleted"
grep -q "retention: deleted 1 instances" "$T"/logs/master-*.log || fail "the master's log does not say what it deleted"

# 2. The worker removes task logs nobody wrote to for more than log_days.
find "$T/logs/tasks/$old" -exec touch -d '3 days ago' {} +
wait_for 30 test ! -e "$T/logs/tasks/$old" || fail "the worker kept the old task logs of $old"
[ -d "$T/logs/tasks/$young" ] || fail "the worker removed the young task logs"

# 3. Versions beyond the newest xml_versions (1) go.
for v in 2 3; do
  printf '<!-- version %s -->\n' "$v" >> "$T/xmlconfig/examples/hello.xml"
  wait_for 30 bash -c "'$SRC/sbin/cafflow' --conf '$CONF' --json workflow show hello | grep -q '\"version\": $v'" \
    || fail "hello version $v was not loaded"
done
versions() { sql "SELECT COUNT(*) FROM workflow_version WHERE workflow = 'hello'"; }
one_version() { [ "$(versions)" = 1 ]; }
wait_for 30 one_version || fail "hello keeps $(versions) versions (xml_versions = 1)"

# 4. A backup of the running store.
rc=0; out="$(cli store backup "$T/backup.db" 2>&1)" || rc=$?
[ $rc -eq 0 ] || fail "store backup failed: $out"
expect_contains "$out" "backed up $DB to $T/backup.db"
rc=0; out="$(cli store backup "$T/backup.db" 2>&1)" || rc=$?
[ $rc -eq 64 ] || fail "a backup over an existing file: exit $rc ($out)"
expect_contains "$out" "exists already"
[ "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$T/backup.db")" = ok ] \
  || fail "the backup is damaged"

# 5. history prune by hand: a dry run counts, the real one deletes.
third="$(run_hello)"
out="$(cli history prune --before "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --dry-run)"
expect_contains "$out" "would delete 2 instances"
expect_contains "$out" "nothing was deleted"
cli instance show "$third" > /dev/null || fail "a dry run deleted $third"
out="$(cli --json history prune --before "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.5+00:00)")"
expect_contains "$out" '"instances": 2'
gone "$young" || fail "history prune left $young"
gone "$third" || fail "history prune left $third"
rc=0; out="$(cli history prune --before yesterday 2>&1)" || rc=$?
[ $rc -ne 0 ] || fail "history prune --before yesterday succeeded"
expect_contains "$out" "'yesterday'"

# 6. Restore: refused under a running master, then the backup is back.
rc=0; out="$(cli store restore "$T/backup.db" 2>&1)" || rc=$?
[ $rc -ne 0 ] || fail "store restore ran under a running master"
expect_contains "$out" "holds the master lease"
"$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null || fail "stop-cluster failed"
out="$(cli store restore "$T/backup.db")" || fail "store restore failed: $out"
expect_contains "$out" "restored $DB from $T/backup.db"
out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster after the restore failed: $out"
cli instance show "$young" > /dev/null || fail "the restored store lacks $young"
echo "PASS"
