#!/usr/bin/env bash
# sbin/setup shows a line per step and builds the product only: after a
# source change it prints the build's progress as "[n/N]" lines ending with
# "[N/N]" and rebuilds no test binary; with nothing to do it says so in one
# line. (The product binaries are built already: ctest runs after the build.)
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${CAFFLOW_BUILD_DIR:-$SRC/build}"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-setup-XXXXXX")"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"
CONF="$T/none.ini"

# A changed source file: the CLI's main (one compile, one link).
touch "$SRC/actors/cafflow.cpp"
out="$(CAFFLOW_COMPLETION_DIR="$T/completions" "$SRC/sbin/setup" 2>&1)" || fail "setup failed: $out"
lines="$(grep -E '^setup: build \[[0-9]+/[0-9]+\]' <<< "$out")" || fail "no progress lines: $out"
last="$(tail -n 1 <<< "$lines")"
[[ "$last" =~ \[([0-9]+)/([0-9]+)\] ]] || fail "odd progress line: $last"
[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "the last progress line is not [N/N]: $last"
# One line per tenth at most (not one per compiled file when not a terminal).
[ "$(wc -l <<< "$lines")" -le 11 ] || fail "too many progress lines: $lines"
if grep -Eq 'unit_tests|integration_tests|store_tests|actor_tests' "$BUILD/.setup-build.log"; then
  fail "setup built test binaries: $(grep -E '_tests' "$BUILD/.setup-build.log" | head -3)"
fi
[ -x "$BUILD/bin/cafflow" ] || fail "no cafflow after setup"

out="$(CAFFLOW_COMPLETION_DIR="$T/completions" "$SRC/sbin/setup" 2>&1)" || fail "setup failed: $out"
expect_contains "$out" "setup: build up to date"
[ "$(grep -c . <<< "$out")" -le 2 ] || fail "a no-op setup says too much: $out"
echo "PASS"
