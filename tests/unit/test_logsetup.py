"""Logging never blocks, never prints a traceback, and every line is one bounded line."""

import logging
import socket
import subprocess
import sys
import time

import pytest

from bondhook.runtime import logsetup_io

log = logging.getLogger("bondhook")


def test_a_full_syslog_queue_never_blocks(tmp_path, capsys):
    """A syslog socket nobody reads (the daemon hung): the kernel queues ten datagrams, then a
    blocking send would wait for ever."""
    path = str(tmp_path / "log")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    listener.bind(path)
    try:
        logsetup_io.setup(syslog=True, syslog_socket=path)
        start = time.monotonic()
        for i in range(500):
            log.info("line %d %s", i, "x" * 500)
        assert time.monotonic() - start < 5
    finally:
        listener.close()
        logsetup_io.setup()
    assert len(capsys.readouterr().err.splitlines()) == 500  # stderr still has every line


def test_no_syslog_daemon_leaves_stderr(tmp_path, capsys):
    logsetup_io.setup(syslog=True, syslog_socket=str(tmp_path / "nothing-here"))
    log.error("bond0: something")
    logsetup_io.setup()
    assert capsys.readouterr().err == "bondhook: bond0: something\n"


def test_huge_and_multiline_values_are_one_bounded_line(tmp_path, capsys):
    path = str(tmp_path / "log")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    try:
        logsetup_io.setup(syslog=True, syslog_socket=path)
        log.error("bond0: value %s", "v" * 100_000 + "\nbondhook: forged line")
        received = listener.recv(65536).decode()
    finally:
        listener.close()
        logsetup_io.setup()
    [line] = capsys.readouterr().err.splitlines()
    assert len(line) < 1100 and line.endswith("more characters)")
    assert received.startswith("<27>bondhook: bond0: value vvv") and "\n" not in received


@pytest.mark.system
def test_a_bad_format_or_a_closed_stderr_is_no_traceback():
    """In a process of its own: pytest's capture handler fails the test on a bad record."""
    code = (
        "import logging, sys; from bondhook.runtime import logsetup_io; logsetup_io.setup(syslog=True);"
        "log = logging.getLogger('bondhook'); log.error('%s %s', 'only one argument');"
        "sys.stderr.close(); log.error('after close')"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")


def test_library_warnings_are_one_line_without_traceback(capsys):
    logsetup_io.setup()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.warning("a message handler threw an exception on shutdown", exc_info=True)
    assert capsys.readouterr().err == "bondhook: a message handler threw an exception on shutdown\n"
