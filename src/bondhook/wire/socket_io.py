"""The wire edge of `bondhook check`: one packet socket per bond, a bounded listen, one probe.

The socket is bound to the bond (ETH_P_ALL, so frames this host sends show as PACKET_OUTGOING)
and never asks for promiscuous mode: it sees what the bond receives anyway. PACKET_AUXDATA gives
the VLAN id the kernel took out of a tagged frame. Sockets are closed on every path, and the
whole check ends when its one deadline does, however many bonds it watches.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bondhook.errors import OutsideError
from bondhook.rules.mac import Mac
from bondhook.wire import frames

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
_AUXDATA = struct.Struct("IIIHHHH")
SNAPLEN = 2048
SAMPLES = 5


class WireError(OutsideError):
    """A bond could not be watched; str() says why and what to do."""


@dataclass
class Watch:
    """What one bond's check saw: counts by kind, the first twin frames, and whether it probed."""

    bond: str
    watched: frozenset[Mac]
    received: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[float, frames.Seen]] = field(default_factory=list)
    probes: int = 0

    def note(self, seen: frames.Seen, at: float) -> None:
        self.received += 1
        self.counts[seen.kind] = self.counts.get(seen.kind, 0) + 1
        if seen.kind == frames.TWIN and len(self.samples) < SAMPLES:
            self.samples.append((at, seen))


def _open(bond: str) -> socket.socket:
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    except PermissionError as exc:
        raise WireError("a packet socket needs root (CAP_NET_RAW); run it as root") from exc
    try:
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        sock.bind((bond, ETH_P_ALL))
    except OSError as exc:
        sock.close()
        raise WireError(f"cannot listen on {bond}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    return sock


def _vlan(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
            status, _, _, _, _, tci, _ = _AUXDATA.unpack_from(data)
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0x0FFF
    return None


def _drain(sock: socket.socket, watch: Watch, sent: frames.SentFrames, began: float) -> None:
    """Every frame waiting on the socket, classified; frames this host sent are remembered."""
    while True:
        try:
            data, ancillary, _, address = sock.recvmsg(SNAPLEN, socket.CMSG_SPACE(_AUXDATA.size))
        except BlockingIOError:
            return
        vlan = _vlan(ancillary)
        pkttype = address[2]
        if pkttype == frames.PACKET_OUTGOING:
            sent.add(data, vlan)
        watch.note(frames.classify(data, pkttype, watch.watched, sent, vlan), time.monotonic() - began)


def check(targets: Sequence[tuple[str, frozenset[Mac]]], seconds: float, probe: bool) -> list[Watch]:
    """Listen on every bond for `seconds`; with `probe`, send one probe per watched MAC halfway
    through, so that two clones checking at the same moment also see each other's probe."""
    sockets: dict[socket.socket, tuple[Watch, frames.SentFrames]] = {}
    began = time.monotonic()
    end, half = began + seconds, began + seconds / 2
    try:
        for bond, macs in targets:
            sockets[_open(bond)] = (Watch(bond, macs), frames.SentFrames())
        probed = not probe
        while (left := end - time.monotonic()) > 0:
            if not probed and time.monotonic() >= half:
                for sock, (watch, sent) in sockets.items():
                    for mac in sorted(watch.watched):
                        frame = frames.probe(mac, os.urandom(8))
                        sent.add(frame)
                        sock.send(frame)
                        watch.probes += 1
                probed = True
            wait = min(left, max(half - time.monotonic(), 0.0)) if not probed else left
            ready, _, _ = select.select(list(sockets), [], [], wait)
            for sock in ready:
                _drain(sock, *sockets[sock], began)
    except OSError as exc:
        raise WireError(f"listening failed: {exc.strerror or exc}") from exc
    finally:
        for sock in sockets:
            sock.close()
    return [watch for watch, _ in sockets.values()]
