"""`check`'s socket edge keeps its bound and its sockets, on this host's loopback (listen only:
nothing is sent here; the probe is sent in the lab's guests)."""

import os
import time

import pytest

from bondhook.rules.mac import Mac
from bondhook.wire import socket_io

WATCHED = frozenset({Mac.parse("02:54:00:c8:76:09")})


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_listen_ends_at_its_bound_and_closes_its_socket():
    before = open_fds()
    began = time.monotonic()
    try:
        [watch] = socket_io.check([("lo", WATCHED)], 0.5, probe=False)
    except socket_io.WireError as exc:  # not root: the one line says so, and nothing stays open
        assert "needs root" in str(exc)
    else:
        assert watch.bond == "lo" and watch.probes == 0
        assert 0.5 <= time.monotonic() - began < 1.5
    assert open_fds() == before


def test_a_bond_that_cannot_be_watched_closes_every_socket_already_open():
    before = open_fds()
    with pytest.raises(socket_io.WireError) as error:
        socket_io.check([("lo", WATCHED), ("nosuch0", WATCHED)], 5, probe=False)
    assert "cannot listen on nosuch0" in str(error.value) or "needs root" in str(error.value)
    assert open_fds() == before
