# Bash completion for the cafflow command line (sbin/cafflow, or cafflow on
# the PATH). Installed by sbin/setup into /etc/bash_completion.d/cafflow (as
# root); or add to ~/.bashrc:   source /path/to/cafflow/sbin/completion.bash
#
# Subcommands and options are read from `cafflow ... --help` when TAB is
# pressed, so the completion always matches the installed version. Needs only
# bash (not the bash-completion package).
# shellcheck shell=bash

# The help text of `cafflow WORDS... --help` (cached per command line prefix).
_cafflow_help() {
  local key="$*"
  if [ "${_cafflow_help_key-}" != "$key" ]; then
    _cafflow_help_key="$key"
    _cafflow_help_text="$(CAFFLOW_COMPLETING=1 timeout 5 "$@" --help 2>/dev/null)" || true
  fi
  printf '%s\n' "$_cafflow_help_text"
}

# Subcommands: the first word of each line under "Subcommands:".
_cafflow_subcommands() {
  awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

# Options: every -x / --name under "Options:"; with "=" appended to those
# that take a value when $1 is "values" (only the ones taking a value).
_cafflow_options() {
  awk -v want="${1:-all}" '
    /^Options:/ { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  -/ {
      n = split($1, names, ",")
      takes = ($2 ~ /^[A-Z]/)
      for (i = 1; i <= n; i++)
        if (want == "all" || takes) print names[i]
    }'
}

_cafflow() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd=("${COMP_WORDS[0]}") i w
  [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD - 1]}"
  # The subcommand path so far: the words before the cursor that name
  # subcommands of the previous level (options and their values skipped).
  local path=() help subs takes_value
  help="$(_cafflow_help "${cmd[@]}")"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "$w" in
      -*) continue ;;
    esac
    subs="$(printf '%s\n' "$help" | _cafflow_subcommands)"
    if grep -qx -- "$w" <<< "$subs"; then
      path+=("$w")
      help="$(_cafflow_help "${cmd[@]}" "${path[@]}")"
    fi
  done
  # A value for an option: files for --conf and --to/--from paths, else free.
  if [[ "$prev" == -* ]]; then
    takes_value="$( { _cafflow_help "${cmd[@]}"; printf '%s\n' "$help"; } | _cafflow_options values)"
    if grep -qx -- "$prev" <<< "$takes_value"; then
      case "$prev" in
        --conf|--file|--files|--dir) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        *) COMPREPLY=() ;;
      esac
      return 0
    fi
  fi
  local words
  if [[ "$cur" == -* ]]; then
    words="$(printf '%s\n' "$help" | _cafflow_options)"
    # The top level's options (--conf, --json) apply at every level.
    [ ${#path[@]} -eq 0 ] || words+=$'\n'"$(_cafflow_help "${cmd[@]}" | _cafflow_options)"
  else
    words="$(printf '%s\n' "$help" | _cafflow_subcommands)"
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}

complete -o default -F _cafflow cafflow
complete -o default -F _cafflow sbin/cafflow
complete -o default -F _cafflow ./sbin/cafflow
