#!/usr/bin/env bash
# Benchmarks cafflow against make -j2 on the same machine, in the same run.
#
#   bench/run.sh [--repeat N] [--shapes chain-200,fanout-1000,forest-200] [--tls-shapes S]
#                [--stores sqlite,mariadb] [--store-shapes fanout-1000,forest-200]
#                [--alert-shapes chain-200] [--transfer-rows 1000000] [--only-transfers]
#                [--backfill-days 365] [--backfill-parallel 2] [--only-backfill] [--write]
#
# Each shape runs the same trivial commands (`true` through /bin/sh -c) both
# ways: as a cafflow workflow on a fresh local cluster (1 worker, 2 slots,
# SQLite), and as a Makefile run with make -j2. Reported: wall time (median
# of N runs), per-task overhead against make, the ratio to make, and peak RSS
# of the cafflow processes. Then the --store-shapes once per store (a throwaway
# MariaDB server is started for "mariadb"; --stores '' skips this): wall time,
# tasks and instances per second, and the store's commits and rows. First, the
# transfer actions (bench/transfers.py): SQLite -> MariaDB, MariaDB -> CSV,
# CSV -> PostgreSQL and CSV -> SQLite with --transfer-rows rows (0 skips them),
# rows/s and peak RSS of cafflow-exec beside the databases' bulk tools on the
# same data. Then a backfill of --backfill-days days of three chained daily
# workflows with --downstream all (3 x days trivial instances): the time to
# plan it (a dry run), to store it, to finish it, and the peak RSS of the
# master (0 days skips it). --write puts the results into docs/BENCHMARKS.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
"$ROOT/sbin/setup" > /dev/null
exec /usr/bin/python3 "$HERE/bench.py" --root "$ROOT" "$@"
