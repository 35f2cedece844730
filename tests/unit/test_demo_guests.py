"""No guest outlives `make demo`, however it stops (issue 20): a SIGTERM to the demo's whole
process group, as `timeout` sends it (twice: make passes it on), a guest that ignores SIGTERM,
and the demo itself killed with SIGKILL. Stand-in guests (`sleep`) in process groups of their
own, as vng's are; no qemu."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = """
import sys, time
from tests.lab import demo
demo.stop_on_signals()
try:
    with demo.Guests(grace=1.0) as guests:
        for argv in (["sleep", "600"], ["sh", "-c", "trap '' TERM; sleep 600 & wait"]):
            guests.start(argv)
        print(" ".join(str(proc.pid) for proc in guests.procs), flush=True)
        time.sleep(600)
except KeyboardInterrupt:
    sys.exit(130)
"""


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def gone(groups: list[int], within: float = 10.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not any(alive(group) for group in groups):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("stop", ["sigterm-twice", "sigkill"])
def test_no_guest_outlives_the_demo(stop):
    demo = subprocess.Popen([sys.executable, "-c", DEMO], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        groups = [int(pid) for pid in demo.stdout.readline().split()]
        assert len(groups) == 2 and all(alive(group) for group in groups)
        if stop == "sigkill":
            os.killpg(demo.pid, signal.SIGKILL)
        else:
            os.killpg(demo.pid, signal.SIGTERM)
            time.sleep(0.05)
            os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
        assert gone(groups), [group for group in groups if alive(group)]
    finally:
        if demo.poll() is None:
            demo.kill()
