#!/usr/bin/env bash
# The Debian package: sbin/package builds a .deb with the layout a packager
# expects (binaries in /usr/bin, /etc/cafflow conffiles, hardened Type=notify
# units running as cafflow, bash completion, copyright, no lintian error);
# installed into a throwaway root (dpkg-deb -x), the units' ExecStart commands
# start master, worker and http — each tells systemd it is ready through
# $NOTIFY_SOCKET — and a workflow runs. `DESTDIR=... cmake --install` works.
# Kills only what it started; always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${CAFFLOW_BUILD_DIR:-$SRC/build}"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-package-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"

# 1. The package.
out="$("$SRC/sbin/package" --out "$T/out" 2>&1)" || fail "sbin/package failed: $out"
deb="$(tail -n 1 <<< "$out")"
[ -f "$deb" ] || fail "no .deb at '$deb': $out"
case "$deb" in "$T/out/cafflow_"*"_$(dpkg --print-architecture).deb") ;; *) fail "odd name $deb" ;; esac
if command -v lintian > /dev/null; then
  if grep -E '^  E: ' <<< "$out"; then fail "lintian errors (above)"; fi
fi
info="$(dpkg-deb -I "$deb")"
expect_contains "$info" "Package: cafflow"
expect_contains "$info" "Depends: adduser,"
expect_contains "$info" "libcaf"
files="$(dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }')"
for path in ./usr/bin/cafflowd ./usr/bin/cafflow ./usr/bin/cafflow-spawner ./usr/bin/cafflow-exec \
            ./etc/cafflow/cafflow.ini ./etc/cafflow/db_links.xml ./etc/cafflow/xmlconfig/ \
            ./lib/systemd/system/cafflow-master.service ./lib/systemd/system/cafflow-worker@.service \
            ./lib/systemd/system/cafflow-http.service ./lib/systemd/system/cafflow-standby.service \
            ./usr/share/bash-completion/completions/cafflow ./usr/share/doc/cafflow/copyright \
            ./usr/share/cafflow/examples/hello.xml ./var/lib/cafflow/ ./var/log/cafflow/; do
  grep -q " $path\$" <<< "$files" || fail "the package lacks $path"
done
grep -q '^-rwxr-xr-x root/root ./usr/bin/cafflowd$' <<< "$files" || fail "cafflowd: $(grep cafflowd <<< "$files")"
if grep -q ' ./usr/local/\| ./opt/\| ./home/\| ./build' <<< "$files"; then fail "stray paths: $files"; fi

dpkg-deb -x "$deb" "$T/root"
dpkg-deb -e "$deb" "$T/control"
grep -qx /etc/cafflow/cafflow.ini "$T/control/conffiles" || fail "cafflow.ini is no conffile"
sh -n "$T/control/postinst" || fail "postinst is no valid shell"
grep -q "adduser --system" "$T/control/postinst" || fail "postinst creates no system user"
ini="$(cat "$T/root/etc/cafflow/cafflow.ini")"
for line in "data = /var/lib/cafflow" "logs = /var/log/cafflow" "xmlconfig = /etc/cafflow/xmlconfig" \
            "url = sqlite:/var/lib/cafflow/cafflow.db"; do
  expect_contains "$ini" "$line"
done
for unit in master standby http worker@; do
  u="$(cat "$T/root/lib/systemd/system/cafflow-$unit.service")"
  for line in "Type=notify" "User=cafflow" "ProtectSystem=strict" "NoNewPrivileges=yes" \
              "ExecStart=/usr/bin/cafflowd"; do
    expect_contains "$u" "$line"
  done
done

