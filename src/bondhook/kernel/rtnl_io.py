"""The rtnetlink edge for alternative names, permanent addresses and IPv4 addresses: one dump on a raw socket (no
library to import on the boot path; `_socket`, as `sysfs_io`, for the same reason), every read bounded."""

from __future__ import annotations

import _socket

from bondhook.kernel.errors import KernelError
from bondhook.kernel.rtnl import DumpError, addr_request, dump_request, ipv4, links

NETLINK_ROUTE = 0
_READ = 1 << 16


def read_links(timeout: float) -> dict[int, tuple[tuple[str, ...], bytes | None]]:
    """Link index -> (alternative names, permanent address or None), for every link; KernelError
    when the kernel does not say (within `timeout` seconds per read)."""
    seq = 1
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, NETLINK_ROUTE)
    try:
        sock.settimeout(timeout)
        sock.sendall(dump_request(seq))
        found: dict[int, tuple[tuple[str, ...], bytes | None]] = {}
        done = False
        while not done:
            part, done = links(sock.recv(_READ), seq)
            found.update(part)
        return found
    except (OSError, DumpError) as exc:
        raise KernelError(f"reading the kernel's links failed: {exc}") from exc
    finally:
        sock.close()


def read_altnames(timeout: float) -> dict[int, tuple[str, ...]]:
    """Link index -> alternative names, for every link."""
    return {index: names for index, (names, _perm) in read_links(timeout).items()}


def read_ipv4(timeout: float) -> dict[int, tuple[bytes, ...]]:
    """Link index -> its IPv4 addresses (4 bytes each), for every link that has one."""
    seq = 2
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, NETLINK_ROUTE)
    try:
        sock.settimeout(timeout)
        sock.sendall(addr_request(seq))
        found: dict[int, tuple[bytes, ...]] = {}
        done = False
        while not done:
            part, done = ipv4(sock.recv(_READ), seq)
            for index, address in part:
                found[index] = (*found.get(index, ()), address)
        return found
    except (OSError, DumpError) as exc:
        raise KernelError(f"reading the kernel's IPv4 addresses failed: {exc}") from exc
    finally:
        sock.close()
