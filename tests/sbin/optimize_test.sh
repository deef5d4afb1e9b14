#!/usr/bin/env bash
# The build's optimisation level (CAFFLOW_OPTIMIZE, CMakeLists.txt): the
# compile commands of the build carry the configured level (-Os when it is
# empty, the default), and a level it does not know, or a level with another
# build type (whose own flags would make it ignored), is refused at configure
# time with the value named.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${CAFFLOW_BUILD_DIR:-$SRC/build}"
T="$(mktemp -d "${TMPDIR:-/tmp}/cafflow-optimize-XXXXXX")"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
. "$SRC/tests/sbin/lib.sh"

grep -q '^CAFFLOW_OPTIMIZE:STRING=' "$BUILD/CMakeCache.txt" \
  || fail "no CAFFLOW_OPTIMIZE in $BUILD/CMakeCache.txt"
level="$(sed -n 's/^CAFFLOW_OPTIMIZE:STRING=//p' "$BUILD/CMakeCache.txt")"
level="${level:--Os}"
if [ "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")" = RelWithDebInfo ]; then
  # Every compile of the product's sources at that level and no other.
  python3 - "$BUILD/compile_commands.json" "$level" <<'EOF' || fail "compile flags do not match $level"
import json, re, sys
cmds = [c for c in json.load(open(sys.argv[1])) if "/src/" in c["file"] or "/actors/" in c["file"]]
assert cmds, "no compile commands"
for c in cmds:
    levels = re.findall(r"(?<!\S)-O[0-9sgz]?(?!\S)", c["command"])
    assert levels == [sys.argv[2]], (c["file"], levels)
print(len(cmds), "compile commands at", sys.argv[2])
EOF
fi

out="$(cmake -S "$SRC" -B "$T/build" -G Ninja -DBUILD_TESTING=OFF -DCAFFLOW_OPTIMIZE=-O7 2>&1)" \
  && fail "a configure with CAFFLOW_OPTIMIZE=-O7 succeeded"
expect_contains "$out" "CAFFLOW_OPTIMIZE is '-O7': it must be -Os, -O2 or -O3"
out="$(cmake -S "$SRC" -B "$T/build2" -G Ninja -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug \
  -DCAFFLOW_OPTIMIZE=-O2 2>&1)" && fail "a configure with CAFFLOW_OPTIMIZE and a Debug build succeeded"
expect_contains "$out" "CAFFLOW_OPTIMIZE (-O2) sets the level of the default build type"
echo "PASS"
