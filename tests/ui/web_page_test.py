#!/usr/bin/python3
"""The web page in a real browser (headless Chromium through Selenium) against a
real cluster.

Starts master, one worker and http (`$CAFFLOW_BIN_DIR/cafflowd`) on free loopback
ports in a temp dir, with `[http] token` set (reads open), a few workflows and
10 000 generated ones, then drives Chromium:

* the token prompt: a wrong token is refused with a message, the right one logs in;
* every page loads without console errors (Workflows, Workflow, Instance,
  Instances, Cluster, xmlconfig);
* the 10 000-workflow listing pages (next page shows 26-50) and filters by name;
* the render token: a workflow page whose answer is held until the Cluster page
  is shown is dropped, not drawn over it;
* the lineage graph: lin_mid's upstream and downstream (not its sibling), a
  click on a workflow opens its page;
* a run from the workflow's form: its nodes turn succeeded on the instance page
  without a reload (a marker set in the window survives: no navigation);
* the timeline of attempts: one bar per attempt at the API's times, in order;
* a refused trigger (run options it does not take) and a refused rerun show the
  API's error; a rerun with options (a node, downstream, skip) runs what it
  should and is listed as execution 2 with its options; a run from the form
  that skips a node;
* kill from the button, with the pool's slot in use on the Cluster page
  meanwhile; rerun failed from the button;
* marking a failed node succeeded: the instance goes on, the node says who and
  why, the executions list the mark;
* the alerts page: the failure's alert, sent through a command channel, and its
  detail with the log tail; a new failure shows up on the open list by itself;
* "why waiting": an instance that waits for an upstream's day, then holds once
  the upstream ran; the workflow page's explanation at a logical time;
* backfills: a refused plan, a dry-run plan with the downstream workflow and a
  param, the backfill started from it and followed to the end (its instances
  have the param); another one cancelled;
* an instance of an older version draws its own version's graph;
* an instance of 1 000 nodes (a fork of `true` actions) draws every node and
  turns them all succeeded live; its costs are printed as numbers;
* pause and resume of a coordinator.

Screenshots of each page go to $CAFFLOW_SCREENSHOT_DIR (default: the test's temp
dir, printed). Prints the time of the first workflows page with 10 000 workflows
(a number to report, not asserted) and the test's duration.

Exit status 0 when all holds; otherwise the failures and the role logs.
"""

import ctypes
import json
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

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BIN_DIR = os.environ.get("CAFFLOW_BIN_DIR", "build/bin")
CAFFLOWD = os.path.join(BIN_DIR, "cafflowd")
TOKEN = "web-test-token"
BULK = int(os.environ.get("CAFFLOW_WEB_BULK", "10000"))
WAIT_S = 60

WORKFLOWS = {
    "quick": """<work-flow name="quick" dir="/web" desc="fork, join and a decision">
  <coordinator is-enabled="true"><depend-list cron="0 3 * * *"/>
    <param-list><param name="who" value="world"/></param-list></coordinator>
  <start name="start" to="split"/>
  <fork name="split"><path to="left"/><path to="right"/></fork>
  <action name="left"><shell><command>echo left ${param:who}; sleep 2</command></shell><ok to="merge"/></action>
  <action name="right"><shell><command>echo right; sleep 1</command></shell><ok to="merge"/><error to="failed"/></action>
  <join name="merge" to="check"/>
  <decision name="check"><case to="last">${param:who} == 'world'</case><default to="end"/></decision>
  <action name="last"><shell><command>echo done</command></shell><ok to="end"/></action>
  <kill name="failed"/>
  <end name="end"/>
</work-flow>
""",
    "slow": """<work-flow name="slow" dir="/web" desc="runs until killed">
  <start name="start" to="wait"/>
  <action name="wait" pool="warehouse"><shell><command>echo waiting; sleep 120</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
""",
    # Fails at its first run, succeeds when rerun (a marker file in the temp dir).
    "flaky": """<work-flow name="flaky" dir="/web" desc="fails once">
  <start name="start" to="try"/>
  <action name="try"><shell><command>test -f MARKER || { touch MARKER; echo failing; exit 3; }</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
""",
    # Fails until its node a is marked succeeded; its failure is an alert.
    "markme": """<work-flow name="markme" dir="/web" desc="fails until marked" alert-to="pager">
  <start name="start" to="a"/>
  <action name="a"><shell><command>echo broken input; exit 1</command></shell><ok to="b"/></action>
  <action name="b"><shell><command>echo after a</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
""",
    "upwin": """<work-flow name="upwin" dir="/web" desc="upstream of downwin">
  <start name="start" to="u"/>
  <action name="u"><shell><command>echo up</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
""",
    # Each instance waits until upwin succeeded on the day of its logical time.
    "downwin": """<work-flow name="downwin" dir="/web" desc="waits for upwin's day">
  <coordinator is-enabled="true">
    <depend-list cron="0 3 * * *"><workflow name="upwin" cycle="day" window="today"/></depend-list>
  </coordinator>
  <start name="start" to="d"/>
  <action name="d"><shell><command>echo down</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
""",
}
# A lineage: lin_src <- lin_mid <- lin_out, and lin_src <- lin_side (a sibling
# of lin_mid: not in lin_mid's lineage). Coordinators without a cron: nothing
# fires unless an upstream runs.
for _name, _ups in (("lin_src", ()), ("lin_mid", ("lin_src",)), ("lin_out", ("lin_mid",)),
                    ("lin_side", ("lin_src",))):
    _deps = "".join(f'<workflow name="{u}"/>' for u in _ups)
    WORKFLOWS[_name] = (
        f'<work-flow name="{_name}" dir="/lineage">'
        + (f'<coordinator is-enabled="true"><depend-list>{_deps}</depend-list></coordinator>'
           if _ups else "")
        + '<start name="start" to="a"/><action name="a"><shell><command>true</command></shell>'
          '<ok to="end"/></action><end name="end"/></work-flow>\n')
