#!/usr/bin/env bash
# Benchmarks cafflow against make -j2 on the same machine, in the same run.
#
#   bench/run.sh [--repeat N] [--shapes chain-200,fanout-1000,forest-200] [--tls-shapes S]
#                [--stores sqlite,mariadb] [--store-shapes fanout-1000,forest-200]
#                [--alert-shapes chain-200] [--transfer-rows 1000000] [--only-transfers]
#                [--backfill-days 365] [--backfill-parallel 2] [--only-backfill]
#                [--load-workflows 100000] [--load-idle-seconds 60] [--only-load]
#                [--herd-workflows 10000] [--herd-workers 2] [--herd-slots 4] [--herd-lead 60]
#                [--only-herd] [--write]
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
# master (0 days skips it). First of all, the scale shapes (bench/scale.py;
# 0 skips each): --load-workflows workflows (cron + a coordinator dependency,
# 2 actions each) as files of a temp xmlconfig: the time from the master's
# start until the API lists them all and until their versions are stored, the
# slowest /api/v1/health meanwhile, the master's RSS, its idle CPU, and the
# latency of a page of 100 of GET /api/v1/workflows; and the midnight herd:
# --herd-workflows workflows of 2 tasks whose crons fire on one tick, on
# --herd-workers workers x --herd-slots slots: the time from the tick until
# every instance succeeded and the fire-to-dispatch lag from /metrics, next to
# make -j(slots) on the same tasks in the same run.
# --write puts the results into docs/BENCHMARKS.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
"$ROOT/sbin/setup" > /dev/null
exec /usr/bin/python3 "$HERE/bench.py" --root "$ROOT" "$@"
