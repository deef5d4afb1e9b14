#!/usr/bin/python3
"""Differential test of cafflow's cron evaluation against croniter.

A fixed seed generates thousands of valid expressions (5 and 6 fields, lists,
ranges, steps, names, macros, both day fields restricted, ...) and start
times: random ones in UTC, and many around the DST transitions of
America/New_York and Europe/Berlin. `$CAFFLOW_BIN_DIR/cron_eval` evaluates all
of them in one run; Debian's python3-croniter (1.3.5) is the oracle.

Two oracles, both built on croniter (docs/CRON.md, "Differences from croniter"):

* direct: croniter(expr, start_with_tzinfo).get_next(datetime), as a user would
  call it. Used when croniter's own DST handling is not involved: the zone is
  UTC, or every fire has the same UTC offset as the start and no matching local
  time of the window is skipped or repeated.
* wall clock: croniter on naive local times (pure cron matching, where croniter
  is reliable), then our product's DST rules applied with zoneinfo: a skipped
  local time fires once at the end of the gap, a repeated one once at its first
  occurrence. Used for every case; for the DST cases it is the only oracle,
  because croniter 1.3.5 with a tz-aware start is wrong around transitions
  (e.g. "0 12 * * *" fires at 11:00 and 12:00 on the spring-forward day in
  New York; "30 2 * * *" fires at a non-existent 02:30-05:00).
  In the direct cases the two oracles must agree (a check of this script).

Exit status 0 when cafflow agrees with the oracle on every compared case;
otherwise a report of the first disagreements.
"""

import datetime as dt
import os
import random
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

from croniter import croniter, CroniterBadDateError

SEED = int(os.environ.get("CRON_DIFF_SEED", "20260308"))
UTC_CASES = 1800
DST_CASES_PER_ZONE = 1400  # America/New_York and Europe/Berlin each
TARGETED_CASES_PER_ZONE = 400
MAX_REPORTED = 15
# Dense expressions for the cases right at DST transitions.
DENSE = ["*/{n} {h} * * *", "*/{n} {h}-{h2} * * *", "{m} {h} * * *", "*/{n} * * * *",
         "{m} {h} * * SUN", "{m} */1 * * *", "{s} */{n} {h} * * *", "* 2 * * *",
         "{m} 1,2,3 * 3,10,11 0", "{s} {m} {h} * * *", "0,30 * * * * *"]
UTC = dt.timezone.utc

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]


# -- expressions ---------------------------------------------------------------

def spell_name(rng, names, value):
    name = names[value % len(names)]
    return rng.choice([name, name.lower(), name.capitalize()])


def gen_value(rng, lo, hi, names, hot):
    """A value of the field, sometimes from the `hot` values (DST hours)."""
    if hot and rng.random() < 0.5:
        v = rng.choice(hot)
    else:
        v = rng.randint(lo, hi)
    if names and rng.random() < 0.4 and v <= (12 if names is MONTHS else 7):
        return v, spell_name(rng, names, v - (1 if names is MONTHS else 0))
    return v, str(v)


def gen_item(rng, field):
    lo, hi, names, hot = field["lo"], field["hi"], field.get("names"), field.get("hot")
    span = hi - lo + 1
    kind = rng.choices(["value", "range", "range_step", "star_step", "start_step"],
                       weights=[45, 20, 12, 13, 10])[0]
    small_step = lambda: rng.choice([1, 2, 3, 4, 5, 6, 7, 10, 12, 15, 20, 30, span])
    step = min(max(small_step(), 1), span)
    if kind == "value":
        return gen_value(rng, lo, hi, names, hot)[1]
    if kind == "star_step":
        return "*/%d" % step
    if kind == "start_step":
        return "%s/%d" % (gen_value(rng, lo, hi, names, hot)[1], step)
    a, a_text = gen_value(rng, lo, hi, names, hot)
    b, b_text = gen_value(rng, lo, hi, names, hot)
    if field["name"] == "dow" and rng.random() < 0.15:
        # Ranges that end on Sunday written as 0/SUN ("FRI-SUN").
        a, a_text = gen_value(rng, 1, 6, names, None)
        b_text = rng.choice(["0", "SUN", "sun"])
        b = 7
    elif a > b:
        a, b, a_text, b_text = b, a, b_text, a_text
    text = "%s-%s" % (a_text, b_text)
    if kind == "range_step":
        text += "/%d" % step
    return text