# Version 1 of "versioned"; the test loads version 2 (VERSIONED_V2) later.
WORKFLOWS["versioned"] = """<work-flow name="versioned" dir="/web" desc="changes while the test runs">
  <start name="start" to="first"/>
  <action name="first"><shell><command>echo v1</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
"""
VERSIONED_V2 = """<work-flow name="versioned" dir="/web" desc="changes while the test runs">
  <start name="start" to="first"/>
  <action name="first"><shell><command>echo v2</command></shell><ok to="second"/></action>
  <action name="second"><shell><command>echo v2</command></shell><ok to="end"/></action>
  <end name="end"/>
</work-flow>
"""
# 1 000 nodes: a fork of 1 000 `true` actions and their join.
WIDE = int(os.environ.get("CAFFLOW_WEB_WIDE", "1000"))
WORKFLOWS["wide"] = (
    '<work-flow name="wide" dir="/web" desc="a fork of many true actions">\n'
    '<start name="start" to="fan"/>\n<fork name="fan">'
    + "".join(f'<path to="t{i:04d}"/>' for i in range(WIDE)) + '</fork>\n'
    + "".join(f'<action name="t{i:04d}"><shell><command>true</command></shell><ok to="gather"/></action>\n'
              for i in range(WIDE))
    + '<join name="gather" to="end"/>\n<end name="end"/>\n</work-flow>\n')

