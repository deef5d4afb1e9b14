"""Failover benchmark: runs the chaos test's long form per store, collects the
failover times it measured, and reports median and range (bench/failover.sh)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import MariaDB, machine, scratch_dir, write_section  # noqa: E402


def run_chaos(root, rounds, store_url):
    report = os.path.join(scratch_dir("failover-"), "report.json")
    env = dict(os.environ, CAFFLOW_CHAOS_ROUNDS=str(rounds), CAFFLOW_CHAOS_REPORT=report,
               CAFFLOW_CHAOS_STORE=store_url or "")
    started = time.time()
    proc = subprocess.run([f"{root}/build/bin/chaos_tests"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-20000:])
        print(f"THE CHAOS TEST FAILED (exit {proc.returncode}): see above", flush=True)
    if not os.path.exists(report):
        raise SystemExit("the chaos test wrote no report")
    result = json.load(open(report))
    result["passed"] = proc.returncode == 0
    result["wall_s"] = time.time() - started
    return result


def fmt(xs):
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}–{max(xs):.2f})" if xs else "–"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--stores", default="sqlite,mariadb")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    mariadb = MariaDB() if "mariadb" in stores else None
    rows = []
    try:
        for store in stores:
            url = mariadb.fresh_url() if store == "mariadb" else None
            r = run_chaos(args.root, args.rounds, url)
            kills = [e["failover_s"] for e in r["events"]
                     if e["action"] == "SIGKILL" and "failover_s" in e]
            stops = [e["failover_s"] for e in r["events"]
                     if e["action"] == "SIGSTOP" and "failover_s" in e]
            # A freeze inside a SQLite commit holds the database until it ends.
            missing = [e for e in r["events"] if e.get("to") is None]
            rows.append((store, r, kills, stops, missing))
            print(f"{store}: SIGKILL {fmt(kills)} over {len(kills)}, SIGSTOP {fmt(stops)} over "
                  f"{len(stops)}, {r['instances']} instances, {r['tasks_checked']} tasks checked, "
                  f"statuses {r['statuses']}, {r['ticks']} cron ticks; seed {r['seed']}",
                  flush=True)
    finally:
        if mariadb:
            mariadb.stop()
    table = ["| store | SIGKILL of the active master: median (range) | kills | SIGSTOP past the lease: median (range) | stops | stops without takeover | instances (succeeded) | tasks checked | run twice | run at once | ticks fired twice | lost instances | checks |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for store, r, kills, stops, missing in rows:
        table.append(f"| {store} | {fmt(kills)} | {len(kills)} | {fmt(stops)} | {len(stops)} | "
                     f"{len(missing)} | "
                     f"{r['instances']} ({r['statuses'].get('succeeded', 0)}) | "
                     f"{r['tasks_checked']} | {r['duplicates'] + r['unrecorded']} | "
                     f"{r['concurrent']} | {r['double_ticks']} | {r['unfinished']} | "
                     f"{'passed' if r['passed'] else 'FAILED'} |")
    result = ("<!-- failover:begin -->\n"
              f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; "
              f"`bench/failover.sh --rounds {args.rounds} --stores {','.join(stores)}`.\n\n"
              + "\n".join(table) + "\n<!-- failover:end -->")
    print(result)
    if args.write:
        write_section(args.root, "failover", result)
    if not all(r["passed"] for _, r, _, _, _ in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