def gen_field(rng, field):
    r = rng.random()
    star = field["star"]
    if r < star:
        return "*"
    if field["name"] in ("dom", "dow"):
        if r < star + 0.03:
            return "?"
        if r < star + 0.10:
            return "*/%d" % rng.randint(1, 8)  # starts with '*': unrestricted for the day rule
        if r < star + 0.12:
            # Complete, but not written with '*': restricted for Vixie's day rule.
            if field["name"] == "dom":
                return "1-31"
            return rng.choice(["0-6", "SUN-SAT", "1-7", "0-7", "MON-SUN"])
    n = rng.choices([1, 2, 3], weights=[60, 28, 12])[0]
    return ",".join(gen_item(rng, field) for _ in range(n))


def make_fields(dst):
    hot_hours = [0, 1, 2, 3, 23] if dst else None
    return [
        {"name": "sec", "lo": 0, "hi": 59, "star": 0.25, "hot": [0, 0, 30, 59]},
        {"name": "min", "lo": 0, "hi": 59, "star": 0.22, "hot": [0, 0, 15, 30, 45, 59]},
        {"name": "hour", "lo": 0, "hi": 23, "star": 0.22, "hot": hot_hours},
        {"name": "dom", "lo": 1, "hi": 31, "star": 0.42, "hot": [1, 28, 29, 30, 31]},
        {"name": "mon", "lo": 1, "hi": 12, "star": 0.55, "names": MONTHS,
         "hot": [2, 3, 10, 11] if dst else [2]},
        {"name": "dow", "lo": 0, "hi": 7, "star": 0.45, "names": DAYS, "hot": [0, 6, 7]},
    ]


def gen_expression(rng, dst):
    """(our text, croniter text)."""
    if rng.random() < 0.03:
        m = rng.choice(MACROS)
        return m, m
    fields = make_fields(dst)
    parts = [gen_field(rng, f) for f in fields]
    six = rng.random() < 0.3
    if six and parts[0] == "*" and parts[1] == "*" and rng.random() < 0.8:
        parts[0] = "0"  # keep every-second expressions rare
    ours = parts if six else parts[1:]
    # croniter: seconds are the LAST field of its 6-field form; no '?'.
    cron = parts[1:] + ([parts[0]] if six else [])
    cron = ["*" if p == "?" else p for p in cron]
    return " ".join(ours), " ".join(cron)


def vixie_day_or(ours):
    """Vixie: OR only when neither day field starts with '*' (we treat '?' as '*')."""
    if ours.startswith("@"):
        return False
    f = ours.split()
    dom, dow = f[-3], f[-1]
    return not (dom[0] in "*?" or dow[0] in "*?")


# -- time zones ----------------------------------------------------------------

def transitions(zone, first_year, last_year):
    """UTC instants (naive datetimes) at which the zone's offset changes."""
    z = ZoneInfo(zone)
    out = []
    t = dt.datetime(first_year, 1, 1)
    end = dt.datetime(last_year + 1, 1, 1)
    offset = lambda u: u.replace(tzinfo=UTC).astimezone(z).utcoffset()
    while t < end:
        u = t + dt.timedelta(hours=6)
        if offset(u) != offset(t):
            lo, hi = t, u
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == offset(lo):
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        t = u
    return out


def fire_instant(local, z):
    """Our DST rules: the UTC instant (naive) a matching local time fires at,
    and whether the local time was skipped or repeated."""
    a = local.replace(tzinfo=z, fold=0)
    b = local.replace(tzinfo=z, fold=1)
    oa, ob = a.utcoffset(), b.utcoffset()
    if oa == ob:
        return local - oa, False
    if oa > ob:  # repeated: fold=0 is the first occurrence
        return local - oa, True
    # Skipped: the end of the gap, the first whole second with the new offset,
    # between local - ob and local - oa.
    epoch = dt.datetime(1970, 1, 1)
    lo = int((local - ob - epoch).total_seconds())
    hi = int((local - oa - epoch).total_seconds())
    offset = lambda s: (epoch + dt.timedelta(seconds=s)).replace(tzinfo=UTC).astimezone(z).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset(mid) == ob:
            hi = mid
        else:
            lo = mid
    return epoch + dt.timedelta(seconds=hi), True