# 2. The units' commands, run in the throwaway root with its paths.
R="$T/root"
read -r P1 P2 P3 < <(free_ports 3)
export CAFFLOW_CLUSTER_MASTER="127.0.0.1:$P1" CAFFLOW_CLUSTER_WORKERS="127.0.0.1:$P2" \
  CAFFLOW_CLUSTER_HTTP="127.0.0.1:$P3" CAFFLOW_PATHS_HOME="$R/var/lib/cafflow" \
  CAFFLOW_PATHS_DATA="$R/var/lib/cafflow" CAFFLOW_PATHS_LOGS="$R/var/log/cafflow" \
  CAFFLOW_PATHS_XMLCONFIG="$R/etc/cafflow/xmlconfig" CAFFLOW_PATHS_DB_LINKS="$R/etc/cafflow/db_links.xml" \
  CAFFLOW_PATHS_FILE_LINKS="$R/etc/cafflow/file_links.xml" \
  CAFFLOW_STORE_URL="sqlite:$R/var/lib/cafflow/cafflow.db" CAFFLOW_WORKER_RECONNECT_INTERVAL_MS=100
unset CAFFLOW_CONF
# What each unit's process tells systemd, received as systemd would.
listen() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    with open(sys.argv[2], "ab") as f:
        f.write(s.recv(4096) + b"\n")' "$1" "$2" &
  pids+=("$!")
  wait_for 10 test -S "$1" || fail "no notify socket $1"
}
start_unit() {
  local unit="$1" instance="${2:-}" cmd
  cmd="$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/cafflow-$unit.service")"
  cmd="${cmd//\/usr\/bin\//$R/usr/bin/}"
  cmd="${cmd//\/etc\/cafflow\//$R/etc/cafflow/}"
  cmd="${cmd//%i/$instance}"
  listen "$T/notify-$unit.sock" "$T/notify-$unit.txt"
  # shellcheck disable=SC2086  # the unit's command line, split as systemd does
  NOTIFY_SOCKET="$T/notify-$unit.sock" setsid $cmd > "$T/$unit.out" 2>&1 &
  pids+=("$!")
}
ready() { grep -q '^READY=1' "$T/notify-$1.txt" 2>/dev/null; }
start_unit master
wait_for 60 ready master || fail "the master did not tell systemd it is ready: $(tail -5 "$T/master.out")"
start_unit worker@ "127.0.0.1:$P2"
start_unit http
wait_for 60 ready worker@ || fail "the worker is not ready: $(tail -5 "$T/worker@.out")"
wait_for 60 ready http || fail "http is not ready: $(tail -5 "$T/http.out")"
expect_contains "$(cat "$T/notify-worker@.txt")" "STATUS=worker at 127.0.0.1:$P2 is up"
[ -f "$R/var/log/cafflow/master-$P1.log" ] || fail "no master log in /var/log/cafflow"

cp "$R/usr/share/cafflow/examples/hello.xml" "$R/etc/cafflow/xmlconfig/"
cli() { "$R/usr/bin/cafflow" --conf "$R/etc/cafflow/cafflow.ini" "$@"; }
wait_for 30 bash -c "'$R/usr/bin/cafflow' --conf '$R/etc/cafflow/cafflow.ini' workflow list | grep -q hello" \
  || fail "the installed master did not load hello"
wait_for 30 bash -c "'$R/usr/bin/cafflow' --conf '$R/etc/cafflow/cafflow.ini' --json cluster status | grep -q '\"127.0.0.1:$P2\"'" \
  || fail "the worker did not register"
id="$(cli workflow run hello)" || fail "cannot run hello"
cli instance wait "$id" --timeout 60 > /dev/null || fail "hello failed: $(cli instance show "$id")"
[ -f "$R/var/lib/cafflow/cafflow.db" ] || fail "the store is not in /var/lib/cafflow"
[ "$("$R/usr/bin/cafflow" --version)" = "$("$BUILD/bin/cafflow" --version)" ] || fail "another version"

# 3. A plain `DESTDIR=... cmake --install` (default prefix).
DESTDIR="$T/destdir" cmake --install "$BUILD" > /dev/null || fail "cmake --install failed"
[ -x "$T/destdir/usr/local/bin/cafflowd" ] || fail "no cafflowd under DESTDIR"
[ -f "$T/destdir/etc/cafflow/cafflow.ini" ] || fail "no config under DESTDIR"
echo "PASS"
