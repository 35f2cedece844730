"""Logging for every entry point: one line per event, to stderr and, for hooks, to syslog."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable

from bondhook.plan import Message

SYSLOG_SOCKET = "/dev/log"


def setup(verbose: bool = False, syslog: bool = False) -> None:
    """stderr carries every line (ifupdown and NM's dispatcher put it in the journal); hooks
    also send to syslog so that a boot-time problem is found where admins look for it."""
    root = logging.getLogger("bondhook")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.handlers.clear()
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("bondhook: %(message)s"))
    root.addHandler(stderr)
    if syslog and os.path.exists(SYSLOG_SOCKET):
        from logging.handlers import SysLogHandler  # only hooks log to syslog: the CLI skips this import

        try:
            handler = SysLogHandler(address=SYSLOG_SOCKET)
        except OSError:
            return  # no syslog daemon listening: stderr still has the line
        handler.setFormatter(logging.Formatter("bondhook: %(message)s"))
        root.addHandler(handler)


def emit(messages: Iterable[Message], dry_run: bool = False) -> None:
    """Log a plan's lines; under a dry run, outcome lines say that nothing was done."""
    log = logging.getLogger("bondhook")
    for message in messages:
        prefix = "dry run, not done: " if dry_run and message.level < logging.WARNING else ""
        log.log(message.level, "%s%s", prefix, message.text)
