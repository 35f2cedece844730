"""One time budget per process: every wait on the outside world (ifquery, modprobe, the system
bus and NetworkManager) takes its time-out from what is left of it.

A per-call time-out is not a bound: ten calls that each answer just in time add up. The budget
counts waiting and bondhook's own work, not the loading of Python libraries (`paused`): that is
0.3 s natively but ~11 s for pyroute2 under the lab's TCG emulation, where it would otherwise eat
the budget that exists to bound waits. A kernel blocked on its rtnl lock stalls every network
tool alike and cannot be bounded from userspace; bondhook does not pretend to.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bondhook.errors import OutsideError

HOOK_SECONDS = 15.0
CLI_SECONDS = 120.0
# What a subprocess inherits: nothing from the caller's environment.
SAFE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}


class Expired(OutsideError):
    """The budget ran out; str() says after how long and what bondhook was waiting for."""


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds


_budget = _Budget(CLI_SECONDS)


def start(seconds: float) -> None:
    """Start this process's budget (each entry point does, first thing)."""
    global _budget
    _budget = _Budget(seconds)


def budget() -> float:
    return _budget.seconds


def remaining(waiting_for: str) -> float:
    """The time-out for the next wait; Expired when nothing is left."""
    left = _budget.end - time.monotonic()
    if left <= 0:
        raise Expired(f"gave up after {_budget.seconds:.0f} s waiting for {waiting_for}")
    return left


@contextmanager
def paused() -> Iterator[None]:
    """Loading a library is not waiting on anyone: it does not count against the budget."""
    began = time.monotonic()
    try:
        yield
    finally:
        _budget.end += time.monotonic() - began


def run(argv: Sequence[str], waiting_for: str) -> subprocess.CompletedProcess[bytes]:
    """Run a tool with a minimal environment and at most the time left. Output is bytes: the
    caller decodes it without failing. FileNotFoundError when the tool is not installed."""
    timeout = remaining(waiting_for)
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=SAFE_ENV, cwd="/"
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # and no wait: a child stuck in the kernel would hold us too
        raise Expired(f"gave up after {_budget.seconds:.0f} s waiting for {waiting_for}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
