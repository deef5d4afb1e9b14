# Shared by the sbin/ scripts: locating the project, the config file and the
# binaries, reading the effective configuration, and managing role processes
# (start, wait until up, stop, status) on this host and — over ssh — on others.
# shellcheck shell=bash

CAFFLOW_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CAFFLOW_BUILD_DIR:-$CAFFLOW_HOME/build}"
BIN_DIR="$BUILD_DIR/bin"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
# A bad configuration: exit 78 (EX_CONFIG), as cafflowd and cafflow do.
die_config() { echo "$(basename "$0"): $*" >&2; exit 78; }
say() { echo "$(basename "$0"): $*"; }

# The usage of the calling script: its comment block after the shebang.
show_help() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
# True when the arguments ask for help (-h, --help) before a "--".
wants_help() {
  local a
  for a in "$@"; do
    case "$a" in -h|--help) return 0 ;; --) return 1 ;; esac
  done
  return 1
}

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
  [ -e "$CONF" ] || die_config "config file not found: $CONF"
  [ ! -d "$CONF" ] || die_config "config file $CONF is a directory"
  [ -f "$CONF" ] || die_config "config file $CONF is not a regular file"
  # (root reads any file: then cafflow's own read tells)
  [ -r "$CONF" ] || die_config "cannot read config file $CONF: permission denied"
  CONF="$(cd "$(dirname "$CONF")" && pwd)/$(basename "$CONF")"
  export CAFFLOW_CONF="$CONF"
}

# Fails unless the binaries are built (the daemon scripts never build).
require_binaries() {
  local b
  for b in cafflowd cafflow cafflow-spawner; do
    [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing: build cafflow first (sbin/setup)"
  done
}

# The effective value of a config key (validates the whole file).
conf_get() { "$BIN_DIR/cafflow" --conf "$CONF" config get "$1"; }

# One key's value out of `cafflow config show` output ($_CONF_SHOWN). (No
# pipe: under pipefail a reader that stops early would fail the writer.)
_shown_value() {
  awk -v k="$1 = " 'index($0, k) == 1 && !found { print substr($0, length(k) + 1); found = 1 }' \
    <<< "$_CONF_SHOWN"
}

# Loads the values the scripts need into shell variables (one run of
# `cafflow config show`); a bad config file exits 78 with cafflow's message
# naming the file, line and key.
load_cluster_config() {
  _CONF_SHOWN="$("$BIN_DIR/cafflow" --conf "$CONF" config show)" || exit 78
  MASTER="$(_shown_value cluster.master)"
  STANDBY="$(_shown_value cluster.standby)"
  WORKERS="$(_shown_value cluster.workers)"
  HTTP="$(_shown_value cluster.http)"
  REMOTE_HOME="$(_shown_value cluster.remote_home)"
  [ -n "$REMOTE_HOME" ] || REMOTE_HOME="$CAFFLOW_HOME"
  DATA_DIR="$(_shown_value paths.data)"
  LOGS_DIR="$(_shown_value paths.logs)"
  KILL_GRACE="$(_shown_value worker.kill_grace_s)"
  MASTER_DRAIN="$(_shown_value master.drain_grace_s)"
  WORKER_DRAIN="$(_shown_value worker.drain_grace_s)"
  HTTP_TOKEN="$(_shown_value http.token)"
  TLS_ENABLED="$(_shown_value tls.enabled)"
  TLS_DIR="$(_shown_value tls.dir)"
  TLS_CERT="$(_shown_value tls.cert)"
  PID_DIR="$DATA_DIR/pids"
  local v
  for v in MASTER HTTP DATA_DIR LOGS_DIR KILL_GRACE MASTER_DRAIN WORKER_DRAIN; do
    [ -n "${!v}" ] || die "cannot read the configuration of $CONF (no value for $v)"
  done
}

# Every role of the config as "role address" lines: the master first, then
# the standby (when cluster.standby is set), the workers, http.
cluster_roles() {
  echo "master $MASTER"
  [ -z "$STANDBY" ] || echo "standby $STANDBY"
  local w
  IFS=',' read -ra _workers <<< "$WORKERS"
  for w in "${_workers[@]}"; do
    w="$(echo "$w" | tr -d '[:space:]')"
    [ -n "$w" ] && echo "worker $w"
  done
  echo "http $HTTP"
}

# The configured address of a role: the one given (checked against the
# config), else the role's first.
role_address() {
  local role="$1" given="$2" r a first="" listed=()
  case "$role" in
    master|standby|worker|http) ;;
    *) echo "unknown role '$role' (expected master, standby, worker or http)" >&2; return 1 ;;
  esac
  if [ "$role" = standby ] && [ -z "$STANDBY" ]; then
    echo "no standby is configured in $CONF (set cluster.standby)" >&2
    return 1
  fi
  while read -r r a; do
    [ "$r" = "$role" ] || continue
    [ -n "$first" ] || first="$a"
    listed+=("$a")
    if [ -n "$given" ] && [ "$a" = "$given" ]; then echo "$a"; return 0; fi
  done < <(cluster_roles)
  if [ -n "$given" ]; then
    local key="cluster.$role"; [ "$role" = worker ] && key=cluster.workers
    echo "--address $given is not in $key (${listed[*]}) of $CONF" >&2
    return 1
  fi
  echo "$first"
}

