"""The wire edge of `bondhook check`: one packet socket per bond, a bounded listen, two rounds of probes.

Each socket carries a filter (`bpf`) that passes only frames whose source is one of its bond's
watched MACs, attached before the socket is bound, so a flood of other frames never reaches
Python; whatever the kernel still had to drop for want of room is read from PACKET_STATISTICS
and makes that bond's answer "could not check", never "no twin". The socket is bound to the bond
(ETH_P_ALL, so frames this host sends show as PACKET_OUTGOING) and never asks for promiscuous
mode. PACKET_AUXDATA gives the VLAN id the kernel took out of a tagged frame.

One record of sent frames serves every socket: a frame this host sent out of one bond that a
switch floods back onto another is recognised. A received frame from a watched MAC that is not in
the record is held until every socket has been read past the moment it arrived (its sent copy,
if any, was queued first), then counted as a twin's. Every loop ends at the one deadline; each
wake-up reads at most READ_CAP frames per socket. A socket that fails (its link went down, its
device went away) ends its own bond's check; the others go on.
"""

from __future__ import annotations

import ctypes
import os
import select
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bondhook.errors import OutsideError
from bondhook.rules.mac import Mac
from bondhook.rules.stack import Carrier
from bondhook.wire import bpf, frames

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
TP_STATUS_VLAN_VALID = 0x10
_AUXDATA = struct.Struct("IIIHHHH")
_STATS = struct.Struct("II")  # struct tpacket_stats: frames that passed the filter (drops included), drops
SNAPLEN = 2048
RCVBUF = 4 << 20
READ_CAP = 256
FINAL_ROUNDS = 3
PENDING_MAX = 65536
SO_TIMESTAMPNS = SCM_TIMESTAMPNS = 35
_TIMESPEC = struct.Struct("qq")
_ANCILLARY = socket.CMSG_SPACE(_AUXDATA.size) + socket.CMSG_SPACE(_TIMESPEC.size)
SAMPLES = 5
ANSWER_TIME = 1.0  # the last round of probes goes out this long before the end, for the answers


class WireError(OutsideError):
    """No bond can be watched (no packet socket at all); str() says why and what to do."""


@dataclass(frozen=True)
class Target:
    """One bond to check: the MACs to watch and the devices whose addresses the probes ask for."""

    bond: str
    watched: frozenset[Mac]
    carriers: tuple[Carrier, ...] = ()


@dataclass
class Watch:
    """What one bond's check saw: counts by kind, the first twin frames, the probes it sent, what
    the kernel dropped, frames left undecided, and why it failed if it did."""

    bond: str
    watched: frozenset[Mac]
    received: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[float, frames.Seen]] = field(default_factory=list)
    probes: int = 0
    passed: int = 0
    kernel_drops: int = 0
    undecided: int = 0
    error: str | None = None

    def note(self, seen: frames.Seen, at: float) -> None:
        self.received += 1
        self.counts[seen.kind] = self.counts.get(seen.kind, 0) + 1
        if seen.kind == frames.TWIN and len(self.samples) < SAMPLES:
            self.samples.append((at, seen))


class _Unwatchable(OSError):
    """One bond cannot be watched: its own answer, the others go on."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _open(bond: str, watched: frozenset[Mac]) -> socket.socket:
    """A non-blocking packet socket on `bond` that sees only frames from `watched` MACs: protocol 0
    receives nothing until bound, so no frame slips in before the filter."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except PermissionError as exc:
        raise WireError("a packet socket needs root (CAP_NET_RAW); run it as root") from exc
    try:
        program = ctypes.create_string_buffer(bpf.source_filter(watched, SNAPLEN))
        fprog = struct.pack("HL", bpf.length(program.raw), ctypes.addressof(program))
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind((bond, ETH_P_ALL))
    except OSError as exc:
        sock.close()
        raise _Unwatchable(f"{bond}: cannot listen on it: {_reason(exc)}") from exc
    sock.setblocking(False)
    return sock


