#!/usr/bin/env python3
"""cafflow vs make -j2 on chain-200, fanout-1000 and forest-200 (see run.sh)."""
import argparse
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


_GIVEN_PORTS = set()


def free_port():
    """A free port, never the same one twice in this run (the kernel may offer
    a closed probe's port again before the first taker listens on it)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def action(name, to):
    return (f'<action name="{name}"><shell><command>true</command></shell>'
            f'<ok to="{to}"/></action>')


def chain_xml(name, n):
    nodes = [action(f"t{i}", f"t{i + 1}" if i + 1 < n else "end") for i in range(n)]
    return (f'<work-flow name="{name}"><start name="start" to="t0"/>' + "".join(nodes)
            + '<end name="end"/></work-flow>')


def fanout_xml(name, n):
    paths = "".join(f'<path to="t{i}"/>' for i in range(n))
    nodes = "".join(action(f"t{i}", "join") for i in range(n))
    return (f'<work-flow name="{name}"><start name="start" to="fork"/>'
            f'<fork name="fork">{paths}</fork>{nodes}<join name="join" to="end"/>'
            '<end name="end"/></work-flow>')


# shape -> (workflows as {name: xml}, tasks, makefile text)
def shapes():
    def make_chain(prefix, n):
        lines = []
        for i in range(n):
            dep = f" {prefix}{i - 1}" if i > 0 else ""
            lines.append(f"{prefix}{i}:{dep}\n\t@/bin/sh -c true\n")
        return lines

    chain_mk = ".PHONY: all\nall: c199\n" + "".join(make_chain("c", 200))
    fan_mk = (".PHONY: all\nall: " + " ".join(f"f{i}" for i in range(1000)) + "\n"
              + "".join(f"f{i}:\n\t@/bin/sh -c true\n" for i in range(1000)))
    forest_mk = ".PHONY: all\nall: " + " ".join(f"w{w}_4" for w in range(200)) + "\n"
    for w in range(200):
        forest_mk += "".join(make_chain(f"w{w}_", 5))
    return {
        "chain-200": ({"chain200": chain_xml("chain200", 200)}, 200, chain_mk),
        "fanout-1000": ({"fanout1000": fanout_xml("fanout1000", 1000)}, 1000, fan_mk),
        "forest-200": ({f"forest{w:03d}": chain_xml(f"forest{w:03d}", 5) for w in range(200)},
                       1000, forest_mk),
    }


class MariaDB:
    """A throwaway MariaDB server on a free port, its data in the scratch dir."""

    def __init__(self):
        self.dir = scratch_dir("mariadb-")
        self.port = free_port()
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", *root,
                        f"--datadir={self.dir}/data", "--auth-root-authentication-method=normal",
                        "--skip-test-db", "--skip-name-resolve"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.makedirs(f"{self.dir}/tmp")
        server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.proc = subprocess.Popen(
            [server, "--no-defaults", *root, f"--datadir={self.dir}/data",
             f"--tmpdir={self.dir}/tmp", f"--socket={self.dir}/mysqld.sock",
             f"--pid-file={self.dir}/mysqld.pid", f"--port={self.port}",
             "--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin",
             f"--log-error={self.dir}/error.log", "--character-set-server=utf8mb4"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while self.sql("SELECT 1", check=False).returncode != 0:
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("MariaDB did not start: "
                                   + open(f"{self.dir}/error.log").read()[-2000:])
            time.sleep(0.05)
        self.sql("CREATE USER 'cafflow'@'127.0.0.1' IDENTIFIED BY 'cafflow'; "
                 "GRANT ALL ON *.* TO 'cafflow'@'127.0.0.1'")
        self.databases = 0

    def sql(self, statement, check=True):
        return subprocess.run(["mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1",
                               f"-P{self.port}", "-uroot", "-e", statement],
                              check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def fresh_url(self):
        self.databases += 1
        name = f"bench{self.databases}"
        self.sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return f"mysql://cafflow:cafflow@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Cluster:
    def __init__(self, root, workdir, store_url=None, tls=True, alerts=True, rescan=1,
                 workers=1, slots=2):
        """rescan: [master] rescan_interval_s (None = the default)."""
        self.root = root
        self.dir = workdir
        self.http = ("127.0.0.1", free_port())
        self.master = f"127.0.0.1:{free_port()}"
        self.workers = [f"127.0.0.1:{free_port()}" for _ in range(workers)]
        self.worker = self.workers[0]
        os.makedirs(f"{workdir}/conf")
        os.makedirs(f"{workdir}/xmlconfig")
        with open(f"{workdir}/conf/cafflow.ini", "w") as f:
            f.write(f"[cluster]\nmaster = {self.master}\nworkers = {','.join(self.workers)}\n"
                    f"http = 127.0.0.1:{self.http[1]}\n[worker]\nslots = {slots}\n"
                    "reconnect_interval_ms = 50\n[log]\nlevel = warn\n"
                    + ("" if rescan is None else f"[master]\nrescan_interval_s = {rescan}\n")
                    + (f"[store]\nurl = {store_url}\n" if store_url else "")
                    + ("" if tls else "[tls]\nenabled = false\n")
                    + ("" if alerts else "[alert]\nenabled = false\n"))
        self.procs = {}

    def add(self, name, xml):
        with open(f"{self.dir}/xmlconfig/{name}.xml", "w") as f:
            f.write(xml)

    def start(self, timeout=30, wait_for_workers=True):
        binary = f"{self.root}/build/bin/cafflowd"
        roles = [("master", self.master)]
        roles += [("worker" if k == 0 else f"worker{k + 1}", w) for k, w in enumerate(self.workers)]
        roles.append(("http", f"127.0.0.1:{self.http[1]}"))
        for role, addr in roles:
            self.procs[role] = subprocess.Popen(
                [binary, "--role", "worker" if role.startswith("worker") else role,
                 "--conf", f"{self.dir}/conf/cafflow.ini",
                 "--address", addr], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                h = self.get("/api/v1/health")
                if len(h.get("workers") or []) >= (len(self.workers) if wait_for_workers else 0):
                    return
            except (OSError, RuntimeError):
                pass  # not up yet
            time.sleep(0.05)
        raise RuntimeError("cluster did not start")

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(*self.http, timeout=30)
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/json"} if body else {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status} {data!r}")
        return json.loads(data)

    def get(self, path):
        return self.request("GET", path)

    def request_text(self, path):
        conn = http.client.HTTPConnection(*self.http, timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status >= 400:
            raise RuntimeError(f"GET {path}: {resp.status} {data!r}")
        return data.decode()

    def run(self, name):
        return self.request("POST", f"/api/v1/workflows/{name}/run", b"{}")["instance_id"]

    def peak_rss_kb(self):
        result = {}
        for role, p in self.procs.items():
            with open(f"/proc/{p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        result[role] = int(line.split()[1])
        return result

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def iso_ms(text):
    """Epoch seconds of cafflow's "YYYY-MM-DDTHH:MM:SS.mmmZ"."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