# Seconds to wait after SIGTERM before SIGKILL: longer than the role's own
# drain (and, for workers, the kill grace of the tasks after it). The standby
# drains as the master does when it is the active one.
# CAFFLOW_STOP_TIMEOUT overrides.
stop_timeout() {
  if [ -n "${CAFFLOW_STOP_TIMEOUT:-}" ]; then echo "$CAFFLOW_STOP_TIMEOUT"; return; fi
  case "$1" in
    master|standby) echo $((MASTER_DRAIN + 10)) ;;
    worker) echo $((WORKER_DRAIN + KILL_GRACE + 10)) ;;
    *) echo 10 ;;
  esac
}

# True when a host name or address is this machine. CAFFLOW_LOCAL_HOSTS
# (comma-separated names and addresses) replaces the built-in answer: every
# loopback address and localhost, `hostname`, `hostname -f`, `hostname -I`.
is_local_host() {
  local host="$1" h
  if [ -n "${CAFFLOW_LOCAL_HOSTS:-}" ]; then
    IFS=',' read -ra _local <<< "$CAFFLOW_LOCAL_HOSTS"
    for h in "${_local[@]}"; do
      h="$(echo "$h" | tr -d '[:space:]')"
      [ "$h" = "$host" ] && return 0
    done
    return 1
  fi
  case "$host" in
    127.*|localhost|0.0.0.0|::1|'[::1]') return 0 ;;
  esac
  [ "$host" = "$(hostname)" ] && return 0
  [ "$host" = "$(hostname -f 2>/dev/null)" ] && return 0
  local addresses
  addresses="$(hostname -I 2>/dev/null)" || return 1
  for h in $addresses; do [ "$h" = "$host" ] && return 0; done
  return 1
}

host_of() { local a="$1"; echo "${a%:*}"; }

pid_file() { echo "$PID_DIR/$1-${2##*:}.pid"; }
log_file() { echo "$LOGS_DIR/$1-${2##*:}.log"; }
out_file() { echo "$LOGS_DIR/$1-${2##*:}.out"; }

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

# Where a role's log stands now ("inode size"), so that what a process
# started afterwards writes can be told from what earlier ones wrote.
log_mark() { stat -c '%i %s' "$(log_file "$1" "$2")" 2>/dev/null || echo "0 0"; }

# What the role's log holds beyond `mark` (see log_mark): all of it when the
# file is another one (rotated) or shorter.
log_since() {
  local file inode size now_inode now_size
  file="$(log_file "$1" "$2")"
  read -r inode size <<< "${3:-0 0}"
  [ -f "$file" ] || return 0
  read -r now_inode now_size <<< "$(stat -c '%i %s' "$file" 2>/dev/null || echo "0 0")"
  if [ "$now_inode" = "$inode" ] && [ "$now_size" -ge "$size" ]; then
    tail -c "+$((size + 1))" "$file"
  else
    cat "$file"
  fi
}

# Starts a role in the background (setsid: its own session and process group,
# no terminal signals) unless it runs already. Sets STARTED_PID (empty when it
# was running), RUNNING_PID and STARTED_LOG_MARK (its log before the start,
# for wait_role_up).
# shellcheck disable=SC2034  # results for the caller
start_role() {
  local role="$1" address="$2" pid
  STARTED_PID=""
  RUNNING_PID="$(running_pid "$role" "$address")"
  [ -z "$RUNNING_PID" ] || return 0
  mkdir -p "$PID_DIR" "$LOGS_DIR"
  STARTED_LOG_MARK="$(log_mark "$role" "$address")"
  setsid "$BIN_DIR/cafflowd" --role "$role" --conf "$CONF" --address "$address" \
    < /dev/null >> "$(out_file "$role" "$address")" 2>&1 &
  pid=$!
  echo "$pid" > "$(pid_file "$role" "$address")"
  # Until the exec the process is still this shell: wait for it (briefly),
  # so that whoever looks at it next sees cafflowd or nothing.
  local i
  for i in $(seq 1 100); do
    is_our_process "$pid" "$role" "$address" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  STARTED_PID="$pid"
  RUNNING_PID="$pid"
}

