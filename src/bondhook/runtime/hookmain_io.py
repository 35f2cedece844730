"""What both hooks' entry points share: a time budget, logging to stderr and syslog, and never
failing the ifup or the activation they run in."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bondhook.errors import OutsideError
from bondhook.runtime import deadline_io, logsetup_io

log = logging.getLogger("bondhook")


def run(label: str, work: Callable[[], None]) -> int:
    """Run one hook's work; whatever happens is one line and the exit status is 0.
    `label` names the interface in those lines (already validated or quoted by the caller)."""
    deadline_io.start(deadline_io.HOOK_SECONDS)
    logsetup_io.setup(syslog=True)
    try:
        work()
    except OutsideError as exc:
        log.error("%s: %s; MAC left unchanged", label, exc)
    except Exception as exc:  # noqa: BLE001 - networking comes first; the line says what broke
        log.error("%s: internal error %s: %s; MAC left unchanged; please report it", label, type(exc).__name__, exc)
    return 0
