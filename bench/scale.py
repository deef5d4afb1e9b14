"""Scale benchmarks (issue 21, see run.sh): many workflows on one master.

load:  N workflows (cron + a coordinator dependency on the one before, in
       chains of 10; 2 `true` actions each) as files of a temp xmlconfig,
       on a real cluster: the time from the master's start until all of them
       are listed by GET /api/v1/workflows and until all their versions are in
       the store, the longest GET /api/v1/health during the load (the master
       keeps answering), the master's RSS, its idle CPU over a minute after
       the load, and the latency of pages of 100 of GET /api/v1/workflows.
herd:  N workflows of 2 chained `true` tasks whose crons fire on the same
       tick (`@seconds` cron, UTC), W workers x S slots: the time from the
       tick until every instance succeeded, and the fire-to-dispatch lag
       (cafflow_fire_dispatch_lag_seconds in /metrics); then make, with as
       many jobs as there are slots, on the same 2 x N `/bin/sh -c true`
       recipes in chains of 2: what starting those processes costs on this
       machine in the same run.
"""
import json
import os
import sqlite3
import statistics
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def action(name, to):
    return (f'<action name="{name}"><shell><command>true</command></shell>'
            f'<ok to="{to}"/></action>')


def load_xml(i):
    """Workflow i: daily cron, in chains of 10 each one waits for the one
    before it (a coordinator dependency), 2 actions."""
    name = f"w{i:06d}"
    dep = f'<workflow name="w{i - 1:06d}"/>' if i % 10 else ""
    return (f'<work-flow name="{name}" timezone="UTC" dir="/scale/g{i // 1000:03d}" '
            f'creator="bench" desc="scale benchmark workflow {i}"><coordinator>'
            f'<depend-list cron="0 2 * * *">{dep}</depend-list></coordinator>'
            f'<start name="start" to="a"/>{action("a", "b")}{action("b", "end")}'
            '<end name="end"/></work-flow>')


def herd_xml(i, cron):
    name = f"h{i:06d}"
    return (f'<work-flow name="{name}" timezone="UTC"><coordinator>'
            f'<depend-list cron="{cron}"/></coordinator>'
            f'<start name="start" to="a"/>{action("a", "b")}{action("b", "end")}'
            '<end name="end"/></work-flow>')


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def timed_get(c, path):
    t0 = time.perf_counter()
    doc = c.get(path)
    return time.perf_counter() - t0, doc