def fmt(utc_naive, z):
    local = utc_naive.replace(tzinfo=UTC).astimezone(z)
    off = local.utcoffset()
    minutes = int(off.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return local.strftime("%Y-%m-%d %H:%M:%S") + "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


def start_instant(case):
    z = ZoneInfo(case["zone"])
    if case["from"].startswith("@"):
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(case["from"][1:]))
    local = dt.datetime.strptime(case["from"], "%Y-%m-%d %H:%M:%S")
    # parse_local_time: a skipped time moves forward by the gap, a repeated one
    # is the earlier; both are zoneinfo's fold=0.
    aware = local.replace(tzinfo=z, fold=0)
    return aware.astimezone(UTC).replace(tzinfo=None)


# -- oracles -------------------------------------------------------------------

def wall_clock_oracle(case):
    """croniter on naive local times + our DST rules. Returns (times, touched):
    touched = the DST rules changed something in the window."""
    z = ZoneInfo(case["zone"])
    start = start_instant(case)
    start_local = start.replace(tzinfo=UTC).astimezone(z)
    start_offset = start_local.utcoffset()
    wall = start_local.replace(tzinfo=None)
    forward = case["dir"] == "next"
    touched = False
    if not forward and start_local.fold == 1:
        # A second occurrence: the whole overlap fired (at first occurrences) before it.
        wall += start_local.replace(fold=0).utcoffset() - start_offset
        touched = True
    it = croniter(case["cron"], wall, day_or=case["day_or"], max_years_between_matches=400)
    out, last = [], None
    for _ in range(20000):
        try:
            local = it.get_next(dt.datetime) if forward else it.get_prev(dt.datetime)
        except CroniterBadDateError:
            out.append("NONE")
            break
        u, special = fire_instant(local, z)
        if special:
            touched = True
        if (forward and u <= start) or (not forward and u >= start) or u == last:
            touched = True
            continue
        if u.replace(tzinfo=UTC).astimezone(z).utcoffset() != start_offset:
            touched = True
        out.append(fmt(u, z))
        last = u
        if len(out) == case["count"]:
            break
    return out, touched


def direct_oracle(case):
    """croniter with a tz-aware start, as its documentation shows."""
    z = ZoneInfo(case["zone"])
    start = start_instant(case).replace(tzinfo=UTC).astimezone(z)
    it = croniter(case["cron"], start, day_or=case["day_or"], max_years_between_matches=400)
    out = []
    for _ in range(case["count"]):
        try:
            t = it.get_next(dt.datetime) if case["dir"] == "next" else it.get_prev(dt.datetime)
        except CroniterBadDateError:
            out.append("NONE")
            break
        out.append(fmt(t.astimezone(UTC).replace(tzinfo=None), z))
    return out


# -- cases ---------------------------------------------------------------------

def gen_cases(rng):
    cases = []

    def add(zone, start, dst):
        ours, cron = gen_expression(rng, dst)
        cases.append({
            "expr": ours, "cron": cron, "zone": zone, "from": start,
            "count": rng.choice([1, 2, 3, 5, 8]),
            "dir": "prev" if rng.random() < 0.2 else "next",
            "day_or": vixie_day_or(ours),
        })

    for _ in range(UTC_CASES):
        # 1901-2099: includes times before the epoch and leap-year edges (2000, 2100).
        t = dt.datetime(1901, 1, 1) + dt.timedelta(seconds=rng.randrange(198 * 365 * 86400))
        if rng.random() < 0.2:
            t = t.replace(second=0)
        add("UTC", t.strftime("%Y-%m-%d %H:%M:%S"), False)

    for zone in ("America/New_York", "Europe/Berlin"):
        z = ZoneInfo(zone)
        # Past 2037 too: the zone files' POSIX rule (cctz reads it).
        trans = transitions(zone, 2000, 2090)
        for _ in range(DST_CASES_PER_ZONE):
            t = rng.choice(trans)
            kind = rng.random()
            if kind < 0.15:
                # An instant near the transition (may be a second occurrence).
                u = t + dt.timedelta(seconds=rng.randint(-7200, 7200))
                add(zone, "@%d" % int((u - dt.datetime(1970, 1, 1)).total_seconds()), True)
                continue
            u = t + dt.timedelta(seconds=rng.randint(-2 * 86400, 2 * 86400))
            if kind < 0.5:
                u = u.replace(second=0)
            if kind < 0.3:
                u = u.replace(minute=rng.choice([0, 15, 30, 59]))
            local = u.replace(tzinfo=UTC).astimezone(z).replace(tzinfo=None)
            if kind < 0.4:
                # Local wall-clock times in the gap or the overlap themselves.
                local = (t.replace(tzinfo=UTC).astimezone(z).replace(tzinfo=None)
                         + dt.timedelta(minutes=rng.randint(-90, 90)))
            add(zone, local.strftime("%Y-%m-%d %H:%M:%S"), True)
        # Dense expressions right at the transitions, starting inside gaps and
        # overlaps (also as second occurrences), in both directions.
        for _ in range(TARGETED_CASES_PER_ZONE):
            t = rng.choice(trans)
            u = t + dt.timedelta(seconds=rng.randint(-7200, 7200))
            if rng.random() < 0.5:
                start = "@%d" % int((u - dt.datetime(1970, 1, 1)).total_seconds())
            else:
                local = u.replace(tzinfo=UTC).astimezone(z).replace(tzinfo=None)
                start = local.strftime("%Y-%m-%d %H:%M:%S")
            h = rng.choice([0, 1, 2, 3])
            expr = rng.choice(DENSE).format(
                n=rng.choice([1, 5, 10, 15, 20, 30]), m=rng.choice([0, 15, 30, 45, 59]),
                h=h, h2=h + rng.choice([1, 2]), s=rng.choice([0, 30]))
            six = len(expr.split()) == 6
            cron = " ".join(expr.split()[1:] + [expr.split()[0]]) if six else expr
            cases.append({"expr": expr, "cron": cron, "zone": zone, "from": start,
                          "count": rng.choice([1, 3, 5, 8]),
                          "dir": "prev" if rng.random() < 0.5 else "next",
                          "day_or": vixie_day_or(expr)})
    return cases


