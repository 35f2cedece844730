"""Run by bench/run.py inside `unshare --net`: the CPU time of `check`'s wire layer listening for
5 s on a veth standing in for a bond (tests/native/wire_check.py, one watched MAC, probes on),
quiet and under the native tests' flood of others' broadcast frames at the veth's full rate.
Prints JSON: the median CPU seconds (user + system) of three runs each, and the flood's rate.

The kernel's share of a flood (the veth's receive path and the socket filter run in the sender's
softirq) is not the checking process's; what is measured is what reaches bondhook."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OURS = "02:54:00:c8:76:09"
REQUEST = json.dumps({"targets": [{"bond": "bond0", "watched": [OURS], "carriers": [{"mac": OURS}]}],
                      "seconds": 5.0, "probe": True})  # fmt: skip


def cpu_of_check() -> float:
    proc = subprocess.Popen([sys.executable, "-I", str(REPO / "tests" / "native" / "wire_check.py"), REQUEST],
                            stdout=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"wire_check failed: {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    for argv in (["link", "add", "bond0", "address", OURS, "type", "veth", "peer", "name", "wire0"],
                 ["link", "set", "bond0", "up"], ["link", "set", "wire0", "up"]):  # fmt: skip
        subprocess.run(["ip", *argv], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        flood = Path(tmp) / "flood"
        subprocess.run(["cc", "-O2", "-o", str(flood), str(REPO / "tests" / "native" / "flood.c")], check=True)
        quiet = [cpu_of_check() for _ in range(3)]
        flooded, rates = [], []
        for _ in range(3):
            flooder = subprocess.Popen([str(flood), "wire0", "52:54:00:99:99:99", "6", "broadcast"],
                                       stdout=subprocess.PIPE, text=True)  # fmt: skip
            flooded.append(cpu_of_check())
            rates.append(json.loads(flooder.communicate()[0])["rate"])
    print(json.dumps({"quiet": statistics.median(quiet), "flood": statistics.median(flooded),
                      "rate": statistics.median(rates)}))  # fmt: skip


if __name__ == "__main__":
    main()
