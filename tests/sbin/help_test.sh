#!/usr/bin/env bash
# --help on every sbin script and every cafflow subcommand, without installing
# or building anything (apt-get, cmake and ninja are shims that record a
# call); --version of cafflow, cafflowd and cafflow-exec; an unknown command
# named with the closest match; --json honoured (valid JSON) or refused (64).
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-help-XXXXXX")"
CONF="$T/conf/cafflow.ini"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"
write_cluster_conf
export CAFFLOW_CONF="$CONF"
BIN="${CAFFLOW_BUILD_DIR:-$SRC/build}/bin"

# Shims: any call of these is a failure of --help.
mkdir -p "$T/shims"
for tool in apt-get apt dpkg-query cmake ninja; do
  printf '#!/bin/sh\necho "%s $*" >> %s/calls\nexit 1\n' "$tool" "$T" > "$T/shims/$tool"
  chmod +x "$T/shims/$tool"
done
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$(dirname "$BIN")/CMakeCache.txt")"
[ -n "$version" ] || fail "no project version in the build's CMakeCache.txt"

for script in setup start-cluster stop-cluster test cafflow-daemon akka package; do
  for flag in --help -h; do
    out="$(PATH="$T/shims:$PATH" "$SRC/sbin/$script" $flag 2>&1)" || fail "sbin/$script $flag failed: $out"
    [ "$(wc -l <<< "$out")" -ge 2 ] || fail "sbin/$script $flag says too little: $out"
    case "$out" in *sbin/$script*|*akka*) ;; *) fail "sbin/$script $flag does not show its usage: $out" ;; esac
  done
done
# sbin/cafflow passes --help to the binary (every command listed).
out="$(PATH="$T/shims:$PATH" "$SRC/sbin/cafflow" --help)" || fail "sbin/cafflow --help failed"
expect_contains "$out" "workflow"
expect_contains "$out" "history"
# ...and without a build it says how to get one, installing nothing.
out="$(PATH="$T/shims:$PATH" CAFFLOW_BUILD_DIR="$T/nobuild" "$SRC/sbin/cafflow" --help)" \
  || fail "sbin/cafflow --help without a build failed"
expect_contains "$out" "sbin/setup"
[ ! -e "$T/calls" ] || fail "--help ran: $(cat "$T/calls")"

# Every subcommand's --help, at every level.
checked=0
queue=("")
while [ ${#queue[@]} -gt 0 ]; do
  path="${queue[0]}"; queue=("${queue[@]:1}")
  read -ra words <<< "$path"
  help="$("$BIN/cafflow" "${words[@]}" --help)" || fail "'cafflow $path --help' failed"
  while read -r sub; do
    [ -n "$sub" ] && queue+=("${path:+$path }$sub")
  done < <(awk '/^Subcommands:/ { s = 1; next } /^[^ ]/ { s = 0 } s && /^  [a-z]/ { print $1 }' <<< "$help")
  checked=$((checked + 1))
done
[ $checked -ge 30 ] || fail "only $checked help texts"

# --version everywhere.
[ "$("$BIN/cafflow" --version)" = "cafflow $version" ] || fail "cafflow --version: $("$BIN/cafflow" --version)"
[ "$("$BIN/cafflowd" --version)" = "cafflowd $version" ] || fail "cafflowd --version: $("$BIN/cafflowd" --version)"
[ "$("$BIN/cafflow-exec" --version)" = "cafflow-exec $version" ] || fail "cafflow-exec --version"

# Unknown commands: exit 64, the word, the closest match or the list.
rc=0; out="$("$BIN/cafflow" foo 2>&1)" || rc=$?
[ $rc -eq 64 ] || fail "cafflow foo: exit $rc"
expect_contains "$out" "unknown command 'foo'"
expect_contains "$out" "workflow"
rc=0; out="$("$BIN/cafflow" --conf "$CONF" workflw list 2>&1)" || rc=$?
[ $rc -eq 64 ] || fail "cafflow workflw: exit $rc"
expect_contains "$out" "unknown command 'workflw' (did you mean 'workflow'?)"
rc=0; out="$("$BIN/cafflow" instance lst 2>&1)" || rc=$?
[ $rc -eq 64 ] || fail "cafflow instance lst: exit $rc"
expect_contains "$out" "did you mean 'list'?"
# An option's value is no command.
out="$("$BIN/cafflow" --conf "$CONF" cron next '0 * * * *' --count 1 --from '2026-01-01 00:00:00' --tz UTC)" \
  || fail "cron next with options failed"
[ "$out" = "2026-01-01 01:00:00" ] || fail "cron next: $out"

# --json: valid JSON from the offline commands that print data ...
is_json() { python3 -c 'import json, sys; json.load(sys.stdin)' <<< "$1" || fail "not JSON: $1"; }
out="$("$BIN/cafflow" --json cron next '0 * * * *' --count 2 --from '2026-01-01 00:00:00' --tz UTC)"
is_json "$out"; expect_contains "$out" '"2026-01-01T02:00:00.000Z"'
out="$("$BIN/cafflow" --json expr eval 'x${param:a}' -p a=1 --logical-time '2026-01-01 00:00:00' --tz UTC)"
is_json "$out"; expect_contains "$out" '"result": "x1"'
out="$("$BIN/cafflow" --json workflow check "$SRC/xmlconfig/examples")"
is_json "$out"; expect_contains "$out" '"ok": true'
printf '<work-flow name="bad"><start name="s" to="nowhere"/></work-flow>\n' > "$T/bad.xml"
rc=0; out="$("$BIN/cafflow" --json workflow check "$T/bad.xml")" || rc=$?
[ $rc -eq 1 ] || fail "a bad file checked ok"
is_json "$out"; expect_contains "$out" '"level": "error"'
out="$("$BIN/cafflow" --json db-link list --db-links "$SRC/conf/db_links.xml")"
is_json "$out"; expect_contains "$out" '"name": "example_sqlite"'
# ... and refused (64, naming the command) by those that print none.
rc=0; out="$("$BIN/cafflow" --json tls init 2>&1)" || rc=$?
[ $rc -eq 64 ] || fail "--json tls init: exit $rc ($out)"
expect_contains "$out" "--json: 'cafflow tls init' prints no data"
echo "PASS"
