#!/usr/bin/env bash
# Bash completion of cafflow: every subcommand that `cafflow --help` (and
# `cafflow workflow --help`, ... at every level) lists is offered, and every
# option; prefixes complete; --conf completes files; sbin/setup installs the
# completion once (idempotent). Always cleans up.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-completion-XXXXXX")"
CONF="$T/conf/cafflow.ini"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

. "$SRC/tests/sbin/lib.sh"
write_cluster_conf
export CAFFLOW_CONF="$CONF"
CMD="$SRC/sbin/cafflow"

# shellcheck source=../../sbin/completion.bash
. "$SRC/sbin/completion.bash"
complete -p cafflow > /dev/null || fail "no completion registered for cafflow"

# What TAB offers for the words given (the last one is being typed).
offered() {
  COMP_WORDS=("$CMD" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _cafflow
  printf '%s\n' "${COMPREPLY[@]}"
}

# The subcommands and options a help text lists, read independently of the
# completion (Python, not awk).
help_items() {
  python3 -c 'import re, sys
section = None
for line in sys.stdin.read().splitlines():
    if re.match(r"^\S.*:$", line):
        section = line[:-1]
        continue
    if section == "Subcommands" and sys.argv[1] == "subcommands":
        m = re.match(r"^  ([a-z][\w-]*)", line)
        if m: print(m.group(1))
    if section == "Options" and sys.argv[1] == "options":
        m = re.match(r"^  (-[^ ]+)", line)
        if m:
            for name in m.group(1).split(","): print(name)' "$1"
}

checked=0
queue=("")
while [ ${#queue[@]} -gt 0 ]; do
  path="${queue[0]}"
  queue=("${queue[@]:1}")
  read -ra words <<< "$path"
  help="$("$CMD" "${words[@]}" --help)" || fail "'cafflow $path --help' failed"
  offer="$(offered "${words[@]}" "")"
  while read -r sub; do
    [ -n "$sub" ] || continue
    grep -qx -- "$sub" <<< "$offer" || fail "'cafflow $path <TAB>' does not offer '$sub' (offers: $(echo $offer))"
    queue+=("${path:+$path }$sub")
    checked=$((checked + 1))
  done < <(help_items subcommands <<< "$help")
  offer="$(offered "${words[@]}" "-")"
  while read -r opt; do
    [ -n "$opt" ] || continue
    grep -qx -- "$opt" <<< "$offer" || fail "'cafflow $path -<TAB>' does not offer '$opt'"
  done < <(help_items options <<< "$help")
done
# Not vacuous: the known commands were among those checked.
[ $checked -ge 20 ] || fail "only $checked subcommands found in the help texts"
top="$(offered "")"
for sub in workflow instance cluster config; do grep -qx "$sub" <<< "$top" || fail "no '$sub' at the top"; done
grep -qx run <<< "$(offered workflow "")" || fail "no 'workflow run'"

# Prefixes, options of a subcommand, values.
[ "$(offered wor)" = workflow ] || fail "'wor' completes to '$(offered wor)'"
[ "$(offered instance list --wo)" = --workflow ] || fail "'instance list --wo' completes to '$(offered instance list --wo)'"
[ -z "$(offered instance list --workflow "")" ] || fail "a value of --workflow is completed with words"
touch "$T/myconf.ini"
[ "$(offered --conf "$T/myc")" = "$T/myconf.ini" ] || fail "--conf does not complete files"
[ "$(offered --conf "$T/conf/cafflow.ini" inst)" = instance ] || fail "--conf FILE breaks the subcommand completion"

# sbin/setup installs it, once.
out="$(CAFFLOW_COMPLETION_DIR="$T/completions" "$SRC/sbin/setup" 2>&1)" || fail "setup failed: $out"
expect_contains "$out" "installed the bash completion of cafflow: $T/completions/cafflow"
cmp -s "$SRC/sbin/completion.bash" "$T/completions/cafflow" || fail "the installed completion differs"
out="$(CAFFLOW_COMPLETION_DIR="$T/completions" "$SRC/sbin/setup" 2>&1)" || fail "setup failed: $out"
case "$out" in *installed*) fail "a second setup installed again: $out" ;; esac
echo "PASS"
