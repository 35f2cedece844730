"""The boot unit's steady state: networkd's configuration (bondhook's drop-ins included), the links
and udev's view of them byte for byte as they were at the last full run that found nothing to
change, before and after it decided. The decision is a function of exactly those inputs, so it
would again change nothing and say nothing: the unit ends there, having imported no logging, no
dataclasses, no library (its cost is in docs/benchmarks.md). Anything else, a link renamed or a
comment added, runs the full decision. The record lives in the unit's StateDirectory.
"""

from __future__ import annotations

import os

from bondhook import __version__
from bondhook.kernel import rtnl_io
from bondhook.kernel.errors import KernelError
from bondhook.networkd.dirs import NETWORK_DIRS
from bondhook.runtime import atomic_io

STATE_DIR = "/var/lib/bondhook"
STATE = "networkd-steady"
UDEV_DATA = "/run/udev/data"
SYS_NET = "/sys/class/net"
_LIMIT = 1 << 20
_TIMEOUT = 2.0


def _file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(_LIMIT)
    except OSError as exc:
        return f"<{exc.errno}>".encode()


def _tree(path: str, depth: int = 0) -> list[bytes]:
    """Every entry under a configuration directory (drop-in directories one level down): its
    name, where a link points, and a file's bytes."""
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        return [f"{path} <{exc.errno}>".encode()]
    found = []
    for name in names:
        full = os.path.join(path, name)
        found.append(full.encode("utf-8", "surrogateescape"))
        if os.path.islink(full):
            found.append(os.readlink(full).encode("utf-8", "surrogateescape"))
        if os.path.isdir(full):
            found.extend(_tree(full, depth + 1) if depth == 0 else [b"<dir>"])
        else:
            found.append(_file(full))
    return found


def _links() -> list[bytes]:
    """Each link as sysfs and udev's database show it, with its alternative names and permanent
    address from one rtnetlink dump."""
    found = []
    for name in sorted(os.listdir(SYS_NET)):
        base = f"{SYS_NET}/{name}"
        index = _file(f"{base}/ifindex").strip().decode(errors="replace")
        master = os.path.realpath(f"{base}/master") if os.path.islink(f"{base}/master") else ""
        found += [name.encode("utf-8", "surrogateescape"), index.encode(), _file(f"{base}/address")]
        found += [_file(f"{base}/uevent"), master.encode()]
        found.append(b"udev" if os.path.exists(f"{UDEV_DATA}/n{index}") else b"-")
    for index, (names, perm) in sorted(rtnl_io.read_links(_TIMEOUT).items()):
        found.append(f"{index}:{' '.join(names)}".encode("utf-8", "surrogateescape") + b"=" + (perm or b"-"))
    return found


def inputs(dirs: tuple[str, ...] = NETWORK_DIRS) -> bytes | None:
    """Everything the decision reads, as one record; None when the kernel does not list the links."""
    try:
        links = _links()
    except (OSError, KernelError):
        return None
    parts = [__version__.encode(), *(item for d in dirs for item in _tree(d)), b"--links--", *links]
    return b"\0".join(len(part).to_bytes(4, "big") + part for part in parts)


def unchanged(state_dir: str = STATE_DIR, dirs: tuple[str, ...] = NETWORK_DIRS) -> bool:
    """Whether the inputs are the recorded ones of the last steady full run."""
    now = inputs(dirs)
    return now is not None and _file(os.path.join(state_dir, STATE)) == now


def record(record: bytes | None, state_dir: str = STATE_DIR) -> None:
    """Keep `record` for the next boot (atomically, through no symbolic link); None forgets it.
    OSError when it cannot: the next boot then runs in full, nothing worse."""
    if not os.path.lexists(state_dir):
        os.mkdir(state_dir, 0o755)
    directory = atomic_io.open_dir(state_dir)
    try:
        if record is not None:
            atomic_io.replace(directory, STATE, record)
        elif os.path.lexists(os.path.join(state_dir, STATE)):
            os.unlink(STATE, dir_fd=directory)
    finally:
        os.close(directory)
