"""Logging for every entry point: one line per event, to stderr and, for hooks, to syslog.

Logging must never hold up ifup or an activation and never print a traceback: every line is
escaped and bounded (`text.one_line`), syslog gets datagrams sent without waiting (a full queue
drops the line; stderr still has it), and a handler that fails stays silent.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Iterable

from bondhook.rules.plan import Message
from bondhook.rules.text import one_line

SYSLOG_SOCKET = "/dev/log"
SYSLOG_DAEMON = 3 << 3  # facility "daemon", as ifupdown's and NM's own lines
_SEVERITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
PREFIX = "bondhook: "


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return PREFIX + one_line(record.getMessage())


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    def handleError(self, record: logging.LogRecord) -> None:
        """A closed or broken stderr loses the line; it never becomes a traceback."""


class _Syslog(logging.Handler):
    """RFC 3164 lines to a local datagram socket, sent with MSG_DONTWAIT: when syslog is slow or
    stopped the line is dropped instead of blocking (the stdlib handler blocks, then retries
    on a new blocking socket, then prints a traceback)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock

    def emit(self, record: logging.LogRecord) -> None:
        priority = SYSLOG_DAEMON | _SEVERITY.get(record.levelno, 6)
        try:
            self.sock.send(f"<{priority}>{self.format(record)}".encode(errors="replace"), socket.MSG_DONTWAIT)
        except (OSError, ValueError, TypeError):
            pass  # queue full or daemon gone (stderr has the line), or a line that cannot be formatted

    def close(self) -> None:
        self.sock.close()
        super().close()


_OURS = (_Stderr, _Syslog)


def _syslog_socket(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None  # no syslog daemon, or not a datagram socket: stderr still has the line
    return sock


def setup(verbose: bool = False, syslog: bool = False, syslog_socket: str = SYSLOG_SOCKET) -> None:
    """stderr carries every line (ifupdown and NM's dispatcher put it in the journal); hooks
    also send to syslog so that a boot-time problem is found where admins look for it. The
    handlers sit on the root logger, so that a library's warning (dbus-next logs some with a
    traceback) is one line too, never Python's last-resort traceback."""
    logging.getLogger("bondhook").setLevel(logging.DEBUG if verbose else logging.INFO)
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    for handler in [h for h in root.handlers if isinstance(h, _OURS)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [_Stderr(sys.stderr)]
    sock = _syslog_socket(syslog_socket) if syslog else None
    if sock is not None:
        handlers.append(_Syslog(sock))
    for handler in handlers:
        handler.setFormatter(_OneLine())
        root.addHandler(handler)


def emit(messages: Iterable[Message], dry_run: bool = False) -> None:
    """Log a plan's lines; under a dry run, outcome lines say that nothing was done."""
    log = logging.getLogger("bondhook")
    for message in messages:
        prefix = "dry run, not done: " if dry_run and message.level < logging.WARNING else ""
        log.log(message.level, "%s%s", prefix, message.text)
