#!/usr/bin/env bash
# start-cluster on a MariaDB store: no manual schema step — the master
# migrates an empty database at start — and a workflow runs and is stored
# there. Uses the test MariaDB server of ctest's "mariadb" fixture (its port
# is in $CAFFLOW_TEST_MARIADB_PORT_FILE). Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-sbin-mysql-XXXXXX")"
CONF="$T/conf/cafflow.ini"
PORT="$(cat "${CAFFLOW_TEST_MARIADB_PORT_FILE:?run by ctest with the mariadb fixture}")"
DB="sbin_$$"

sql() { mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$PORT" -uroot -N -e "$1"; }
cleanup() {
  "$SRC/sbin/stop-cluster" --conf "$CONF" > /dev/null 2>&1 || true
  pkill -KILL -f -- "--conf $CONF " 2>/dev/null || true
  sql "DROP DATABASE IF EXISTS $DB" > /dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"

sql "CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     CREATE USER IF NOT EXISTS 'sbin'@'127.0.0.1' IDENTIFIED BY 'p@ss';
     GRANT ALL ON $DB.* TO 'sbin'@'127.0.0.1'"

write_cluster_conf "[store]" "url = mysql://sbin:p%40ss@127.0.0.1:$PORT/$DB"

out="$("$SRC/sbin/start-cluster" --conf "$CONF")" || fail "start-cluster failed: $out"
expect_contains "$out" "cafflow is ready"
[ "$(sql "SELECT MAX(version) FROM $DB.schema_version")" -ge 2 ] || fail "the schema was not created"

id="$("$SRC/sbin/cafflow" --conf "$CONF" workflow run hello)"
"$SRC/sbin/cafflow" --conf "$CONF" instance wait "$id" --timeout 60 > /dev/null || fail "hello did not succeed"
[ "$(sql "SELECT status FROM $DB.instance WHERE id = '$id'")" = "succeeded" ] || fail "the instance is not stored"
[ "$(sql "SELECT COUNT(*) FROM $DB.xml_file WHERE status = 'loaded'")" -ge 1 ] || fail "no file states stored"

out="$("$SRC/sbin/stop-cluster" --conf "$CONF")" || fail "stop-cluster failed"
expect_contains "$out" "stopped 3 processes"
echo "PASS"
