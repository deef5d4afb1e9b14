#!/usr/bin/env bash
# Measures failover: the long form of the chaos test (tests/chaos) on a
# master, a standby, 2 workers and the http server, under a steady stream of
# workflows. Every round SIGKILLs the active master (every third one freezes
# it with SIGSTOP instead, then SIGCONTs it; now and then a worker or the
# http server is killed too) and measures the time from the signal to the
# first attempt the new master dispatches. At the end the chaos test checks
# that every instance is terminal and that nothing ran twice.
#
#   bench/failover.sh [--rounds N] [--stores sqlite,mariadb] [--write]
#
# --rounds: disruptions per store (default 15: 10 SIGKILLs, 5 SIGSTOPs).
# --write puts the results into docs/BENCHMARKS.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
"$ROOT/sbin/setup" > /dev/null
exec /usr/bin/python3 "$HERE/failover.py" --root "$ROOT" "$@"
