# Shared by the sbin/ scripts: locating the project, the config file and the
# binaries, reading the effective configuration, and managing role processes.
# shellcheck shell=bash

CAFFLOW_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CAFFLOW_BUILD_DIR:-$CAFFLOW_HOME/build}"
BIN_DIR="$BUILD_DIR/bin"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "$(basename "$0"): $*"; }

# Parses --conf FILE / --conf=FILE out of the arguments; the rest go to ARGS.
# CONF ends up absolute: $CAFFLOW_CONF, else conf/cafflow.ini of the project.
parse_conf_arg() {
  CONF="${CAFFLOW_CONF:-}"
  ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --conf) [ $# -ge 2 ] || die "--conf needs a file"; CONF="$2"; shift 2 ;;
      --conf=*) CONF="${1#--conf=}"; shift ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  [ -n "$CONF" ] || CONF="$CAFFLOW_HOME/conf/cafflow.ini"
  [ -f "$CONF" ] || die "config file not found: $CONF"
  CONF="$(cd "$(dirname "$CONF")" && pwd)/$(basename "$CONF")"
  export CAFFLOW_CONF="$CONF"
}

# The effective value of a config key (validates the whole file).
conf_get() { "$BIN_DIR/cafflow" --conf "$CONF" config get "$1"; }

# Loads the values the scripts need into shell variables.
load_cluster_config() {
  "$BIN_DIR/cafflow" --conf "$CONF" config show >/dev/null || exit 78
  MASTER="$(conf_get cluster.master)"
  WORKERS="$(conf_get cluster.workers)"
  HTTP="$(conf_get cluster.http)"
  DATA_DIR="$(conf_get paths.data)"
  LOGS_DIR="$(conf_get paths.logs)"
  KILL_GRACE="$(conf_get worker.kill_grace_s)"
  PID_DIR="$DATA_DIR/pids"
}

# Every role of the config as "role address" lines, master first.
cluster_roles() {
  echo "master $MASTER"
  local w
  IFS=',' read -ra _workers <<< "$WORKERS"
  for w in "${_workers[@]}"; do
    w="$(echo "$w" | tr -d '[:space:]')"
    [ -n "$w" ] && echo "worker $w"
  done
  echo "http $HTTP"
}

# True when a host name or address is this machine.
is_local_host() {
  local host="$1"
  case "$host" in
    127.*|localhost|0.0.0.0|::1) return 0 ;;
  esac
  [ "$host" = "$(hostname)" ] && return 0
  [ "$host" = "$(hostname -f 2>/dev/null)" ] && return 0
  hostname -I 2>/dev/null | tr ' ' '\n' | grep -qx "$host"
}

pid_file() { echo "$PID_DIR/$1-${2##*:}.pid"; }

# True when the pid is a cafflowd of this config with this role and address.
is_our_process() {
  local pid="$1" role="$2" address="$3" cmdline
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline")"
  case "$cmdline" in
    *cafflowd*"--role $role"*"--conf $CONF"*"--address $address"*) return 0 ;;
  esac
  return 1
}

# The pid of a running role process, or nothing.
running_pid() {
  local file pid
  file="$(pid_file "$1" "$2")"
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null)"
  if [ -n "$pid" ] && is_our_process "$pid" "$1" "$2"; then echo "$pid"; fi
}

# Every cafflowd process started for this config (whatever its pid file says).
config_pids() {
  local pid cmdline
  for pid in $(pgrep -f "cafflowd --role" 2>/dev/null); do
    [ -r "/proc/$pid/cmdline" ] || continue
    cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline")"
    case "$cmdline" in *"--conf $CONF "*) echo "$pid" ;; esac
  done
}