def stored_versions(workdir):
    """Workflow versions in the cluster's SQLite store (read only)."""
    path = f"{workdir}/data/cafflow.db"
    if not os.path.exists(path):
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM workflow_version").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def bench_load(args, Cluster, scratch_dir, machine):
    n = args.load_workflows
    c = Cluster(args.root, scratch_dir("cafflow-load-"), rescan=None)
    t0 = time.perf_counter()
    for i in range(n):
        c.add(f"w{i:06d}", load_xml(i))
    print(f"load: {n} files written in {time.perf_counter() - t0:.1f} s", flush=True)
    try:
        start = time.perf_counter()
        c.start(timeout=600, wait_for_workers=False)
        up = time.perf_counter() - start
        listed_at = stored_at = None
        slowest_health = 0.0
        deadline = start + 900
        shown = 0
        while listed_at is None or stored_at is None:
            if time.perf_counter() - start > shown + 10:
                shown += 10
                print(f"load: {shown} s: listed {listed_at}, stored {stored_at}, slowest health "
                      f"{slowest_health * 1000:.0f} ms", flush=True)
            if time.perf_counter() > deadline:
                raise RuntimeError("the workflows were not all loaded within 15 minutes")
            try:
                took, h = timed_get(c, "/api/v1/health")
                slowest_health = max(slowest_health, took)
                if listed_at is None:
                    total = c.get("/api/v1/workflows?limit=1")["total"]
                    if total >= n:
                        listed_at = time.perf_counter() - start
                if stored_at is None and stored_versions(c.dir) >= n:
                    stored_at = time.perf_counter() - start
            except (OSError, RuntimeError) as e:
                slowest_health = max(slowest_health, 30.0)
                print(f"load: no answer: {e}", flush=True)
            time.sleep(0.2)
        master = c.procs["master"].pid
        print(f"load: up {up:.1f} s, listed {listed_at:.1f} s, stored {stored_at:.1f} s, "
              f"slowest health {slowest_health * 1000:.0f} ms", flush=True)
        time.sleep(10)  # settle: the last writes, the allocator giving back
        rss = status_kb(master, "VmRSS")
        hwm = status_kb(master, "VmHWM")
        window = args.load_idle_seconds
        cpu0, w0 = cpu_seconds(master), time.perf_counter()
        time.sleep(window)
        idle = (cpu_seconds(master) - cpu0) / (time.perf_counter() - w0) * 100
        pages = []
        for k in range(30):
            offset = (k * 3331) % max(n - 100, 1)
            took, doc = timed_get(c, f"/api/v1/workflows?limit=100&offset={offset}")
            assert len(doc["workflows"]) == 100, doc.get("total")
            pages.append(took)
        detail = []
        for k in range(10):
            offset = (k * 7919) % max(n - 25, 1)
            took, _ = timed_get(c, f"/api/v1/workflows?limit=25&offset={offset}&detail=true")
            detail.append(took)
        page_ms = statistics.median(pages) * 1000
        page_max = max(pages) * 1000
        detail_ms = statistics.median(detail) * 1000
    finally:
        c.stop()
    print(f"load {n}: listed {listed_at:.1f} s, stored {stored_at:.1f} s, RSS {rss // 1024} MiB "
          f"(peak {hwm // 1024} MiB), idle CPU {idle:.2f} % over {window} s, page of 100 "
          f"{page_ms:.1f} ms (max {page_max:.1f}), page of 25 with detail {detail_ms:.1f} ms, "
          f"slowest health during the load {slowest_health * 1000:.0f} ms", flush=True)
    table = ["| workflows | listed (API) | stored (versions) | slowest /health during load | master RSS (peak) | idle CPU | page of 100 (max) | page of 25, detail |",
             "|---|---|---|---|---|---|---|---|"]
    table.append(f"| {n} | {listed_at:.1f} s | {stored_at:.1f} s | {slowest_health * 1000:.0f} ms | "
                 f"{rss // 1024} MiB ({hwm // 1024} MiB) | {idle:.2f} % | {page_ms:.1f} ms "
                 f"({page_max:.1f} ms) | {detail_ms:.1f} ms |")
    return ("<!-- load:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; one run, "
            f"`bench/run.sh --only-load --load-workflows {n}`.\n\n"
            + "\n".join(table) + "\n<!-- load:end -->")


def metric_histogram(text, name):
    """{le: count} of a histogram in the Prometheus text of /metrics."""
    buckets = {}
    for line in text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def quantile(buckets, q):
    """The upper bound of the bucket holding quantile q."""
    if not buckets:
        return float("nan")
    total = buckets[max(buckets)]
    for le in sorted(buckets):
        if buckets[le] >= q * total:
            return le
    return float("inf")


def herd_make(n, jobs, scratch_dir):
    """make's time for the herd's work: n chains of 2 `/bin/sh -c true`
    recipes, as many jobs as the cluster has slots. The same processes on the
    same machine in the same run: what starting them costs here."""
    tmp = scratch_dir("make-herd-")
    with open(f"{tmp}/Makefile", "w") as f:
        f.write(".PHONY: all\nall: " + " ".join(f"h{i}b" for i in range(n)) + "\n")
        for i in range(n):
            f.write(f"h{i}a:\n\t@/bin/sh -c true\nh{i}b: h{i}a\n\t@/bin/sh -c true\n")
    start = time.perf_counter()
    subprocess.run(["make", "-s", f"-j{jobs}", "-C", tmp], check=True)
    return time.perf_counter() - start


