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
  cp "$SRC/conf/db_links.xml" "$T/conf/"
  {
    printf '[cluster]\nmaster = 127.0.0.1:%s\nworkers = 127.0.0.1:%s\nhttp = 127.0.0.1:%s\n' \
      "$P1" "$P2" "$P3"
    printf '[worker]\nreconnect_interval_ms = 100\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } > "$CONF"
}

# N TCP ports on 127.0.0.1 that were free a moment ago, space-separated.
free_ports() {
  python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])' "$1"
}

# Polls a command until it succeeds, at most `timeout` seconds; false after.
#   wait_for 30 some_command args...
wait_for() {
  local timeout="$1" deadline
  shift
  deadline=$((SECONDS + timeout))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# A field of JSON on stdin, by a Python expression over `j` (e.g.
# 'j["nodes"][1]["status"]'); "" when it does not exist.
json_field() {
  python3 -c 'import json, sys
try:
    j = json.load(sys.stdin)
    v = eval(sys.argv[1])
    print(v if not isinstance(v, (dict, list)) else json.dumps(v))
except (KeyError, IndexError, TypeError, ValueError):
    print("")' "$1"
}

# The attempts of node `node` of instance `id` as "number status" lines.
node_attempts() {
  "$SRC/sbin/cafflow" --conf "$CONF" --json instance show "$1" | python3 -c 'import json, sys
j = json.load(sys.stdin)
for n in j["nodes"]:
    if n["name"] == sys.argv[1]:
        for a in n.get("attempts", []):
            print(a["number"], a["status"])' "$2"
}
