"""Every doctest case must be one ctest test that runs it.

ctest learns the cases from `--list-test-cases`; a name with ';' is cut there
(it separates CMake list items), and the cut name selects no case at all — a
test that always passes. This keeps such names out."""
import os
import subprocess
import sys

BINARIES = ["unit_tests", "store_tests", "actor_tests", "integration_tests", "action_tests"]

bin_dir = os.environ["CAFFLOW_BIN_DIR"]
bad = []
count = 0
for binary in BINARIES:
    out = subprocess.run([os.path.join(bin_dir, binary), "--list-test-cases", "--no-version"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("[doctest]") or line.startswith("====") or not line.strip():
            continue
        count += 1
        if ";" in line:
            bad.append(f"{binary}: {line}")
if bad:
    print("test case names with ';' (ctest would run none of them):", *bad, sep="\n  ")
    sys.exit(1)
if count < 100:
    print(f"only {count} test cases listed: the listing format changed?")
    sys.exit(1)
print(f"{count} test case names checked")
