"""The rtnetlink edge for alternative names, permanent addresses and IPv4 addresses: one dump on a raw socket (no
library to import on the boot path; `_socket`, as `sysfs_io`, for the same reason), every read bounded."""

from __future__ import annotations

import _socket

from bondhook.kernel.errors import KernelError
from bondhook.kernel.rtnl import DumpError, addr_request, dump_request, ipv4, links

NETLINK_ROUTE = 0
_READ = 1 << 16
TYPE_CHECKING = False  # typing's own flag would import typing on the boot unit's steady path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


def _dump(
    request: Callable[[int], bytes], parse: Callable[[bytes, int], tuple[T, bool]], what: str, timeout: float
) -> list[T]:
    """Each read's part of one dump on a socket of its own, every read bounded by `timeout`;
    KernelError naming `what` when the kernel does not say."""
    seq = 1
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, NETLINK_ROUTE)
    try:
        sock.settimeout(timeout)
        sock.sendall(request(seq))
        parts = []
        done = False
        while not done:
            part, done = parse(sock.recv(_READ), seq)
            parts.append(part)
        return parts
    except (OSError, DumpError) as exc:
        raise KernelError(f"reading the kernel's {what} failed: {exc}") from exc
    finally:
        sock.close()


def read_links(timeout: float) -> dict[int, tuple[tuple[str, ...], bytes | None]]:
    """Link index -> (alternative names, permanent address or None), for every link; KernelError
    when the kernel does not say (within `timeout` seconds per read)."""
    found: dict[int, tuple[tuple[str, ...], bytes | None]] = {}
    for part in _dump(dump_request, links, "links", timeout):
        found.update(part)
    return found


def read_altnames(timeout: float) -> dict[int, tuple[str, ...]]:
    """Link index -> alternative names, for every link."""
    return {index: names for index, (names, _perm) in read_links(timeout).items()}


def read_ipv4(timeout: float) -> dict[int, tuple[bytes, ...]]:
    """Link index -> its IPv4 addresses (4 bytes each), for every link that has one."""
    found: dict[int, tuple[bytes, ...]] = {}
    for part in _dump(addr_request, ipv4, "IPv4 addresses", timeout):
        for index, address in part:
            found[index] = (*found.get(index, ()), address)
    return found