# True when process `pid` holds a listening TCP socket on `port` (read from
# /proc: no connection is made).
pid_listens() {
  local pid="$1" port hex inodes inode
  port="$2"
  hex="$(printf '%04X' "$port")"
  inodes="$(awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null)"
  [ -n "$inodes" ] || return 1
  local fd link
  for fd in /proc/"$pid"/fd/*; do
    link="$(readlink "$fd" 2>/dev/null)" || continue
    for inode in $inodes; do
      [ "$link" = "socket:[$inode]" ] && return 0
    done
  done
  return 1
}

# The URL of the http role's health endpoint.
health_url() {
  local http="$1"
  case "$http" in 0.0.0.0:*) http="127.0.0.1:${http##*:}" ;; esac
  echo "http://$http/api/v1/health"
}

# curl with the API token when [http] token is set (through stdin, so that it
# does not show in the process list).
api_curl() {
  if [ -n "${HTTP_TOKEN:-}" ]; then
    local t="${HTTP_TOKEN//\\/\\\\}"
    printf 'header = "Authorization: Bearer %s"\n' "${t//\"/\\\"}" | curl --config - "$@"
  else
    curl "$@"
  fi
}

# True when the role is up: a CAF role listens on its port; the http role's
# /api/v1/health answers 200 (healthy) or 503 (up, the master not reachable).
# The master and the standby listen only while they hold the master lease:
# one that waits for it is up once its log (beyond `mark`, see log_mark) says
# so — or that it took the lease (it listens a moment later).
role_is_up() {
  local role="$1" address="$2" pid="$3" mark="${4:-}" code new
  case "$role" in
    http)
      code="$(api_curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(health_url "$address")" 2>/dev/null)" || true
      [ "$code" = 200 ] || [ "$code" = 503 ]
      ;;
    master|standby)
      pid_listens "$pid" "${address##*:}" && return 0
      [ -n "$mark" ] || return 1
      new="$(log_since "$role" "$address" "$mark")"
      case "$new" in
        *": the active master is "*|*" takes the master lease"*|*" takes over from "*) return 0 ;;
      esac
      return 1
      ;;
    *)
      pid_listens "$pid" "${address##*:}"
      ;;
  esac
}

# Prints the tail of a role's log and crash output to stderr.
show_role_log() {
  local role="$1" address="$2" f
  for f in "$(log_file "$role" "$address")" "$(out_file "$role" "$address")"; do
    [ -s "$f" ] && { echo "--- $f:" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

# Waits until a started role is up (see role_is_up; `mark`: its log before
# the start, see start_role), at most `timeout` seconds. Fails at once, with
# its log, when the process dies.
wait_role_up() {
  local role="$1" address="$2" pid="$3" timeout="$4" mark="${5:-}" deadline
  deadline=$((SECONDS + timeout))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null || ! is_our_process "$pid" "$role" "$address"; then
      echo "$(basename "$0"): the $role at $address exited while starting; its log:" >&2
      show_role_log "$role" "$address"
      return 1
    fi
    role_is_up "$role" "$address" "$pid" "$mark" && return 0
    if [ $SECONDS -ge "$deadline" ]; then
      echo "$(basename "$0"): the $role at $address (pid $pid) is not up after ${timeout}s; it keeps running; its log:" >&2
      show_role_log "$role" "$address"
      return 1
    fi
    sleep 0.1
  done
}

# Sends a signal to a role process: to its whole process group when it leads
# one (as roles started by these scripts do), else to the process alone.
signal_role() {
  local sig="$1" pid="$2" pgid
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d '[:space:]')"
  if [ -n "$pgid" ] && [ "$pgid" = "$pid" ]; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

# True while a process runs: it exists and has not exited (a zombie that its
# parent — for roles started here, init — has not reaped yet is gone).
pid_alive() {
  local stat state
  kill -0 "$1" 2>/dev/null || return 1
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  state="${stat##*) }" # the field after "(comm)"
  [ "${state%% *}" != Z ]
}

# Waits until none of the pids runs, at most `timeout` seconds; then SIGKILLs
# what is left (with its process group) and waits for it to go. Sets KILLED
# to the number of processes that needed SIGKILL.
# With PID_LABELS (an associative array pid -> "role address") set, says
# every 5 s which of them it still waits for.
wait_or_kill() {
  local timeout="$1" deadline p any next_report waiting
  shift
  KILLED=0
  deadline=$((SECONDS + timeout))
  next_report=$((SECONDS + 5))
  while :; do
    any=0
    waiting=()
    for p in "$@"; do
      if pid_alive "$p"; then
        any=1
        waiting+=("${PID_LABELS[$p]:-pid $p}")
      fi
    done
    [ $any -eq 1 ] || return 0
    [ $SECONDS -lt "$deadline" ] || break
    if [ -n "${PID_LABELS[*]:-}" ] && [ $SECONDS -ge $next_report ]; then
      say "still waiting for $(IFS=,; echo "${waiting[*]}" | sed 's/,/, /g') (SIGKILL in $((deadline - SECONDS))s)"
      next_report=$((SECONDS + 5))
    fi
    sleep 0.1
  done
  for p in "$@"; do
    if pid_alive "$p"; then
      KILLED=$((KILLED + 1))
      signal_role KILL "$p"
    fi
  done
  for p in "$@"; do
    while pid_alive "$p"; do sleep 0.05; done
  done
}

# -- other hosts ---------------------------------------------------------------

# The ssh command: $CAFFLOW_SSH (default ssh, may carry options) in batch mode
# with a connect timeout ($CAFFLOW_SSH_CONNECT_TIMEOUT, default 10 s).
ssh_command() {
  read -ra SSH_CMD <<< "${CAFFLOW_SSH:-ssh}"
  SSH_CMD+=(-o BatchMode=yes -o "ConnectTimeout=${CAFFLOW_SSH_CONNECT_TIMEOUT:-10}")
}

# The config file as the other host sees it: relative to the install path
# when it lies inside the project, else the same absolute path.
remote_conf() {
  case "$CONF" in
    "$CAFFLOW_HOME"/*) echo "${CONF#"$CAFFLOW_HOME"/}" ;;
    *) echo "$CONF" ;;
  esac
}

# Makes sure the host of a role started over ssh has that role's certificate
# (docs/OPERATIONS.md, "Security"): when it has none and this host keeps the
# cluster CA's key, issues it here and copies it (with the CA certificate)
# into that host's tls.dir. An unreachable host is left to remote_daemon.
ensure_remote_cert() {
  local role="$1" address="$2" host cert_role dir tmp f q
  case "$TLS_ENABLED" in true|yes|on|1) ;; *) return 0 ;; esac
  [ -z "$TLS_CERT" ] || return 0 # explicit files: the operator's business
  host="$(host_of "$address")"
  cert_role="$role"; [ "$role" = standby ] && cert_role=master
  ssh_command
  _q() { printf "%q" "$1"; }
  dir="$("${SSH_CMD[@]}" "$host" "cd $(_q "$REMOTE_HOME") && sbin/cafflow --conf $(_q "$(remote_conf)") config get tls.dir" 2>/dev/null)" \
    || return 0
  "${SSH_CMD[@]}" "$host" "test -f $(_q "$dir/$cert_role.pem") && test -f $(_q "$dir/$cert_role.key")" 2>/dev/null \
    && return 0
  [ -f "$TLS_DIR/ca.key" ] || die "the $role at $address has no certificate in $dir on $host, and the cluster CA's key is not on this host: run 'sbin/cafflow tls issue --role $cert_role --host $host --out DIR' where it is and copy DIR's files to $dir on $host"
  tmp="$(mktemp -d)"
  "$BIN_DIR/cafflow" --conf "$CONF" tls issue --role "$cert_role" --host "$host" --out "$tmp" > /dev/null \
    || { rm -rf "$tmp"; die "cannot issue the $cert_role certificate of $host"; }
  for f in ca.pem "$cert_role.pem" "$cert_role.key"; do
    "${SSH_CMD[@]}" "$host" "mkdir -p $(_q "$dir") && chmod 700 $(_q "$dir") && umask 077 && cat > $(_q "$dir/$f.tmp") && mv $(_q "$dir/$f.tmp") $(_q "$dir/$f")" < "$tmp/$f" \
      || { rm -rf "$tmp"; die "cannot copy $f to $host:$dir"; }
  done
  rm -rf "$tmp"
  say "issued the $cert_role certificate of $host and copied it to $host:$dir"
}

# Runs `sbin/cafflow-daemon ACTION ROLE --address ADDRESS` on the role's host
# over ssh, in REMOTE_HOME with the remote config. Its output goes to stdout;
# a failure says which host and why, and returns non-zero (255: ssh itself
# failed, i.e. the host cannot be reached or refused the login).
remote_daemon() {
  local action="$1" role="$2" address="$3" host out rc cmd
  host="$(host_of "$address")"
  ssh_command
  cmd="cd $(printf '%q' "$REMOTE_HOME") && sbin/cafflow-daemon $action $role --address $(printf '%q' "$address") --conf $(printf '%q' "$(remote_conf)")"
  out="$("${SSH_CMD[@]}" "$host" "$cmd" 2>&1)" && rc=0 || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" | sed "s/^/[$host] /"
  if [ $rc -eq 255 ]; then
    echo "$(basename "$0"): cannot reach host '$host' over ssh (${SSH_CMD[*]} $host): could not $action the $role at $address there" >&2
  elif [ $rc -ne 0 ]; then
    echo "$(basename "$0"): '$action $role $address' failed on host '$host' (exit $rc)" >&2
  fi
  return $rc
}
