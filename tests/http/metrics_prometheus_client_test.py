#!/usr/bin/python3
"""GET /metrics of a live cluster, read by Prometheus' own Python parser.

Starts master, one worker and http (`$CAFFLOW_BIN_DIR/cafflowd`) on free
loopback ports in a temp dir with a workflow that fires every second, scrapes
/metrics until a cron fire and its attempt show, and parses the exposition
with Debian's python3-prometheus-client
(prometheus_client.parser.text_string_to_metric_families): every family
cafflow documents is there with its type and help, histograms are cumulative
with le="+Inf" equal to _count, no series repeats, and the numbers moved.

Exit status 0 when all holds; otherwise the failures and the role logs.
"""

import ctypes
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

BIN_DIR = os.environ.get("CAFFLOW_BIN_DIR", "build/bin")
CAFFLOWD = os.path.join(BIN_DIR, "cafflowd")
DEADLINE_S = 60

# Family (as the parser names it: counters without _total) -> type.
EXPECTED = {
    "cafflow_master_epoch": "gauge",
    "cafflow_failovers": "counter",
    "cafflow_failover_takeover_seconds": "gauge",
    "cafflow_master_start_time_seconds": "gauge",
    "cafflow_instances": "gauge",
    "cafflow_instances_ended": "counter",
    "cafflow_attempts_started": "counter",
    "cafflow_attempts_failed": "counter",
    "cafflow_attempts_ended": "counter",
    "cafflow_dispatch_latency_seconds": "histogram",
    "cafflow_fire_dispatch_lag_seconds": "histogram",
    "cafflow_attempts_queued": "gauge",
    "cafflow_workers": "gauge",
    "cafflow_worker_slots": "gauge",
    "cafflow_worker_slots_free": "gauge",
    "cafflow_pool_slots": "gauge",
    "cafflow_pool_slots_in_use": "gauge",
    "cafflow_store_commit_duration_seconds": "histogram",
    "cafflow_store_commit_failures": "counter",
    "cafflow_store_pending_writes": "gauge",
    "cafflow_store_available": "gauge",
    "cafflow_store_writer_responsive": "gauge",
    "cafflow_coordinator_lag_seconds": "histogram",
    "cafflow_coordinator_fires": "counter",
}

WORKFLOW = """<work-flow name="tick" timezone="UTC">
  <coordinator><depend-list cron="@seconds * * * * * *"/></coordinator>
  <start name="s" to="a"/>
  <action name="a"><shell><command>true</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """In the child: SIGKILL when this test process dies (PR_SET_PDEATHSIG)."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def get(url):
    """(status, content type, body) of a GET; status 0 when unreachable."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return 0, "", str(e)


def wait_until(condition, timeout=DEADLINE_S, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= end:
            return result
        time.sleep(interval)


def families_of(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(families, family, sample, labels=None):
    for s in families[family].samples:
        if s.name == sample and s.labels == (labels or {}):
            return s.value
    return None


def check(text):
    """Every failure of the exposition `text` (empty list when it is fine)."""
    failures = []
    families = families_of(text)  # raises on what the parser refuses
    for name, kind in EXPECTED.items():
        f = families.get(name)
        if f is None:
            failures.append(f"family {name} is missing")
            continue
        if f.type != kind:
            failures.append(f"family {name} is a {f.type}, expected a {kind}")
        if not f.documentation:
            failures.append(f"family {name} has no help text")
    for name in families:
        if name not in EXPECTED:
            failures.append(f"family {name} is not documented in this test (and OPERATIONS.md?)")
    seen = set()
    for f in families.values():
        for s in f.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                failures.append(f"duplicate series {key}")
            seen.add(key)
            if f.type == "counter" and not s.value >= 0:
                failures.append(f"counter {s.name} is {s.value}")
        if f.type != "histogram":
            continue
        buckets = [(float(s.labels["le"]), s.value) for s in f.samples
                   if s.name == f.name + "_bucket"]
        count = value(families, f.name, f.name + "_count")
        if value(families, f.name, f.name + "_sum") is None or count is None:
            failures.append(f"histogram {f.name} lacks _sum or _count")
        if not buckets or not math.isinf(buckets[-1][0]):
            failures.append(f"histogram {f.name} does not end with le=+Inf")
            continue
        for (b0, c0), (b1, c1) in zip(buckets, buckets[1:]):
            if not b0 < b1:
                failures.append(f"histogram {f.name}: le {b0} then {b1}")
            if c1 < c0:
                failures.append(f"histogram {f.name}: bucket counts decrease at le={b1}")
        if buckets[-1][1] != count:
            failures.append(f"histogram {f.name}: +Inf bucket {buckets[-1][1]} != _count {count}")
    return failures


def moved(text):
    try:
        families = families_of(text)
        return (value(families, "cafflow_attempts_started", "cafflow_attempts_started_total") >= 1
                and value(families, "cafflow_dispatch_latency_seconds",
                          "cafflow_dispatch_latency_seconds_count") >= 1
                and value(families, "cafflow_coordinator_lag_seconds",
                          "cafflow_coordinator_lag_seconds_count") >= 1
                and value(families, "cafflow_store_commit_duration_seconds",
                          "cafflow_store_commit_duration_seconds_count") >= 1)
    except (ValueError, KeyError, TypeError):
        return False


def main():
    root = tempfile.mkdtemp(prefix="cafflow-metrics-py-")
    master, worker, http = (f"127.0.0.1:{free_port()}" for _ in range(3))
    os.makedirs(os.path.join(root, "conf"))
    os.makedirs(os.path.join(root, "xmlconfig"))
    os.makedirs(os.path.join(root, "logs"))
    conf = os.path.join(root, "conf", "cafflow.ini")
    with open(conf, "w") as f:
        f.write(f"[cluster]\nname = test\nmaster = {master}\nworkers = {worker}\n"
                f"http = {http}\n[worker]\nslots = 2\nreconnect_interval_ms = 100\n"
                "[master]\nrescan_interval_s = 1\n")
    with open(os.path.join(root, "xmlconfig", "tick.xml"), "w") as f:
        f.write(WORKFLOW)

    procs = []
    for role, address in (("master", master), ("worker", worker), ("http", http)):
        log = open(os.path.join(root, "logs", role + ".out"), "w")
        procs.append(subprocess.Popen(
            [CAFFLOWD, "--role", role, "--conf", conf, "--address", address],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent))

    failures = []
    last = (0, "", "")
    try:
        def scrape():
            nonlocal last
            last = get(f"http://{http}/metrics")
            return last[0] == 200 and moved(last[2])
        if not wait_until(scrape):
            failures.append(f"the numbers did not move within {DEADLINE_S} s; last answer "
                            f"{last[0]}:\n{last[2]}")
        else:
            status, content_type, text = last
            if not content_type.startswith("text/plain; version=0.0.4"):
                failures.append(f"Content-Type is '{content_type}'")
            try:
                failures += check(text)
            except ValueError as e:
                failures.append(f"prometheus_client refused the exposition: {e}\n{text}")
        status, _, body = get(f"http://{http}/metrics?format=json")
        if status != 400 or '"error"' not in body:
            failures.append(f"a query string got {status}: {body}")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    if failures:
        for f in failures:
            print("FAIL:", f)
        for role in ("master", "worker", "http"):
            with open(os.path.join(root, "logs", role + ".out")) as f:
                print(f"--- {role} log (tail)\n" + "".join(f.readlines()[-30:]))
        print(f"(the cluster's directory is kept: {root})")
        return 1
    shutil.rmtree(root, ignore_errors=True)
    print(f"ok: {len(EXPECTED)} families parsed by prometheus_client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