def expanded_sets(case):
    """croniter's expansion: (months, days of month) as sets, '*' expanded."""
    expanded, _ = croniter.expand(case["cron"])
    months = set(range(1, 13)) if expanded[3] == ["*"] else set(expanded[3])
    doms = set(range(1, 32)) if expanded[2] == ["*"] else set(expanded[2])
    return expanded, months, doms


def exclusion(case):
    """The reason a case is not compared, from the expression alone, or None.
    Each is a documented difference between croniter and our spec (docs/CRON.md)."""
    if case["expr"].startswith("@"):
        return None
    expanded, months, doms = expanded_sets(case)
    # Vixie's day rule: OR when neither day field starts with '*'. croniter
    # ORs only when neither *expanded* field is complete, so "1-31" or "0-6"
    # (complete, but not written with '*') makes it AND where Vixie ORs.
    if case["day_or"] and (expanded[2] == ["*"] or expanded[4] == ["*"]):
        return "complete day field without '*': croniter ANDs, Vixie ORs"
    # croniter computes the OR as min(day-of-month only, day-of-week only) and
    # gives up when the first can never match ("30 FEB"), although the
    # weekdays still can.
    max_days = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
    if case["day_or"] and not any(d <= max_days.get(m, 31) for m in months for d in doms):
        return "croniter: OR with an impossible day-of-month raises"
    # croniter 1.3.5 skips its 7 -> 0 (Sunday) mapping in the 6-field form:
    # a 7 then misses Sundays, and e.g. {0,2,3,4,5,6,7} counts as complete
    # ('*'). Detected as: its 5-field expansion of the same fields differs.
    if len(expanded) == 6:
        five, _ = croniter.expand(" ".join(case["cron"].split()[:5]))
        if five[4] != expanded[4]:
            return "croniter: 6-field day-of-week 7 bug"
    return None


def local_of(text):
    return dt.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")


def window_exclusion(case, expected):
    """The reason a case is not compared, from the oracle's window, or None:
    croniter bugs on February that depend on the dates
    searched (when croniter is wrong it skips too far, so its own window still
    shows the cause)."""
    z = ZoneInfo(case["zone"])
    start = start_instant(case).replace(tzinfo=UTC).astimezone(z).replace(tzinfo=None)
    times = [local_of(t) for t in expected if t != "NONE"]
    if case["expr"].startswith("@"):
        return None
    expanded, months, doms = expanded_sets(case)
    if 2 not in months:
        return None
    far = "NONE" in expected or not times
    leap = lambda y: y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if case["dir"] == "prev":
        # get_prev steps back into February at day 28 (its table ignores leap
        # years), skipping Feb 29.
        lo = dt.datetime(1, 1, 1) if far else times[-1]
        if any(leap(y) and lo < dt.datetime(y, 3, 1) and dt.datetime(y, 2, 29) <= start
               for y in range(max(lo.year, start.year - 400), start.year + 1)):
            return "croniter: get_prev skips Feb 29"
        return None
    # get_next adds (wanted day - today) days, which from late February
    # overshoots into March ("30" from Feb 24 lands on Mar 2) and skips the
    # first days of March.
    if 3 not in months or expanded[2] == ["*"]:
        return None
    if not any(v > 28 and u < v - 28 for v in doms for u in doms):
        return None
    hi = dt.datetime(9999, 1, 1) if far else times[-1]
    if any(start < dt.datetime(y, 3, 1) <= hi
           for y in range(start.year, min(hi.year, start.year + 400) + 1)):
        return "croniter: get_next overshoots the end of February"
    return None


