"""The documentation stays true to the defaults and to the repository.

1. Every default the docs, README.md and the systemd units state in the form
   "`section.key` (default 30)" or "(10 s)" equals the effective default
   (`cafflow config get` with conf/cafflow.ini, which mirrors
   src/defaults.hpp; config_test checks that), units converted.
2. No document points outside the repository (../shared/..., ARCHITECTURE.md,
   STYLE.md, WORKFLOW-FORMAT.md), and every relative Markdown link resolves."""
import glob
import os
import re
import subprocess
import sys

src = os.environ["CAFFLOW_SOURCE_DIR"]
cli = os.path.join(os.environ["CAFFLOW_BIN_DIR"], "cafflow")
conf = os.path.join(src, "conf", "cafflow.ini")

files = sorted(glob.glob(os.path.join(src, "docs", "*.md"))) + [os.path.join(src, "README.md")] \
    + sorted(glob.glob(os.path.join(src, "conf", "systemd", "*")))
claim = re.compile(r"`?([a-z]+\.[a-z_]+)`?,? \((?:default )?([0-9][0-9.]*) ?([A-Za-z]*)[),]")
factor = {"": 1, "s": 1, "ms": 1, "min": 60, "MiB": 1 << 20, "KiB": 1 << 10, "MB": 10**6,
          "kB": 1000, "bytes": 1}
problems = []
checked = 0
effective = {}
for line in subprocess.run([cli, "--conf", conf, "config", "show"], capture_output=True,
                           text=True, check=True).stdout.splitlines():
    key, _, value = line.partition(" = ")
    effective[key] = value
for path in files:
    text = open(path, encoding="utf-8").read()
    name = os.path.relpath(path, src)
    for number, line in enumerate(text.splitlines(), 1):
        for key, value, unit in claim.findall(line):
            if key not in effective:
                continue
            if unit not in factor:
                problems.append(f"{name}:{number}: {key} ({value} {unit}): unknown unit")
                continue
            stated = float(value) * factor[unit]
            actual = float(effective[key])
            # A key in milliseconds stated in seconds, or bytes in MiB.
            if key.endswith("_ms") and unit == "s":
                stated *= 1000
            if stated != actual:
                problems.append(f"{name}:{number}: says {key} is {value} {unit}".rstrip()
                                + f", the default is {effective[key]}")
            checked += 1
    for bad in ("../shared/", "ARCHITECTURE.md", "STYLE.md", "WORKFLOW-FORMAT.md"):
        for number, line in enumerate(text.splitlines(), 1):
            if bad in line:
                problems.append(f"{name}:{number}: points outside the repository ({bad})")
    if path.endswith(".md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            if not os.path.exists(os.path.join(os.path.dirname(path), target)):
                problems.append(f"{name}: link to {target}, which does not exist")
if problems:
    print(*problems, sep="\n")
    sys.exit(1)
if checked < 5:
    print(f"only {checked} stated defaults found: the pattern no longer matches the docs?")
    sys.exit(1)

# 3. README lists every package sbin/setup installs.
setup = "\n".join(line.split("#")[0] for line in
                  open(os.path.join(src, "sbin", "setup"), encoding="utf-8").read().splitlines())
readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
packages = []
for array in ("PACKAGES", "TEST_PACKAGES"):
    body = re.search(r"^" + array + r"=\(([^)]*)\)", setup, re.M).group(1)
    packages += body.split()
missing = [p for p in packages if not re.search(r"(?<![\w.-])" + re.escape(p) + r"(?![\w.-])", readme)]
if len(packages) < 20 or missing:
    print(f"README.md does not list these packages of sbin/setup: {missing} (of {len(packages)})")
    sys.exit(1)
print(f"{checked} stated defaults and {len(packages)} packages checked")
