# Shared by the tests/sbin/*_test.sh scripts (sourced). Expects $T (the test's
# temp dir), $CONF (its config path) and $SRC (the source tree).

# Fails the test, showing the tail of every role's log.
fail() {
  echo "FAIL: $*" >&2
  for f in "$T"/logs/*.log "$T"/logs/*.out; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

expect_contains() { case "$1" in *"$2"*) ;; *) fail "expected '$2' in: $1" ;; esac; }

# Writes $CONF for master, one worker and http on free loopback ports (P1, P2,
# P3), with the example workflows; extra INI lines come from the arguments.
write_cluster_conf() {
  read -r P1 P2 P3 < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1",0))
print(*[s.getsockname()[1] for s in ss])')
  mkdir -p "$T/conf" "$T/xmlconfig"
  cp -r "$SRC/xmlconfig/examples" "$T/xmlconfig/"
  {
    printf '[cluster]\nmaster = 127.0.0.1:%s\nworkers = 127.0.0.1:%s\nhttp = 127.0.0.1:%s\n' \
      "$P1" "$P2" "$P3"
    printf '[worker]\nreconnect_interval_ms = 100\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } > "$CONF"
}
