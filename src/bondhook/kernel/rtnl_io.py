"""The rtnetlink edge for alternative names: one RTM_GETLINK dump on a raw socket (no library to
import on the boot path), bounded by the run's deadline."""

from __future__ import annotations

import socket

from bondhook.kernel.rtnl import DumpError, altnames, dump_request
from bondhook.kernel.sysfs_io import KernelError
from bondhook.runtime import deadline_io

NETLINK_ROUTE = 0
_READ = 1 << 16
_WHAT = "the kernel's list of links"


def read_altnames() -> dict[int, tuple[str, ...]]:
    """Link index -> alternative names, for every link; KernelError when the kernel does not say."""
    seq = 1
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as sock:
            sock.settimeout(deadline_io.remaining(_WHAT))
            sock.sendall(dump_request(seq))
            found: dict[int, tuple[str, ...]] = {}
            done = False
            while not done:
                sock.settimeout(deadline_io.remaining(_WHAT))
                part, done = altnames(sock.recv(_READ), seq)
                found.update(part)
            return found
    except (OSError, DumpError, deadline_io.Expired) as exc:
        raise KernelError(f"reading alternative names failed: {exc}") from exc
