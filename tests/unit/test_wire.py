"""`check`'s socket edge keeps its bound and its sockets, on this host's loopback (listen only:
nothing is sent here; the wire itself is tested in tests/native and the lab), and its filter
passes exactly the frames from the watched MACs."""

import os
import struct
import time

import pytest

from bondhook.rules.mac import Mac
from bondhook.wire import bpf, socket_io

WATCHED = frozenset({Mac.parse("02:54:00:c8:76:09")})


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_listen_ends_at_its_bound_and_closes_its_socket():
    before = open_fds()
    began = time.monotonic()
    try:
        [watch] = socket_io.check([socket_io.Target("lo", WATCHED)], 0.5, probe=False)
    except socket_io.WireError as exc:  # not root: the one line says so, and nothing stays open
        assert "needs root" in str(exc)
    else:
        assert (watch.bond, watch.probes, watch.error, watch.kernel_drops) == ("lo", 0, None, 0)
        assert 0.5 <= time.monotonic() - began < 1.5
    assert open_fds() == before


def test_a_bond_that_cannot_be_watched_gets_its_own_error_and_the_others_are_watched():
    before = open_fds()
    try:
        lo, gone = socket_io.check([socket_io.Target("lo", WATCHED), socket_io.Target("nosuch0", WATCHED)], 0.5, False)
    except socket_io.WireError as exc:
        assert "needs root" in str(exc)
    else:
        assert lo.error is None
        assert gone.error == "nosuch0: cannot listen on it: No such device"
    assert open_fds() == before


def run(program: bytes, frame: bytes) -> int:
    """A classic BPF interpreter for the instructions the filter uses: what the kernel would return."""
    insns = [struct.unpack_from("=HBBI", program, offset) for offset in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS:
            if k + 4 > len(frame):
                return 0
            acc = struct.unpack_from("!I", frame, k)[0]
        elif code == bpf.BPF_LD | bpf.BPF_H | bpf.BPF_ABS:
            if k + 2 > len(frame):
                return 0
            acc = struct.unpack_from("!H", frame, k)[0]
        elif code == bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K:
            pc += jt if acc == k else jf
        elif code == bpf.BPF_RET | bpf.BPF_K:
            return k
        else:
            pytest.fail(f"unexpected instruction {code:#x}")
        pc += 1


MACS = [Mac.parse(text) for text in ("02:54:00:c8:76:09", "02:54:00:c8:76:0a", "3a:8e:1c:5f:00:42")]


@pytest.mark.parametrize("count", [1, 3, 60])
def test_the_filter_passes_exactly_the_frames_from_watched_macs(count):
    watched = [Mac.from_bytes(bytes([2, 0, 0, 0, 0, n])) for n in range(count - len(MACS[:count]))] + MACS[:count]
    program = bpf.source_filter(watched, 2048)
    assert bpf.length(program) == 5 * len(set(watched)) + 1
    for mac in watched:
        assert run(program, b"\xff" * 6 + bytes(mac.octets) + b"\x08\x06" + bytes(28)) == 2048
    # same first four bytes or same last two as a watched MAC is not enough; nor is a short frame
    for near in ("02:54:00:c8:00:00", "00:00:00:00:76:09", "02:54:00:c8:76:08", "ff:ff:ff:ff:ff:ff"):
        assert run(program, b"\xff" * 6 + bytes(Mac.parse(near).octets) + b"\x08\x06") == 0
    assert run(program, b"\xff" * 6 + bytes(MACS[0].octets)[:5]) == 0