def _vlan(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
            status, _, _, _, _, tci, _ = _AUXDATA.unpack_from(data)
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0x0FFF
    return None


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    """The kernel's receive time of a frame (SO_TIMESTAMPNS, wall clock), if it gave one."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return seconds + nanoseconds / 1e9
    return None


@dataclass
class _Candidate:
    """A received frame from a watched MAC, not (yet) known as this host's own come back."""

    watch: Watch
    seen: frames.Seen
    key: tuple[int | None, bytes]
    at: float
    stamp: float


class _Listen:
    """The sockets of one check, their shared record of sent frames and the frames still undecided.

    A candidate (a received frame from a watched MAC not in the record) is judged once every socket
    has been read past the moment it arrived: its sent copy, if it is one of ours come back, left
    before it arrived and was queued on its socket first. A socket's mark is that moment: the
    kernel's time of the last frame read from it, or the time just before a read found it empty."""

    def __init__(self, began: float) -> None:
        self.began = began
        self.live: dict[socket.socket, Watch] = {}
        self.marks: dict[socket.socket, float] = {}
        self.sent = frames.SentFrames()
        self.candidates: list[_Candidate] = []

    def fail(self, sock: socket.socket, why: str) -> None:
        watch = self.live.pop(sock)
        watch.error = f"{watch.bond}: {why}"
        self.close(sock, watch)

    def close(self, sock: socket.socket, watch: Watch) -> None:
        self.marks.pop(sock, None)
        try:
            packets, drops = _STATS.unpack(sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size))
            watch.passed += packets
            watch.kernel_drops += drops
        except OSError as exc:
            watch.error = watch.error or f"{watch.bond}: the kernel's drop counter could not be read: {_reason(exc)}"
        sock.close()

    def send(self, sock: socket.socket, probes: Sequence[bytes]) -> None:
        watch = self.live[sock]
        for frame in probes:
            self.sent.add(frame)
            try:
                sock.send(frame)
            except OSError as exc:
                self.fail(sock, f"a probe could not be sent ({_reason(exc)}); the link may have gone down")
                return
            watch.probes += 1

    def read(self) -> int:
        """One round: at most READ_CAP frames from every socket, this host's frames recorded before
        any received one is judged, then the candidates every socket has been read past judged.
        How many frames were read."""
        batch: list[tuple[Watch, bytes, int | None, int, float]] = []
        for sock, watch in list(self.live.items()):
            for _ in range(READ_CAP):
                before = time.time()
                try:
                    data, ancillary, _, address = sock.recvmsg(SNAPLEN, _ANCILLARY)
                except BlockingIOError:
                    self.marks[sock] = before
                    break
                except OSError as exc:
                    self.fail(sock, f"{_reason(exc)} while listening (the link went down or away)")
                    break
                stamp = _stamp(ancillary)
                # a frame without the kernel's time counts as arrived when it was read: later than it did
                self.marks[sock] = max(self.marks.get(sock, 0.0), stamp or 0.0)
                batch.append((watch, data, _vlan(ancillary), address[2], stamp or before))
        for _, data, vlan, pkttype, _ in batch:
            if pkttype == frames.PACKET_OUTGOING:
                self.sent.add(data, vlan)
        at = time.monotonic() - self.began
        for watch, data, vlan, pkttype, stamp in batch:
            seen = frames.classify(data, pkttype, watch.watched, self.sent, vlan)
            if seen.kind == frames.TWIN:
                self.candidates.append(_Candidate(watch, seen, frames.normal(data, vlan), at, stamp))
            else:
                watch.note(seen, at)
        self.settle()
        return len(batch)

    def settle(self) -> None:
        """Judge the candidates every socket has been read past: still not in the record, a twin's.
        Beyond PENDING_MAX (a host that cannot keep up), the oldest are counted as undecided."""
        mark = min(self.marks.get(sock, 0.0) for sock in self.live) if self.live else float("inf")
        keep = []
        for candidate in self.candidates:
            if candidate.stamp >= mark:
                keep.append(candidate)
                continue
            kind = frames.LOOPED if candidate.key in self.sent else frames.TWIN
            candidate.watch.note(replace(candidate.seen, kind=kind), candidate.at)
        for candidate in keep[:-PENDING_MAX]:
            candidate.watch.undecided += 1
        self.candidates = keep[-PENDING_MAX:]

    def finish(self) -> None:
        """The last rounds (a few, until one reads nothing), then every socket closed with its drop
        counter read. A frame still undecided is counted as such, never as a twin's."""
        for _ in range(FINAL_ROUNDS):
            if self.read() == 0:
                break
        for candidate in self.candidates:
            candidate.watch.undecided += 1
        self.candidates = []
        for sock, watch in list(self.live.items()):
            self.live.pop(sock)
            self.close(sock, watch)


def check(targets: Sequence[Target], seconds: float, probe: bool) -> list[Watch]:
    """Listen on every bond for `seconds`; with `probe`, send each bond's probes when the listen
    begins and again ANSWER_TIME before it ends, so that two clones checking at overlapping
    moments each see the other's probe, and a twin has time to answer. A bond that cannot be
    watched, or whose socket fails, gets its error; the others keep their results. WireError when
    no packet socket can be had at all (not root)."""
    began = time.monotonic()
    end = began + seconds
    listen = _Listen(began)
    watches = [Watch(target.bond, target.watched) for target in targets]
    carriers = {}
    try:
        for target, watch in zip(targets, watches, strict=True):
            try:
                sock = _open(target.bond, target.watched)
            except _Unwatchable as exc:
                watch.error = str(exc)
                continue
            listen.live[sock] = watch
            carriers[sock] = target.carriers
        due = [began, max(began, end - min(ANSWER_TIME, seconds / 2))] if probe else []
        while listen.live and (now := time.monotonic()) < end:
            if due and now >= due[0]:
                due.pop(0)
                nonce = os.urandom(8)
                for sock in list(listen.live):
                    listen.send(sock, frames.probes(carriers[sock], nonce))
                continue
            select.select(list(listen.live), [], [], min([end, *due[:1]]) - now)
            listen.read()
        listen.finish()
    finally:
        for sock in listen.live:
            sock.close()
    return watches