# Every run's files stay until the whole benchmark is over: on ext4 without a
# journal, creating files right after thousands were deleted is several times
# slower (the allocator skips recently deleted inodes), so deleting one run's
# tree would slow down the next run — a cost of this script, not of cafflow.
SCRATCH = None


def scratch_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=SCRATCH)


def run_cafflow(root, workflows, store_url=None, tls=True, alerts=True, user=None):
    """Wall time from the first run request until the last instance ended.

    The end is the master's own `finished` time of the last instance (same
    clock, millisecond resolution), so this script can poll slowly and not
    load the machine it measures.

    With `user` (a list) and one workflow, it is run as a user or a CI job
    does: `cafflow workflow run NAME` then `cafflow instance wait ID`, and the
    wall time from the start of the first command to the exit of the second
    is appended to `user`."""
    c = Cluster(root, scratch_dir("cafflow-"), store_url, tls, alerts)
    for name, xml in workflows.items():
        c.add(name, xml)
    try:
        c.start()
        loaded = set()
        while len(loaded) < len(workflows):
            loaded = {w["name"] for w in c.get("/api/v1/workflows")["workflows"]}
            time.sleep(0.02)
        start = time.time()
        if user is not None and len(workflows) == 1:
            cli = [f"{root}/build/bin/cafflow", "--conf", f"{c.dir}/conf/cafflow.ini"]
            began = time.perf_counter()
            ran = subprocess.run(cli + ["workflow", "run", next(iter(workflows))],
                                 check=True, capture_output=True, text=True)
            ids = [ran.stdout.strip()]
            subprocess.run(cli + ["instance", "wait", ids[0], "--timeout", "600"], check=True,
                           stdout=subprocess.DEVNULL)
            user.append(time.perf_counter() - began)
        else:
            ids = [c.run(name) for name in workflows]
        pending, last_end = set(ids), start
        while pending:
            if time.time() - start > 600:
                raise RuntimeError(f"{len(pending)} instances still unfinished after 600 s")
            time.sleep(0.1)
            for i in c.get(f"/api/v1/instances?limit={max(len(ids), 1)}")["instances"]:
                if i["id"] in pending and i["status"] in ("succeeded", "failed", "killed"):
                    if i["status"] != "succeeded":
                        raise RuntimeError(f"instance {i['id']} {i['status']}: {i['message']}")
                    pending.discard(i["id"])
                    last_end = max(last_end, iso_ms(i["finished"]))
        store = c.get("/api/v1/health").get("store", {})
        return last_end - start, c.peak_rss_kb(), store
    finally:
        c.stop()