def run_cron_eval(cases):
    binary = os.path.join(os.environ.get("CAFFLOW_BIN_DIR", ""), "cron_eval")
    if not os.access(binary, os.X_OK):
        print("cron_eval not found at %s (set CAFFLOW_BIN_DIR)" % binary)
        sys.exit(2)
    # cafflow's seconds-first form is "@seconds" and six fields (six plain
    # fields are akkaflow's: docs/CRON.md).
    def ours(expr):
        return "@seconds " + expr if len(expr.split()) == 6 else expr
    lines = "".join("%s\t%s\t%s\t%d\t%s\n" % (ours(c["expr"]), c["from"], c["zone"], c["count"],
                                               c["dir"])
                    for c in cases)
    proc = subprocess.run([binary, "--offsets"], input=lines, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        print("cron_eval failed (%d): %s" % (proc.returncode, proc.stderr))
        sys.exit(2)
    out = proc.stdout.split("\n")[:-1]
    if len(out) != len(cases):
        print("cron_eval printed %d lines for %d cases" % (len(out), len(cases)))
        sys.exit(2)
    return [line.split("\t") for line in out]


def main():
    began = time.time()
    rng = random.Random(SEED)
    cases = gen_cases(rng)
    results = run_cron_eval(cases)
    excluded = {}
    compared_direct = compared_wall = croniter_dst_wrong = and_rule = 0
    failures, oracle_mismatch = [], []
    for case, ours in zip(cases, results):
        reason = exclusion(case)
        if reason:
            excluded[reason] = excluded.get(reason, 0) + 1
            continue
        if not case["day_or"] and not case["expr"].startswith("@"):
            expanded, _ = croniter.expand(case["cron"])
            if expanded[2] != ["*"] and expanded[4] != ["*"]:
                and_rule += 1  # e.g. "*/2" in dom: croniter's default would OR
        expected, touched = wall_clock_oracle(case)
        reason = window_exclusion(case, expected)
        if reason:
            excluded[reason] = excluded.get(reason, 0) + 1
            continue
        direct = direct_oracle(case)
        if touched and case["zone"] != "UTC":
            compared_wall += 1
            if direct != expected:
                croniter_dst_wrong += 1
        else:
            compared_direct += 1
            if direct != expected:
                oracle_mismatch.append((case, direct, expected))
                continue
        if ours != expected:
            failures.append((case, ours, expected))

    total = len(cases)
    print("cron differential test (seed %d): %d cases" % (SEED, total))
    print("  compared directly with croniter (tz-aware start): %d" % compared_direct)
    print("  compared with croniter on wall-clock time + our DST rules: %d"
          " (croniter's tz-aware result differs from the spec in %d of them)"
          % (compared_wall, croniter_dst_wrong))
    print("  of the compared, %d use Vixie's AND day rule via croniter day_or=False"
          " (a day field starting with '*' but restricted, e.g. */2)" % and_rule)
    for reason, n in sorted(excluded.items()):
        print("  excluded (%s): %d" % (reason, n))
    print("  oracle inconsistencies (direct vs wall-clock outside DST): %d" % len(oracle_mismatch))
    print("  disagreements: %d" % len(failures))
    print("  %.1f s" % (time.time() - began))
    for case, direct, expected in oracle_mismatch[:MAX_REPORTED]:
        print("\nORACLE MISMATCH %r from %s in %s, %d %s (croniter %r, day_or=%s)\n"
              "  direct:     %s\n  wall clock: %s"
              % (case["expr"], case["from"], case["zone"], case["count"], case["dir"],
                 case["cron"], case["day_or"], direct, expected))
    for case, ours, expected in failures[:MAX_REPORTED]:
        print("\nDISAGREEMENT %r from %s in %s, %d %s (croniter %r, day_or=%s)\n"
              "  cafflow:  %s\n  expected: %s"
              % (case["expr"], case["from"], case["zone"], case["count"], case["dir"],
                 case["cron"], case["day_or"], ours, expected))
    return 1 if failures or oracle_mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