def bench_herd(args, Cluster, scratch_dir, machine, iso_ms):
    n = args.herd_workflows
    c = Cluster(args.root, scratch_dir("cafflow-herd-"), rescan=None,
                workers=args.herd_workers, slots=args.herd_slots)
    # The tick: far enough ahead for the cluster to start and load.
    lead = args.herd_lead
    tick = int(time.time()) + lead
    g = time.gmtime(tick)
    cron = f"@seconds {g.tm_sec} {g.tm_min} {g.tm_hour} {g.tm_mday} {g.tm_mon} *"
    for i in range(n):
        c.add(f"h{i:06d}", herd_xml(i, cron))
    try:
        c.start(timeout=600)
        while c.get("/api/v1/workflows?limit=1")["total"] < n:
            if time.time() > tick - 1:
                raise RuntimeError(f"the {n} workflows were not loaded {lead} s before the tick; "
                                   "raise --herd-lead")
            time.sleep(0.2)
        loaded = time.time()
        print(f"herd: {n} workflows loaded, tick in {tick - loaded:.1f} s", flush=True)
        deadline = tick + 900
        done = 0
        while True:
            time.sleep(1)
            if time.time() > deadline:
                raise RuntimeError(f"only {done} of {n} instances ended 15 minutes after the tick")
            m = c.request_text("/metrics")
            done = 0
            for line in m.splitlines():
                if line.startswith("cafflow_instances_ended_total{"):
                    done += int(float(line.rsplit(" ", 1)[1]))
            if done >= n:
                break
        last, failed, offset = 0.0, 0, 0
        while True:
            page = c.get(f"/api/v1/instances?limit=1000&offset={offset}")
            for i in page["instances"]:
                if i["status"] != "succeeded":
                    failed += 1
                elif i.get("finished"):
                    last = max(last, iso_ms(i["finished"]))
            if page["next_offset"] is None:
                break
            offset = page["next_offset"]
        lag = metric_histogram(m, "cafflow_fire_dispatch_lag_seconds")
        cron_lag = metric_histogram(m, "cafflow_coordinator_lag_seconds")
        rss = c.peak_rss_kb()
    finally:
        c.stop()
    if failed:
        raise RuntimeError(f"{failed} instances did not succeed")
    all_done = last - tick
    slots = args.herd_workers * args.herd_slots
    make_s = herd_make(n, slots, scratch_dir)
    p50, p99, pmax = quantile(lag, 0.5), quantile(lag, 0.99), quantile(lag, 1.0)
    c50 = quantile(cron_lag, 0.5)
    print(f"herd {n} x 2 tasks, {args.herd_workers} workers x {args.herd_slots} slots: all "
          f"succeeded {all_done:.1f} s after the tick ({2 * n / all_done:.0f} tasks/s); "
          f"fire-to-dispatch lag p50 <= {p50} s, p99 <= {p99} s, max <= {pmax} s; cron lag "
          f"p50 <= {c50} s; peak RSS master {rss.get('master', 0) // 1024} MiB; "
          f"make -j{slots} on the same tasks {make_s:.1f} s ({all_done / make_s:.2f}x)", flush=True)
    table = ["| workflows x tasks | workers x slots | all succeeded after the tick | tasks/s | make -j(slots), same tasks | ratio | fire-to-dispatch lag p50 / p99 / max (bucket bounds) | peak RSS master |",
             "|---|---|---|---|---|---|---|---|"]
    table.append(f"| {n} x 2 | {args.herd_workers} x {args.herd_slots} | {all_done:.1f} s | "
                 f"{2 * n / all_done:.0f} | {make_s:.1f} s | {all_done / make_s:.2f}x | "
                 f"≤ {p50} / ≤ {p99} / ≤ {pmax} s | {rss.get('master', 0) // 1024} MiB |")
    return ("<!-- herd:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; one run, "
            f"`bench/run.sh --only-herd --herd-workflows {n}`.\n\n"
            + "\n".join(table) + "\n<!-- herd:end -->")