def run_make(makefile):
    tmp = scratch_dir("make-")
    with open(f"{tmp}/Makefile", "w") as f:
        f.write(makefile)
    start = time.perf_counter()
    subprocess.run(["make", "-s", "-j2", "-C", tmp], check=True)
    return time.perf_counter() - start


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    make_version = subprocess.run(["make", "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kb // 1024 // 1024} GiB, "
            f"{platform.system()} {platform.release()}, {make_version}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shapes", default="chain-200,fanout-1000,forest-200")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--stores", default="sqlite,mariadb",
                    help="stores to compare on --store-shapes (sqlite, mariadb; '' = none)")
    ap.add_argument("--store-shapes", default="fanout-1000,forest-200")
    ap.add_argument("--tls-shapes", default="chain-200,fanout-1000",
                    help="shapes run with TLS on and off, alternately ('' = none)")
    ap.add_argument("--alert-shapes", default="",
                    help="shapes to run with alerts off and on (each instance mails its end)")
    ap.add_argument("--transfer-rows", type=int, default=1000000,
                    help="rows of the transfer benchmarks (0 = skip them)")
    ap.add_argument("--only-transfers", action="store_true",
                    help="run the transfer benchmarks alone")
    ap.add_argument("--backfill-days", type=int, default=365,
                    help="days of the backfill benchmark: 3 chained daily workflows, "
                         "--downstream all (0 = skip it)")
    ap.add_argument("--backfill-parallel", type=int, default=2,
                    help="--parallel of the backfill benchmark")
    ap.add_argument("--only-backfill", action="store_true",
                    help="run the backfill benchmark alone")
    ap.add_argument("--load-workflows", type=int, default=100000,
                    help="workflows of the load benchmark: cron + dependencies, 2 actions each, "
                         "as files of the xmlconfig (0 = skip it)")
    ap.add_argument("--load-idle-seconds", type=int, default=60,
                    help="how long the idle CPU of the master is measured after the load")
    ap.add_argument("--only-load", action="store_true",
                    help="run the load benchmark alone")
    ap.add_argument("--herd-workflows", type=int, default=10000,
                    help="workflows of the midnight herd: 2 tasks each, all firing on one tick "
                         "(0 = skip it)")
    ap.add_argument("--herd-workers", type=int, default=2)
    ap.add_argument("--herd-slots", type=int, default=4)
    ap.add_argument("--herd-lead", type=int, default=60,
                    help="seconds from writing the herd's files to its tick (start and load "
                         "must fit)")
    ap.add_argument("--only-herd", action="store_true",
                    help="run the herd benchmark alone")
    args = ap.parse_args()
    global SCRATCH
    SCRATCH = tempfile.mkdtemp(prefix="cafflow-bench-")
    try:
        bench(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def bench(args):
    if args.only_load or args.only_herd:
        args.transfer_rows = 0
        args.backfill_days = 0
        if not args.only_load:
            args.load_workflows = 0
        if not args.only_herd:
            args.herd_workflows = 0
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scale
    if args.load_workflows > 0:
        result = scale.bench_load(args, Cluster, scratch_dir, machine)
        print(result, flush=True)
        if args.write:
            write_section(args.root, "load", result)
    if args.herd_workflows > 0:
        result = scale.bench_herd(args, Cluster, scratch_dir, machine, iso_ms)
        print(result, flush=True)
        if args.write:
            write_section(args.root, "herd", result)
    if args.only_load or args.only_herd:
        return
    transfers = None
    if args.transfer_rows > 0:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import transfers as transfer_bench
        transfers = transfer_bench.bench_transfers(args, args.root, Cluster, MariaDB,
                                                   scratch_dir, free_port)
        print(transfers, flush=True)
        if args.write:
            write_section(args.root, "transfers", transfers)
    if args.only_transfers:
        return
    if args.backfill_days > 0:
        result = bench_backfill(args)
        print(result, flush=True)
        if args.write:
            write_section(args.root, "backfill", result)
    if args.only_backfill:
        return
    all_shapes = shapes()
    rows = []
    for shape in args.shapes.split(","):
        workflows, tasks, makefile = all_shapes[shape]
        ours, users, theirs, rss = [], [], [], {}
        for _ in range(args.repeat):
            wall, peak, _ = run_cafflow(args.root, workflows, user=users)
            ours.append(wall)
            for role, kb in peak.items():
                rss[role] = max(rss.get(role, 0), kb)
            theirs.append(run_make(makefile))
        o, m = statistics.median(ours), statistics.median(theirs)
        u = statistics.median(users) if users else None
        ratios = [a / b for a, b in zip(ours, theirs)]
        rows.append((shape, tasks, o, u, m, rss, min(ratios), max(ratios)))
        print(f"{shape}: cafflow {o:.3f} s"
              + (f" (user wall {u:.3f} s, ratio {u / m:.2f})" if u else "")
              + f", make -j2 {m:.3f} s, ratio {o / m:.2f} "
              f"(single runs {min(ratios):.2f}-{max(ratios):.2f}), "
              f"overhead {(o - m) / tasks * 1000:.2f} ms/task, "
              f"peak RSS " + ", ".join(f"{r} {kb // 1024} MiB" for r, kb in sorted(rss.items())),
              flush=True)
    table = ["| shape | tasks | cafflow (master) | user wall (run → wait) | make -j2 | ratio master | ratio user | single runs (master) | overhead per task (user) | peak RSS master / worker / http |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for shape, tasks, o, u, m, rss, low, high in rows:
        table.append(f"| {shape} | {tasks} | {o:.3f} s | " + (f"{u:.3f} s" if u else "—")
                     + f" | {m:.3f} s | {o / m:.2f}x | " + (f"{u / m:.2f}x" if u else "—")
                     + f" | {low:.2f}–{high:.2f}x | "
                     + (f"{(u - m) / tasks * 1000:.2f} ms" if u else "—") + " | "
                     f"{rss.get('master', 0) // 1024} / {rss.get('worker', 0) // 1024} / "
                     f"{rss.get('http', 0) // 1024} MiB |")
    result = ("<!-- bench:begin -->\n"
              f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; median of {args.repeat} "
              "runs each, `bench/run.sh --repeat " + str(args.repeat) + "`.\n\n"
              + "\n".join(table) + "\n<!-- bench:end -->")
    print(result)
    stores = compare_stores(args, all_shapes) if args.stores else None
    if stores:
        print(stores)
    tls = compare_tls(args, all_shapes) if args.tls_shapes else None
    if tls:
        print(tls)
    alerts = compare_alerts(args, all_shapes) if args.alert_shapes else None
    if alerts:
        print(alerts)
    if args.write:
        write_section(args.root, "bench", result)
        if stores:
            write_section(args.root, "stores", stores)
        if tls:
            write_section(args.root, "tls", tls)
        if alerts:
            write_section(args.root, "alerts", alerts)


def backfill_chain_xml(name, upstream):
    """A daily workflow of one trivial task; its coordinator depends on
    `upstream` (today's period) when given."""
    dep = (f'<workflow name="{upstream}" cycle="day" window="today"/>' if upstream else "")
    return (f'<work-flow name="{name}" timezone="UTC"><coordinator>'
            f'<depend-list cron="0 0 * * *">{dep}</depend-list></coordinator>'
            f'<start name="start" to="t"/>{action("t", "end")}<end name="end"/></work-flow>')


def bench_backfill(args):
    """A backfill of `days` days of bfa, --downstream all over bfa -> bfb ->
    bfc (3 x days instances): the time to plan (a dry run through the API),
    the time to finish (the master's created .. finished of the backfill) and
    the peak RSS of the master."""
    days = args.backfill_days
    c = Cluster(args.root, scratch_dir("cafflow-backfill-"))
    for name, up in (("bfa", None), ("bfb", "bfa"), ("bfc", "bfb")):
        c.add(name, backfill_chain_xml(name, up))
    try:
        c.start()
        while len(c.get("/api/v1/workflows")["workflows"]) < 3:
            time.sleep(0.02)
        first = datetime.date(2025, 1, 1)
        last = first + datetime.timedelta(days=days - 1)
        body = {"workflow": "bfa", "from": f"{first} 00:00:00", "to": f"{last} 00:00:00",
                "downstream": "all", "parallel": args.backfill_parallel}
        t0 = time.perf_counter()
        plan = c.request("POST", "/api/v1/backfills", json.dumps({**body, "dry_run": True}))
        plan_s = time.perf_counter() - t0
        items = len(plan["items"])
        t0 = time.perf_counter()
        created = c.request("POST", "/api/v1/backfills", json.dumps(body))
        create_s = time.perf_counter() - t0
        deadline = time.time() + 3600
        while True:
            b = c.get(f"/api/v1/backfills/{created['id']}")
            if b["finished"]:
                break
            if time.time() > deadline:
                raise RuntimeError("the backfill did not finish within an hour")
            time.sleep(0.5)
        if b["state"] != "succeeded":
            raise RuntimeError(f"backfill {b['state']}: {b['progress']}")
        finish_s = iso_ms(b["finished"]) - iso_ms(b["created"])
        rss = c.peak_rss_kb()
    finally:
        c.stop()
    print(f"backfill {days} days x 3 workflows ({items} instances): plan {plan_s:.3f} s, "
          f"create {create_s:.3f} s, finish {finish_s:.1f} s ({items / finish_s:.1f} instances/s), "
          f"peak RSS master {rss.get('master', 0) // 1024} MiB", flush=True)
    table = ["| backfill | instances | plan (dry run) | create (stored) | finish | instances/s | peak RSS master / worker / http |",
             "|---|---|---|---|---|---|---|"]
    table.append(f"| {days} days x 3 chained daily workflows, downstream all, parallel "
                 f"{args.backfill_parallel} | {items} | {plan_s:.3f} s | {create_s:.3f} s | "
                 f"{finish_s:.1f} s | {items / finish_s:.1f} | {rss.get('master', 0) // 1024} / "
                 f"{rss.get('worker', 0) // 1024} / {rss.get('http', 0) // 1024} MiB |")
    return ("<!-- backfill:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; one run, "
            f"`bench/run.sh --only-backfill --backfill-days {days} --backfill-parallel "
            f"{args.backfill_parallel}`.\n\n"
            + "\n".join(table) + "\n<!-- backfill:end -->")


def write_section(root, name, content):
    path = f"{root}/docs/BENCHMARKS.md"
    text = open(path).read()
    begin, end = text.index(f"<!-- {name}:begin -->"), text.index(f"<!-- {name}:end -->")
    text = text[:begin] + content + text[end + len(f"<!-- {name}:end -->"):]
    open(path, "w").write(text)


def compare_stores(args, all_shapes):
    """The same shapes on each store, side by side: the group commit at work."""
    stores = args.stores.split(",")
    mariadb = MariaDB() if "mariadb" in stores else None
    try:
        rows = []
        for shape in args.store_shapes.split(","):
            workflows, tasks, _ = all_shapes[shape]
            for store in stores:
                walls, commits, writes = [], [], []
                for _ in range(args.repeat):
                    url = mariadb.fresh_url() if store == "mariadb" else None
                    wall, _, st = run_cafflow(args.root, workflows, url)
                    walls.append(wall)
                    commits.append(st.get("commits", 0))
                    writes.append(st.get("writes", 0))
                w = statistics.median(walls)
                c = statistics.median(commits)
                rows.append((shape, store, tasks, len(workflows), w, c,
                             statistics.median(writes)))
                print(f"{shape} on {store}: {w:.3f} s, {tasks / w:.0f} tasks/s, "
                      f"{len(workflows) / w:.1f} instances/s, {c:.0f} commits", flush=True)
    finally:
        if mariadb:
            mariadb.stop()
    table = ["| shape | store | wall | tasks/s | instances/s | commits | rows written | rows per commit |",
             "|---|---|---|---|---|---|---|---|"]
    for shape, store, tasks, instances, w, c, wr in rows:
        table.append(f"| {shape} | {store} | {w:.3f} s | {tasks / w:.0f} | {instances / w:.1f} | "
                     f"{c:.0f} | {wr:.0f} | {wr / c if c else 0:.1f} |")
    return ("<!-- stores:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')}; median of {args.repeat} runs each, "
            f"`bench/run.sh --repeat {args.repeat} --stores {args.stores}`.\n\n"
            + "\n".join(table) + "\n<!-- stores:end -->")


def compare_tls(args, all_shapes):
    """The same shapes with mutual TLS between the processes (the default)
    and without, run alternately so that both see the same machine."""
    rows = []
    for shape in args.tls_shapes.split(","):
        workflows, tasks, _ = all_shapes[shape]
        on, off = [], []
        for _ in range(args.repeat):
            on.append(run_cafflow(args.root, workflows, tls=True)[0])
            off.append(run_cafflow(args.root, workflows, tls=False)[0])
        a, b = statistics.median(on), statistics.median(off)
        rows.append((shape, tasks, a, b))
        print(f"{shape}: TLS on {a:.3f} s, off {b:.3f} s, cost {(a / b - 1) * 100:+.1f} %",
              flush=True)
    table = ["| shape | tasks | TLS on (default) | TLS off | cost of TLS |", "|---|---|---|---|---|"]
    for shape, tasks, a, b in rows:
        table.append(f"| {shape} | {tasks} | {a:.3f} s | {b:.3f} s | {(a / b - 1) * 100:+.1f} % |")
    return ("<!-- tls:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')}; median of {args.repeat} runs each, alternating, "
            f"`bench/run.sh --repeat {args.repeat} --tls-shapes {args.tls_shapes}`.\n\n"
            + "\n".join(table) + "\n<!-- tls:end -->")


def compare_alerts(args, all_shapes):
    """The same shapes with the alerter off ([alert] enabled = false) and on,
    every workflow mailing its end (mail-level W_SUCCESSED; no [mail] server,
    so the alerter writes .eml files), run alternately."""
    rows = []
    for shape in args.alert_shapes.split(","):
        workflows, tasks, _ = all_shapes[shape]
        mailing = {name: xml.replace("<work-flow ", "<work-flow mail-receivers=\"bench@example.com\" "
                                     "mail-level=\"W_SUCCESSED,W_FAILED\" ", 1)
                   for name, xml in workflows.items()}
        on, off = [], []
        for _ in range(args.repeat):
            off.append(run_cafflow(args.root, workflows, alerts=False)[0])
            on.append(run_cafflow(args.root, mailing, alerts=True)[0])
        a, b = statistics.median(on), statistics.median(off)
        rows.append((shape, tasks, a, b))
        print(f"{shape}: alerts on {a:.3f} s, off {b:.3f} s, cost {(a / b - 1) * 100:+.1f} %",
              flush=True)
    table = ["| shape | tasks | alerts on (mail at each end) | alerts off | cost |",
             "|---|---|---|---|---|"]
    for shape, tasks, a, b in rows:
        table.append(f"| {shape} | {tasks} | {a:.3f} s | {b:.3f} s | {(a / b - 1) * 100:+.1f} % |")
    return ("<!-- alerts:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')}; median of {args.repeat} runs each, alternating, "
            f"`bench/run.sh --repeat {args.repeat} --alert-shapes {args.alert_shapes}`.\n\n"
            + "\n".join(table) + "\n<!-- alerts:end -->")


if __name__ == "__main__":
    main()
