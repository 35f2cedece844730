"""The socket filter `bondhook check` attaches: classic BPF that passes a frame only when its source
is one of the watched MACs, so that the kernel, not Python, sets aside every other frame on a busy
or flooded link. Pure: MACs in, the program's bytes out (`struct sock_filter` entries).

Each MAC is five instructions with jumps only within them (BPF jumps forward by at most 255), so
any number of MACs fits: load the source's first four bytes, compare, load its last two, compare,
pass; on a mismatch, on to the next MAC; after the last, drop. A frame too short for the loads is
dropped by the kernel, which is right: it cannot carry a watched source.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from bondhook.rules.mac import Mac

# linux/filter.h and linux/bpf_common.h
BPF_LD, BPF_JMP, BPF_RET = 0x00, 0x05, 0x06
BPF_W, BPF_H, BPF_ABS = 0x00, 0x08, 0x20
BPF_JEQ, BPF_K = 0x10, 0x00
_INSN = struct.Struct("=HBBI")  # code, jt, jf, k
SOURCE = 6  # offset of the source MAC in an Ethernet header


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return _INSN.pack(code, jt, jf, k)


def source_filter(macs: Iterable[Mac], snaplen: int) -> bytes:
    """The program: pass the first `snaplen` bytes of a frame whose source is in `macs`, drop the rest."""
    program = b""
    for mac in sorted(set(macs)):
        high, low = struct.unpack("!IH", bytes(mac.octets))
        program += _insn(BPF_LD | BPF_W | BPF_ABS, SOURCE)
        program += _insn(BPF_JMP | BPF_JEQ | BPF_K, high, jt=0, jf=3)
        program += _insn(BPF_LD | BPF_H | BPF_ABS, SOURCE + 4)
        program += _insn(BPF_JMP | BPF_JEQ | BPF_K, low, jt=0, jf=1)
        program += _insn(BPF_RET | BPF_K, snaplen)
    return program + _insn(BPF_RET | BPF_K, 0)


def length(program: bytes) -> int:
    """The number of instructions, as `struct sock_fprog` wants it."""
    return len(program) // _INSN.size