ALERTS = """<alerts>
  <channel name="pager" type="command" command="cat &gt; /dev/null" timeout="10"/>
</alerts>
"""
BROKEN = """<work-flow name="broken" dir="/web">
  <start name="start" to="nowhere"/>
  <end name="end"/>
</work-flow>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def api(http, path, method="GET", body=None):
    req = urllib.request.Request(f"http://{http}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


def wait_until(condition, timeout=WAIT_S, interval=0.1):
    end = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= end:
            return result
        time.sleep(interval)


class Check:
    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots
        self.failures = []

    def fail(self, what):
        print("FAIL:", what, flush=True)
        self.failures.append(what)

    def wait(self, what, condition, timeout=WAIT_S):
        # The page re-renders as events arrive: an element found a moment
        # ago may be gone; that is "not yet", not a failure.
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda d: condition(d))
        except TimeoutException:
            self.fail(f"timed out waiting for {what} (at {self.driver.current_url})")
            return None

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector):
        try:
            found = self.css(selector)
            return found[0].text if found else ""
        except StaleElementReferenceException:
            return ""

    def click(self, selector):
        """Clicks the element, found again should the page have re-rendered it."""
        def attempt(_):
            found = self.css(selector)
            if not found:
                return False
            found[0].click()
            return True
        return self.wait(f"{selector} to be clicked", attempt)

    def console_errors(self, page, allowed=()):
        """Fails on every SEVERE console entry since the last call."""
        for entry in self.driver.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            if any(a in entry["message"] for a in allowed):
                continue
            self.fail(f"console error on {page}: {entry['message']}")

    def shot(self, name, element=None):
        """A screenshot of the window, scrolled to the top or to `element`."""
        if element:
            self.driver.execute_script(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});", element)
        else:
            self.driver.execute_script("window.scrollTo(0, 0);")
        path = os.path.join(self.shots, name + ".png")
        self.driver.save_screenshot(path)
        return path


def node_states(check):
    try:
        return {g.get_attribute("id")[len("wfnode-"):]: g.get_attribute("data-status")
                for g in check.css("#graph g.node[data-status]")}
    except StaleElementReferenceException:
        return {}


def instance_id_of(driver):
    url = driver.current_url
    return url.split("#/instance/", 1)[1] if "#/instance/" in url else ""


def go(driver, url):
    """Opens a page of the app. The main part is emptied first: a hash change
    renders asynchronously, and a wait must not find the previous page's
    elements (they go stale when the new page replaces them)."""
    try:
        driver.execute_script("const a = document.getElementById('app'); if (a) a.replaceChildren();")
    except WebDriverException:
        pass  # no page yet
    driver.get(url)


def fill(check, selector, text):
    box = check.wait(selector, lambda d: check.css(selector))[0]
    box.clear()
    box.send_keys(text)


def gantt_bars(driver):
    try:
        return driver.execute_script("""
          return [...document.querySelectorAll('#gantt rect.bar')].map(r => ({
            node: r.getAttribute('data-node'), attempt: +r.getAttribute('data-attempt'),
            from: +r.getAttribute('data-from'), to: +r.getAttribute('data-to'),
            x: +r.getAttribute('x'), width: +r.getAttribute('width'),
            cls: r.getAttribute('class')}));""") or []
    except WebDriverException:
        return []


def check_gantt(check, driver, http, instance_id):
    """The timeline of quick's instance: each bar at its attempt's times (as
    the API has them), last after left (the join waits for left's 2 s)."""
    bars = {b["node"]: b for b in gantt_bars(driver)}
    status, inst = api(http, f"/api/v1/instances/{instance_id}")
    if status != 200:
        check.fail(f"the instance {instance_id}: {status} {inst}")
        return
    for node in inst["nodes"]:
        for a in node.get("attempts", []):
            bar = bars.get(node["name"])
            want = (iso_ms(a["started"]), iso_ms(a["finished"]))
            if not bar or (bar["from"], bar["to"]) != want or "st-succeeded" not in bar["cls"]:
                check.fail(f"the timeline's bar of {node['name']} is {bar}, expected {want} succeeded")
    left, last = bars.get("left"), bars.get("last")
    if left and last:
        if last["x"] < left["x"] + left["width"] - 1:
            check.fail(f"last's bar (x {last['x']}) is not drawn after left's ({left})")
        if left["width"] <= last["width"]:
            check.fail(f"left's 2 s bar is not longer than last's: {left} {last}")


def iso_ms(text):
    from datetime import datetime, timezone
    return round(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
                 .replace(tzinfo=timezone.utc).timestamp() * 1000)


def api_wait(http, path, condition, timeout=WAIT_S):
    """Asks GET path until condition(body) holds; the last body, or None."""
    last = [None]

    def ok():
        status, body = api(http, path)
        last[0] = body
        return status == 200 and condition(body)
    return last[0] if wait_until(ok, timeout=timeout) else None


def run_browser(http, shots, root, numbers):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1000", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={os.path.join(root, 'chromium')}"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    check = Check(driver, shots)
    base = f"http://{http}"
    try:
        # -- the token prompt -------------------------------------------------
        go(driver, base + "/#/workflows")
        check.wait("the token prompt", lambda d: check.css("#login:not(.hidden)"))
        check.shot("login")
        check.css("#login-token")[0].send_keys("not-the-token")
        check.click("#login-submit")
        check.wait("the wrong token to be refused",
                   lambda d: "wrong token" in check.text("#login-error"))
        # The refused login is a 401 the browser logs; nothing else may be.
        check.console_errors("login", allowed=("/ui/login",))
        box = check.css("#login-token")[0]
        box.clear()
        box.send_keys(TOKEN)
        check.click("#login-submit")
        check.wait("the login to close", lambda d: check.css("#login.hidden"))
        check.wait("'logged in'", lambda d: check.text("#session-state") == "logged in")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        session = cookies.get("cafflow_session")
        if not session or not session.get("httpOnly") or session.get("sameSite") != "Strict":
            check.fail(f"the session cookie is not HttpOnly/SameSite=Strict: {session}")
        if session and TOKEN in session.get("value", ""):
            check.fail("the cookie holds the token itself")
        # Without reloading nothing is asked again.
        driver.execute_script("window.__marker = 'no-reload';")

        # -- Workflows: 10 000 + ours, paged and filtered ------------------------
        rows = check.wait("the workflows table", lambda d: check.css("#workflows tbody tr[data-workflow]"))
        page_range = check.text("#page-range")
        if not page_range.startswith("1–25 of ") or int(page_range.split()[-1]) < BULK:
            check.fail(f"the first page's range is '{page_range}' (expected 1–25 of ≥{BULK})")
        first_took = check.text("#page-time")
        check.shot("workflows")
        check.click("#next-page")
        check.wait("the second page", lambda d: check.text("#page-range").startswith("26–50 of "))
        names = [r.get_attribute("data-workflow") for r in check.css("#workflows tbody tr[data-workflow]")]
        if len(names) != 25:
            check.fail(f"the second page has {len(names)} rows")
        box = check.css("#filter-name")[0]
        box.clear()
        box.send_keys("quick")
        box.submit()
        check.wait("the filter to show quick alone",
                   lambda d: [r.get_attribute("data-workflow")
                              for r in check.css("#workflows tbody tr[data-workflow]")] == ["quick"])
        if "broken.xml" not in check.text("#bad-files"):
            check.fail("the invalid file broken.xml is not listed with its diagnostics")
        check.console_errors("workflows")

        # -- a late page does not replace a newer one (the render token) --------
        # The workflow's request is held until the Cluster page is shown, then
        # answered: the workflow page must be dropped, not drawn over it.
        driver.execute_script("""
          window.__held = [];
          window.__fetch = window.__fetch || window.fetch;
          window.fetch = (url, init) => String(url) === '/api/v1/workflows/quick'
            ? new Promise(res => window.__held.push(() => res(window.__fetch(url, init))))
            : window.__fetch(url, init);""")
        go(driver, base + "/#/workflow/quick")
        check.wait("the workflow's request to be held",
                   lambda d: d.execute_script("return window.__held.length") >= 1)
        go(driver, base + "/#/cluster")
        check.wait("the cluster page", lambda d: check.css("#cluster-facts"))
        driver.execute_script("window.fetch = window.__fetch; for (const f of window.__held.splice(0)) f();")
        check.wait("the late workflow page to be dropped", lambda d: d.execute_script(
            "return (window.cafflowRenders || []).some(r => r.route === 'workflow' && r.outcome === 'stale')"))
        if not check.css("#cluster-facts") or check.css("#run-form") or not driver.title.startswith("Cluster"):
            check.fail(f"a late workflow page replaced the newer cluster page (title '{driver.title}')")
        check.console_errors("late page")

        # -- the lineage: upstream and downstream workflows as a graph ------------
        go(driver, base + "/#/workflow/lin_mid")
        check.wait("lin_mid's lineage graph", lambda d: check.css("#lineage-graph svg g#lnnode-lin_out"))
        drawn = {g.get_attribute("id")[len("lnnode-"):]: g.get_attribute("class")
                 for g in check.css("#lineage-graph g.node")}
        want = {"lin_mid": "kind-self", "lin_src": "kind-upstream", "lin_out": "kind-downstream"}
        if set(drawn) != set(want) or any(k not in (drawn.get(n) or "") for n, k in want.items()):
            check.fail(f"lin_mid's lineage draws {drawn}, expected {want} (lin_side is no relative)")
        if len(check.css("#lineage-graph g.edge")) != 2:
            check.fail(f"lin_mid's lineage has {len(check.css('#lineage-graph g.edge'))} edges, expected 2")
        check.shot("workflow-lineage", "#lineage-title")
        check.click("#lineage-graph g#lnnode-lin_out text")
        check.wait("lin_out's page from its node", lambda d: "#/workflow/lin_out" in d.current_url
                   and check.css("#lineage-graph g#lnnode-lin_src.kind-upstream")
                   and check.css("#lineage-graph g#lnnode-lin_mid.kind-upstream")
                   and check.css("#lineage-graph g#lnnode-lin_out.kind-self"))
        if check.css("#lineage-graph g#lnnode-lin_side"):
            check.fail("lin_out's lineage draws lin_side")
        check.console_errors("lineage")

        # -- Workflow: graph, source, run form ----------------------------------
        go(driver, base + "/#/workflow/quick")  # same document: a hash change
        check.wait("the DAG", lambda d: check.css("#graph svg g#wfnode-split"))
        kinds = {g.get_attribute("id"): g.get_attribute("class") for g in check.css("#graph g.node")}
        for node, kind in (("wfnode-split", "kind-fork"), ("wfnode-merge", "kind-join"),
                           ("wfnode-check", "kind-decision"), ("wfnode-left", "kind-action")):
            if kind not in (kinds.get(node) or ""):
                check.fail(f"{node} is drawn without class {kind}: {kinds.get(node)}")
        if not check.css("#graph g.edge-error"):
            check.fail("the error transition is not drawn as an error edge")
        check.wait("the XML source", lambda d: "<fork name=\"split\">" in check.text("#xml-source"))
        check.wait("quick's lineage: none", lambda d: check.css("#lineage-none"))
        # quick has no date window: no "why waiting" card.
        check.wait("the dependency card of quick to hide", lambda d: check.css("#why-card.hidden"))
        check.console_errors("workflow")
        # Pause and resume.
        check.click("#pause-button")
        check.wait("the coordinator to pause", lambda d: check.css("#resume-button"))
        check.click("#resume-button")
        check.wait("the coordinator to resume", lambda d: check.css("#pause-button"))

        # An error of the API is shown: a trigger takes no "only these nodes".
        check.click("#run-options summary")
        check.shot("workflow")
        check.click("#run-node-options tr[data-node='left'] input.run-node")
        check.click("#trigger-button")
        check.wait("the trigger's refusal to be shown",
                   lambda d: "400" in check.text("#run-result") and "nodes" in check.text("#run-result"))
        if "#/workflow/quick" not in driver.current_url:
            check.fail(f"a refused trigger left the page: {driver.current_url}")
        check.console_errors("refused trigger", allowed=("/api/v1/workflows/quick/trigger",))
        check.click("#run-node-options tr[data-node='left'] input.run-node")  # untick

        # -- run from the form, watch it live -------------------------------------
        names = check.css("#run-params .param-name")
        values = check.css("#run-params .param-value")
        for n, v in zip(names, values):
            if n.get_attribute("value") == "who":
                v.send_keys("world")
        # Every state the graph's nodes take, as the page sets them (not as
        # this test happens to poll them).
        driver.execute_script("""
          window.__states = [];
          new MutationObserver(ms => { for (const m of ms)
            if (m.target.id && m.target.id.startsWith('wfnode-'))
              window.__states.push(m.target.id.slice(7) + '=' + m.target.getAttribute('data-status'));
          }).observe(document.getElementById('app'),
                     {subtree: true, attributes: true, attributeFilter: ['data-status']});""")
        check.click("#run-button")
        check.wait("the instance page", lambda d: "#/instance/" in d.current_url)
        quick_id = instance_id_of(driver)

        def all_succeeded(_):
            states = node_states(check)
            wanted = ("left", "right", "last")
            return states and all(states.get(n) == "succeeded" for n in wanted)
        check.wait("the nodes to turn succeeded live", all_succeeded)
        check.wait("the instance to succeed", lambda d: check.text("#instance-status") == "succeeded")
        states = driver.execute_script("return window.__states;") or []
        if "left=running" not in states or "left=succeeded" not in states:
            check.fail(f"the graph did not show left running, then succeeded: {states}")
        if driver.execute_script("return window.__marker;") != "no-reload":
            check.fail("the page was reloaded")
        check.click("tr[data-node='left']")
        check.wait("the log of left", lambda d: "left world" in check.text("#log"))

        # The timeline: one bar per attempt, at the attempt's times.
        check.wait("the timeline's bars", lambda d: len(gantt_bars(driver)) == 3)
        check_gantt(check, driver, http, quick_id)
        # The executions: the first run.
        check.wait("the first execution",
                   lambda d: check.text("#executions tr[data-execution='1']").startswith("#1 manual"))
        check.console_errors("instance")

        # -- rerun with options -----------------------------------------------------
        # Without a ticked node the API refuses "nodes" mode: shown by the form.
        Select(check.css("#rerun-mode")[0]).select_by_value("nodes")
        check.click("#rerun-button")
        check.wait("the rerun's refusal to be shown",
                   lambda d: "400" in check.text("#rerun-result") and "nodes" in check.text("#rerun-result"))
        check.console_errors("refused rerun", allowed=(f"/api/v1/instances/{quick_id}/rerun",))
        check.click("tr[data-node='right'] input.node-select")
        check.click("#rerun-downstream")
        check.click("tr[data-node='last'] input.node-skip")
        box = check.css("#rerun-by")[0]
        box.clear()
        box.send_keys("web-test")
        check.click("#rerun-button")
        check.wait("the second execution to end",
                   lambda d: check.css("#executions tr[data-execution='2'][data-status='succeeded']"))
        check.wait("last to be skipped by the rerun",
                   lambda d: check.css("tr[data-node='last'][data-status='skipped']"))
        row = check.text("#executions tr[data-execution='2']")
        for want in ("rerun", "web-test", '"right"', '"skip"', '"last"', "downstream"):
            if want not in row:
                check.fail(f"the second execution's row lacks {want}: {row}")
        status, inst = api(http, f"/api/v1/instances/{quick_id}")
        attempts = {n["name"]: len(n.get("attempts", [])) for n in inst["nodes"]} if status == 200 else {}
        if attempts.get("right") != 2 or attempts.get("left") != 1 or attempts.get("last") != 1:
            check.fail(f"the rerun of right (downstream, skip last) ran other nodes: attempts {attempts}")
        check.wait("the timeline to show right's second attempt and the rerun's start",
                   lambda d: len([b for b in gantt_bars(driver) if b["node"] == "right"]) == 2
                   and check.css("#gantt g.execution-mark[data-execution='2']"))
        check.shot("instance")
        check.shot("instance-timeline", "#timeline-title")
        check.console_errors("rerun with options")

        # -- run with options from the workflow's form ---------------------------------
        go(driver, base + "/#/workflow/quick")
        check.wait("the run form", lambda d: check.css("#run-button"))
        check.click("#run-options summary")
        check.click("#run-node-options tr[data-node='left'] input.skip-node")
        check.click("#run-button")
        check.wait("the instance page", lambda d: "#/instance/" in d.current_url
                   and instance_id_of(d) != quick_id)
        check.wait("the run with left skipped to succeed",
                   lambda d: check.text("#instance-status") == "succeeded")
        states = {r.get_attribute("data-node"): r.get_attribute("data-status")
                  for r in check.css("#nodes tr[data-node]")}
        if states.get("left") != "skipped" or states.get("right") != "succeeded" \
                or states.get("last") != "succeeded":
            check.fail(f"a run skipping left ended with nodes {states}")
        if '"left"' not in check.text("#instance-execution"):
            check.fail(f"the run's options are not shown: {check.text('#instance-execution')}")
        check.console_errors("run with options")

        # -- kill from the button; the pool's slot in use meanwhile -------------------
        go(driver, base + "/#/workflow/slow")
        check.wait("the run form", lambda d: check.css("#run-button"))
        check.click("#run-button")
        check.wait("slow's node to run", lambda d: node_states(check).get("wait") == "running")
        slow_url = driver.current_url
        check.shot("instance-running")
        go(driver, base + "/#/cluster")
        check.wait("the pool warehouse to have 1 of 2 slots in use",
                   lambda d: check.css("#pools tr[data-pool='warehouse'][data-in-use='1'][data-slots='2']"))
        check.wait("the pool's row to say 1 of 2",
                   lambda d: check.text("#pools tr[data-pool='warehouse'] td:nth-child(2)") == "1 of 2")
        go(driver, slow_url)
        check.wait("slow's instance page", lambda d: check.css("#kill-button"))
        check.click("#kill-button")
        check.wait("the instance to be killed", lambda d: check.text("#instance-status") == "killed")
        go(driver, base + "/#/cluster")
        check.wait("the pool's slot to be free again",
                   lambda d: check.css("#pools tr[data-pool='warehouse'][data-in-use='0']"))
        check.console_errors("kill")

        # -- rerun failed ---------------------------------------------------------
        go(driver, base + "/#/workflow/flaky")
        check.wait("the run form", lambda d: check.css("#run-button"))
        check.click("#run-button")
        check.wait("flaky to fail", lambda d: check.text("#instance-status") == "failed")
        check.wait("the rerun button", lambda d: check.css("#rerun-failed-button"))
        check.click("#rerun-failed-button")
        check.wait("flaky to succeed after the rerun",
                   lambda d: check.text("#instance-status") == "succeeded")
        check.console_errors("rerun")

        # -- mark a node succeeded ------------------------------------------------
        go(driver, base + "/#/workflow/markme")
        check.wait("the run form", lambda d: check.css("#run-button"))
        check.click("#run-button")
        check.wait("markme to fail", lambda d: check.text("#instance-status") == "failed")
        markme_id = instance_id_of(driver)
        check.click("tr[data-node='b']")  # not reached: nothing to mark
        check.wait("no mark form for b", lambda d: check.css("#mark-form.hidden"))
        check.click("tr[data-node='a']")
        check.wait("the mark form for a", lambda d: check.css("#mark-form:not(.hidden)"))
        check.css("#mark-reason")[0].send_keys("fixed by hand")
        box = check.css("#mark-by")[0]
        box.clear()
        box.send_keys("web-test")
        check.shot("instance-mark")
        check.click("#mark-succeeded-button")
        check.wait("markme to succeed after the mark",
                   lambda d: check.text("#instance-status") == "succeeded")
        check.wait("b to have run", lambda d: check.css("tr[data-node='b'][data-status='succeeded']"))
        check.wait("a's row to say who marked it and why",
                   lambda d: check.text("#nodes tr[data-node='a'] td:last-child")
                   == "marked succeeded by web-test: fixed by hand")
        check.wait("the mark's execution",
                   lambda d: check.css("#executions tr[data-execution='2'][data-status='succeeded']")
                   and check.text("#executions tr[data-execution='2']").startswith("#2 mark"))
        check.console_errors("mark")

        # -- alerts: markme's failure --------------------------------------------------
        go(driver, base + "/#/alerts")
        check.wait("the alerts page", lambda d: check.css("#alert-filter"))
        box = check.css("#alert-workflow")[0]
        box.clear()
        box.send_keys("markme")
        box.submit()

        # The list is live: the alert turns up (and turns sent) without a click.
        check.wait("markme's failure alert, sent", lambda d: "workflow=markme" in d.current_url
                   and check.css("#alerts tr[data-kind='instance_failed'][data-status='sent']"))
        others = [r.get_attribute("data-alert") for r in check.css("#alerts tbody tr[data-alert]")
                  if "markme" not in r.text]
        if others:
            check.fail(f"the workflow filter shows other workflows' alerts: {others}")
        check.shot("alerts")
        # A new failure while the list is open shows up by itself.
        polls_before = int(check.css("#alerts-updated")[0].get_attribute("data-polls") or 0)
        status, started = api(http, "/api/v1/workflows/markme/run", "POST", {})
        if status != 201:
            check.fail(f"a second run of markme: {status} {started}")
        else:
            new_id = started["instance_id"]
            check.wait("the new failure's alert to appear on the open list", lambda d: any(
                new_id in r.text for r in check.css("#alerts tbody tr[data-kind='instance_failed']")))
            if int(check.css("#alerts-updated")[0].get_attribute("data-polls") or 0) <= polls_before:
                check.fail("the alerts list changed without being asked again")
            if driver.execute_script("return window.__marker;") != "no-reload":
                check.fail("the alerts page was reloaded")
        # The first run's alert (the second run's is newer).
        first_alert = [r.get_attribute("data-alert") for r in check.css("#alerts tbody tr[data-kind='instance_failed']")
                       if markme_id in r.text]
        if not first_alert:
            check.fail(f"no alert of markme's first run {markme_id} is listed")
        else:
            check.click(f"#alerts tr[data-alert='{first_alert[0]}'] td a")
        check.wait("the alert's page", lambda d: "markme" in check.text("#alert-title"))
        check.wait("the alert's log tail", lambda d: "broken input" in check.text("#alert-log"))
        if not check.css("#alert-nodes tr[data-node='a']") or \
                "failed" not in check.text("#alert-nodes tr[data-node='a']"):
            check.fail(f"the alert's nodes do not show a failed: {check.text('#alert-nodes')}")
        if markme_id not in check.text("#alert-facts"):
            check.fail(f"the alert does not name instance {markme_id}")
        if "exit code 0" not in check.text("#alert-answer"):
            check.fail(f"the alert's answer is '{check.text('#alert-answer')}'")
        check.shot("alert")
        check.console_errors("alerts")

        # -- why waiting: downwin waits for upwin's day ----------------------------------
        go(driver, base + "/#/workflow/downwin")
        check.wait("downwin's dependency card",
                   lambda d: check.css("#why-card:not(.hidden) #why-state[data-state='waiting']"))
        if not check.css("#workflow-why li.verdict[data-workflow='upwin'][data-state='waiting']"):
            check.fail(f"the next fire's wait does not name upwin: {check.text('#workflow-why')}")
        box = check.css("#run-logical-time")[0]
        box.send_keys("2026-01-15 10:00:00")
        check.click("#run-button")
        check.wait("downwin's instance page", lambda d: "#/instance/" in d.current_url)
        downwin_url = driver.current_url
        check.wait("downwin's instance to wait in queued",
                   lambda d: check.text("#instance-status") == "queued")
        check.wait("why it waits", lambda d: check.css(
            "#why-card:not(.hidden) li.verdict[data-workflow='upwin'][data-state='waiting']"))
        if "none yet" not in check.text("#why"):
            check.fail(f"the waiting period does not say 'none yet': {check.text('#why')}")
        if "2026-01-15 00:00:00" not in check.text("#why"):
            check.fail(f"the period of 2026-01-15 is not shown: {check.text('#why')}")
        check.shot("instance-waiting")
        # upwin on that day: downwin starts and succeeds; the card says it holds.
        go(driver, base + "/#/workflow/upwin")
        check.wait("upwin's run form", lambda d: check.css("#run-button"))
        check.css("#run-logical-time")[0].send_keys("2026-01-15 09:00:00")
        check.click("#run-button")
        check.wait("upwin to succeed", lambda d: "#/instance/" in d.current_url
                   and check.text("#instance-status") == "succeeded")
        go(driver, downwin_url)
        check.wait("downwin to succeed once upwin did",
                   lambda d: check.text("#instance-status") == "succeeded")
        check.wait("the card to say the dependencies hold",
                   lambda d: check.css("#why-state[data-state='holds']"))
        if not check.css("#why tr[data-state='holds'] a"):
            check.fail(f"the holding period does not link upwin's instance: {check.text('#why')}")
        go(driver, base + "/#/workflow/downwin")
        # The instance page's card may still be shown: wait for the workflow's form.
        check.wait("downwin's dependency card",
                   lambda d: check.css("#why-time") and check.css("#why-state"))
        check.css("#why-time")[0].send_keys("2026-01-15 10:00:00")
        check.click("#why-button")
        check.wait("the explanation at 2026-01-15 10:00 to hold",
                   lambda d: check.css("#why-state[data-state='holds']")
                   and "2026-01-15 10:00:00" in check.text("#why-state"))
        check.shot("workflow-why", "#why-card")
        check.console_errors("why waiting")

        # -- backfill: plan, start, follow; cancel ------------------------------------
        go(driver, base + "/#/workflow/upwin")
        check.wait("the backfill form", lambda d: check.css("#backfill-form"))
        fill(check, "#bf-from", "2026-01-03 00:00:00")
        fill(check, "#bf-to", "2026-01-01 00:00:00")
        check.click("#bf-plan-button")
        check.wait("a plan of a reversed range to be refused",
                   lambda d: "400" in check.text("#bf-plan") and "after" in check.text("#bf-plan"))
        if check.css("#bf-start-button:not(.hidden)"):
            check.fail("a refused plan can be started")
        check.console_errors("refused plan", allowed=("/api/v1/backfills",))
        fill(check, "#bf-from", "2026-01-01 00:00:00")
        fill(check, "#bf-to", "2026-01-03 00:00:00")
        Select(check.css("#bf-downstream")[0]).select_by_value("all")
        fill(check, "#bf-parallel", "2")
        fill(check, "#bf-params .param-name", "who")
        fill(check, "#bf-params .param-value", "backfilled")
        check.click("#bf-plan-button")
        check.wait("the plan", lambda d: "6 items (upwin 3, downwin 3)" in check.text("#bf-plan-summary"))
        planned = [(r.get_attribute("data-workflow"), r.get_attribute("data-state"))
                   for r in check.css("#bf-plan-items tbody tr")]
        if planned != [("upwin", "planned"), ("downwin", "planned")] * 3:
            check.fail(f"the plan's items are {planned}")
        status, listed = api(http, "/api/v1/backfills")
        if status != 200 or listed["backfills"]:
            check.fail(f"the dry run stored a backfill: {status} {listed}")
        check.wait("the start button", lambda d: check.css("#bf-start-button:not(.hidden)"))
        # A change of the form drops the plan: no start without planning again.
        fill(check, "#bf-parallel", "3")
        check.wait("the plan to be dropped on a change",
                   lambda d: check.css("#bf-start-button.hidden") and "plan again" in check.text("#bf-plan"))
        fill(check, "#bf-parallel", "2")
        check.click("#bf-plan-button")
        check.wait("the plan again", lambda d: "6 items (upwin 3, downwin 3)" in check.text("#bf-plan-summary")
                   and check.css("#bf-start-button:not(.hidden)"))
        check.shot("backfill-plan", "#backfill-form")
        check.click("#bf-start-button")
        check.wait("the backfill's page", lambda d: "#/backfill/" in d.current_url)
        check.wait("the backfill to succeed",
                   lambda d: "succeeded" in check.text("#backfill-state"), timeout=120)
        progress = check.css("#backfill-progress")
        if not progress or progress[0].get_attribute("data-done") != "6":
            check.fail(f"the backfill's progress is {check.text('#backfill-progress')}")
        items = check.css("#backfill-items tbody tr[data-state='succeeded'] a.mono")
        if len(items) != 6:
            check.fail(f"{len(items)} items of the backfill link a succeeded instance (expected 6)")
        # The form's params: in the backfill's options and in each instance.
        if "who=backfilled" not in check.text("#backfill-page-options"):
            check.fail(f"the backfill's options lack the param: {check.text('#backfill-page-options')}")
        for a in items[:2]:
            status, inst = api(http, f"/api/v1/instances/{a.text}")
            if status != 200 or inst.get("params", {}).get("who") != "backfilled":
                check.fail(f"the backfill's instance {a.text} has params {inst.get('params') if status == 200 else inst}")
        check.shot("backfill")
        # A backfill of slow, cancelled while its first item runs.
        go(driver, base + "/#/workflow/slow")
        check.wait("the backfill form", lambda d: check.css("#backfill-form"))
        fill(check, "#bf-from", "2026-01-01 00:00:00")
        fill(check, "#bf-to", "2026-01-03 00:00:00")
        check.click("#bf-plan-button")
        check.wait("slow's plan", lambda d: "3 items (slow 3)" in check.text("#bf-plan-summary"))
        check.click("#bf-start-button")
        check.wait("slow's backfill page", lambda d: "#/backfill/" in d.current_url
                   and check.css("#backfill-items tr[data-state='running']"))
        check.click("#cancel-backfill-button")
        check.wait("the backfill to be cancelled",
                   lambda d: "cancelled" in check.text("#backfill-state")
                   and len(check.css("#backfill-items tr[data-state='cancelled']")) == 2
                   and check.css("#backfill-items tr[data-state='killed']"))
        go(driver, base + "/#/backfills")
        check.wait("the backfills list", lambda d: len(check.css("#backfills tr[data-backfill]")) == 2)
        states = sorted(r.get_attribute("data-state") for r in check.css("#backfills tr[data-backfill]"))
        if states != ["cancelled", "succeeded"]:
            check.fail(f"the backfills list shows {states}")
        check.shot("backfills")
        check.console_errors("backfills")

        # -- an instance of an older version draws its own version's graph ------------
        status, started = api(http, "/api/v1/workflows/versioned/run", "POST", {})
        if status != 201:
            check.fail(f"the run of versioned: {status} {started}")
        else:
            v1_id = started["instance_id"]
            if not api_wait(http, f"/api/v1/instances/{v1_id}", lambda b: b["status"] == "succeeded"):
                check.fail(f"versioned's instance {v1_id} did not succeed")
            with open(os.path.join(root, "xmlconfig", "web", "versioned.xml"), "w") as f:
                f.write(VERSIONED_V2)
            if not api_wait(http, "/api/v1/workflows/versioned", lambda b: b["workflow"]["version"] == 2):
                check.fail("version 2 of versioned was not loaded")
            go(driver, base + "/#/instance/" + v1_id)
            check.wait("the v1 instance's graph, coloured",
                       lambda d: check.css("#graph g#wfnode-first[data-status='succeeded']"))
            if check.css("#graph g#wfnode-second"):
                check.fail("the instance of version 1 draws version 2's node 'second'")
            go(driver, base + "/#/workflow/versioned")
            check.wait("the workflow page's graph of version 2", lambda d: check.css("#graph g#wfnode-second"))
            check.console_errors("older version")

        # -- an instance of 1 000 nodes: drawn, then followed live to the end ----------
        # Times measured in the page (performance.now()), from the click on Run:
        # the instance page's graph with every node, and every node succeeded.
        # Long tasks (> 50 ms of script, style and layout) are what makes a page
        # stutter: their number and length while the instance runs.
        nodes_drawn = WIDE + 4  # start, fork, join, end
        go(driver, base + "/#/workflow/wide")
        t0 = time.monotonic()
        check.wait("wide's graph on its page",
                   lambda d: len(check.css("#graph g.node")) == nodes_drawn, timeout=180)
        numbers[f"workflow page of {WIDE} nodes: graph drawn, first layout (s)"] = round(time.monotonic() - t0, 2)
        driver.execute_script("""
          const n = arguments[0], actions = arguments[1];
          window.__wide = {clicked: performance.now(), drawn: null, done: null, long: []};
          const w = window.__wide;
          new PerformanceObserver(list => { for (const e of list.getEntries()) w.long.push(e.duration); })
            .observe({type: 'longtask'});
          const look = () => {
            const g = document.querySelector('#graph');
            if (!location.hash.startsWith('#/instance/') || !g) return;
            if (w.drawn === null && g.querySelectorAll('g.node').length === n) w.drawn = performance.now();
            if (w.drawn !== null && w.done === null &&
                g.querySelectorAll('g.node.kind-action[data-status="succeeded"]').length === actions)
              w.done = performance.now();
          };
          new MutationObserver(look).observe(document.getElementById('app'),
            {subtree: true, childList: true, attributes: true, attributeFilter: ['data-status']});
        """, nodes_drawn, WIDE)
        check.click("#run-button")
        check.wait("wide's instance page", lambda d: "#/instance/" in d.current_url)
        wide_id = instance_id_of(driver)
        check.wait(f"the instance's graph of {nodes_drawn} nodes",
                   lambda d: d.execute_script("return window.__wide.drawn") is not None, timeout=120)
        check.wait(f"all {WIDE} actions to turn succeeded live",
                   lambda d: d.execute_script("return window.__wide.done") is not None
                   and check.text("#instance-status") == "succeeded", timeout=300)
        states = node_states(check)
        if sum(1 for n, st in states.items() if n.startswith("t") and st == "succeeded") != WIDE:
            check.fail(f"{sum(1 for st in states.values() if st == 'succeeded')} nodes drawn succeeded")
        rows = len([r for r in check.css("#nodes tr[data-status='succeeded']")
                    if r.get_attribute("data-node").startswith("t")])
        if rows != WIDE:
            check.fail(f"the node table has {rows} succeeded actions, expected {WIDE}")
        if driver.execute_script("return window.__marker;") != "no-reload":
            check.fail("the page was reloaded")
        w = driver.execute_script("return window.__wide;")
        paints = driver.execute_script("return window.cafflowPaints;") or {}
        if paints.get("instance") != wide_id or not paints.get("events"):
            check.fail(f"no live update of {wide_id} was counted: {paints}")
        status, inst = api(http, f"/api/v1/instances/{wide_id}")
        if status == 200 and inst.get("started") and inst.get("finished"):
            numbers[f"instance of {WIDE} nodes: run time on the cluster (s)"] = round(
                (iso_ms(inst["finished"]) - iso_ms(inst["started"])) / 1000, 1)
        numbers[f"instance of {WIDE} nodes: click on Run to graph drawn (ms)"] = round(w["drawn"] - w["clicked"])
        numbers[f"instance of {WIDE} nodes: click on Run to all drawn succeeded (ms)"] = round(w["done"] - w["clicked"])
        if paints.get("paints"):
            numbers[f"instance of {WIDE} nodes: live updates (events, repaints, ms per repaint mean/max)"] = (
                paints["events"], paints["paints"], round(paints["total_ms"] / paints["paints"], 1),
                round(paints["max_ms"], 1))
        numbers[f"instance of {WIDE} nodes: long tasks (count, total ms, max ms)"] = (
            len(w["long"]), round(sum(w["long"])), round(max(w["long"] or [0])))
        if paints.get("first_graph_ms"):
            numbers[f"instance of {WIDE} nodes: its graph asked, parsed and inserted (ms)"] = round(
                paints["first_graph_ms"])
        check.shot("instance-wide")
        check.console_errors("1 000 nodes")

        # -- the other pages ----------------------------------------------------------
        for name, selector in (("instances", "#instances tbody tr[data-instance]"),
                               ("cluster", "#workers tbody tr"),
                               ("xmlconfig", "#xml-files tbody tr[data-status='invalid']")):
            go(driver, base + "/#/" + name)
            check.wait(f"the {name} page", lambda d: check.css(selector))
            check.shot(name)
            check.console_errors(name)
        go(driver, base + "/#/cluster")
        check.wait("the cluster's worker", lambda d: "up" in check.text("#workers"))
        if check.css("#page-error"):
            check.fail("a page shows an error: " + check.text("#page-error"))
        return check.failures, first_took
    finally:
        driver.quit()


def main():
    started = time.monotonic()
    root = tempfile.mkdtemp(prefix="cafflow-web-")
    shots = os.environ.get("CAFFLOW_SCREENSHOT_DIR") or os.path.join(root, "screenshots")
    os.makedirs(shots, exist_ok=True)
    master, worker, http = (f"127.0.0.1:{free_port()}" for _ in range(3))
    for d in ("conf", "xmlconfig/web", "xmlconfig/bulk", "logs"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    conf = os.path.join(root, "conf", "cafflow.ini")
    with open(conf, "w") as f:
        f.write(f"[cluster]\nname = web-test\nmaster = {master}\nworkers = {worker}\n"
                f"http = {http}\n[worker]\nslots = 4\nreconnect_interval_ms = 100\n"
                f"[http]\ntoken = {TOKEN}\n[pools]\nwarehouse = 2\n[schedule]\ntimezone = UTC\n")
    with open(os.path.join(root, "conf", "alerts.xml"), "w") as f:
        f.write(ALERTS)
    for name, xml in WORKFLOWS.items():
        with open(os.path.join(root, "xmlconfig", "web", name + ".xml"), "w") as f:
            f.write(xml.replace("MARKER", os.path.join(root, "flaky.marker")))
    with open(os.path.join(root, "xmlconfig", "web", "broken.xml"), "w") as f:
        f.write(BROKEN)
    for i in range(BULK):
        with open(os.path.join(root, "xmlconfig", "bulk", f"bulk_{i:05d}.xml"), "w") as f:
            f.write(f'<work-flow name="bulk_{i:05d}" dir="/bulk"><start name="s" to="a"/>'
                    f'<action name="a"><shell><command>true</command></shell><ok to="e"/>'
                    f'</action><end name="e"/></work-flow>\n')

    procs = []
    for role, address in (("master", master), ("worker", worker), ("http", http)):
        log = open(os.path.join(root, "logs", role + ".out"), "w")
        procs.append(subprocess.Popen(
            [CAFFLOWD, "--role", role, "--conf", conf, "--address", address],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent))

    failures = []
    numbers = {}
    try:
        def loaded():
            status, body = api(http, "/api/v1/workflows?limit=1")
            return status == 200 and body["total"] >= BULK + len(WORKFLOWS)
        if not wait_until(loaded, timeout=180):
            failures.append(f"the {BULK + len(WORKFLOWS)} workflows were not loaded in 180 s: "
                            f"{api(http, '/api/v1/workflows?limit=1')}")
        else:
            numbers["cluster ready (s)"] = round(time.monotonic() - started, 1)
            times = []
            for _ in range(5):
                t0 = time.monotonic()
                status, body = api(http, "/api/v1/workflows?limit=25&offset=0&detail=true")
                times.append(time.monotonic() - t0)
                if status != 200 or len(body["workflows"]) != 25:
                    failures.append(f"the first page: {status} {str(body)[:200]}")
                    break
            numbers["first workflows page, API (ms, best/worst of 5)"] = (
                round(min(times) * 1000), round(max(times) * 1000))
            t0 = time.monotonic()
            browser_failures, page_time = run_browser(http, shots, root, numbers)
            numbers["browser part (s)"] = round(time.monotonic() - t0, 1)
            numbers["first workflows page in the browser"] = page_time
            failures += browser_failures
    except WebDriverException as e:
        import traceback
        traceback.print_exc()
        failures.append(f"the browser failed: {e}")
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

    numbers["whole test (s)"] = round(time.monotonic() - started, 1)
    for k, v in numbers.items():
        print(f"number: {k}: {v}")
    print(f"screenshots: {shots}")
    if failures:
        for f in failures:
            print("FAIL:", f)
        for role in ("master", "worker", "http"):
            with open(os.path.join(root, "logs", role + ".out")) as f:
                print(f"--- {role} log (tail)\n" + "".join(f.readlines()[-30:]))
        print(f"(the cluster's directory is kept: {root})")
        return 1
    if not os.environ.get("CAFFLOW_SCREENSHOT_DIR"):
        print("(screenshots are removed with the temp dir; set CAFFLOW_SCREENSHOT_DIR to keep them)")
    shutil.rmtree(root, ignore_errors=True)
    print("ok: every page loaded without console errors; run, kill, rerun, mark, backfills, "
          "alerts, why waiting, pools, timeline, login and paging work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
