#!/usr/bin/python3
"""cafflow's time zones against Python's zoneinfo, 2040-2100, in five zones.

Zone files list transitions up to 2037 and give the rule for later years in a
POSIX TZ string at their end; zoneinfo reads it, and so must cafflow (cctz) —
date-tz did not, and America/New_York was an hour off in summer 2040.

For every zone and year: instants every 6 hours, and every 10 minutes from 3 h
before to 3 h after each DST transition (found with zoneinfo), are converted to
local time and offset; the local times around each transition (gaps and
repeats) are converted back to instants (a skipped time read with the offset
before the gap, a repeated one the earlier: zoneinfo's fold=0). Every answer of
$CAFFLOW_BIN_DIR/tz_eval must equal zoneinfo's. Also checks that the years
after 2037 do have DST where the zone has it (not vacuous)."""
import datetime as dt
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Europe/London",
         "America/Los_Angeles"]
YEARS = range(2040, 2101)
UTC = dt.timezone.utc


def offset_text(d):
    minutes = int(d.utcoffset().total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def transitions(zone, year):
    """The instants (Unix seconds) at which the zone's offset changes in `year`."""
    z = ZoneInfo(zone)
    start = int(dt.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    step = 6 * 3600
    t = start
    off = dt.datetime.fromtimestamp(t, z).utcoffset()
    while t < end:
        nxt = t + step
        noff = dt.datetime.fromtimestamp(nxt, z).utcoffset()
        if noff != off:
            lo, hi = t, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if dt.datetime.fromtimestamp(mid, z).utcoffset() == off:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t, off = nxt, noff
    return found


queries = []
expected = []
dst_years = 0
for zone in ZONES:
    z = ZoneInfo(zone)
    for year in YEARS:
        start = int(dt.datetime(year, 1, 1, tzinfo=UTC).timestamp())
        end = int(dt.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
        instants = list(range(start, end, 6 * 3600))
        trans = transitions(zone, year)
        if len(trans) == 2:
            dst_years += 1
        for t in trans:
            instants += range(t - 3 * 3600, t + 3 * 3600 + 1, 600)
            # Local wall-clock times around it, every 10 minutes (in gaps and repeats too).
            before = dt.datetime.fromtimestamp(t - 3 * 3600, z).replace(tzinfo=None)
            for k in range(0, 37):
                local = before + dt.timedelta(minutes=10 * k)
                queries.append(f"{zone}\t{local:%Y-%m-%d %H:%M:%S}")
                expected.append(str(int(local.replace(tzinfo=z, fold=0).timestamp())))
        for t in instants:
            d = dt.datetime.fromtimestamp(t, z)
            queries.append(f"{zone}\t@{t}")
            expected.append(f"{d:%Y-%m-%d %H:%M:%S}{offset_text(d)}")

tool = os.path.join(os.environ["CAFFLOW_BIN_DIR"], "tz_eval")
out = subprocess.run([tool], input="\n".join(queries) + "\n", capture_output=True, text=True,
                     check=True).stdout.splitlines()
if len(out) != len(queries):
    print(f"tz_eval answered {len(out)} lines for {len(queries)} queries")
    sys.exit(1)
wrong = [(q, e, a) for q, e, a in zip(queries, expected, out) if e != a]
if dst_years < 4 * len(YEARS):
    print(f"only {dst_years} zone-years with two transitions: zoneinfo itself lacks DST after 2037?")
    sys.exit(1)
if wrong:
    print(f"{len(wrong)} of {len(queries)} answers differ from zoneinfo; the first ones:")
    for q, e, a in wrong[:15]:
        print(f"  {q!r}: zoneinfo {e}, cafflow {a}")
    sys.exit(1)
print(f"{len(queries)} conversions agree with zoneinfo ({dst_years} zone-years with DST)")
