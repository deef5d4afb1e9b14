#!/usr/bin/env bash
# --conf naming a directory or a file that cannot be read is a configuration
# error for every sbin script: exit 78 (EX_CONFIG) naming the file, never a
# start on the built-in defaults.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-sbin-XXXXXX")"
CONF="$T/conf/cafflow.ini"
trap 'rm -rf "$T"' EXIT
. "$SRC/tests/sbin/lib.sh"

refused() { local text="$1" out rc=0; shift; out="$("$@" 2>&1)" || rc=$?
            [ "$rc" = 78 ] || fail "'$*' exited $rc, expected 78: $out"; expect_contains "$out" "$text"; }

mkdir -p "$T/conf.d"
refused "config file $T/conf.d is a directory" "$SRC/sbin/cafflow" --conf "$T/conf.d" workflow list
refused "config file $T/conf.d is a directory" "$SRC/sbin/cafflow-daemon" status master --conf "$T/conf.d"
refused "config file $T/conf.d is a directory" "$SRC/sbin/start-cluster" --conf "$T/conf.d"
refused "config file $T/conf.d is a directory" "$SRC/sbin/stop-cluster" --conf "$T/conf.d"
CAFFLOW_CONF="$T/conf.d" refused "is a directory" "$SRC/sbin/cafflow" workflow list
refused "config file not found: $T/none.ini" "$SRC/sbin/cafflow" --conf "$T/none.ini" workflow list

# Unreadable: root reads every file, so the scripts run as nobody here.
chmod 755 "$T"
printf '[worker]\nslots = 2\n' > "$T/secret.ini"
chmod 600 "$T/secret.ini"
refused "cannot read config file $T/secret.ini" \
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$SRC/sbin/cafflow" --conf "$T/secret.ini" config show
refused "cannot read config file $T/secret.ini" \
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$SRC/sbin/cafflow-daemon" status master --conf "$T/secret.ini"
echo "PASS"
