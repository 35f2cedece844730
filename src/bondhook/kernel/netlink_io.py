"""The netlink edge: create a bond with its final MAC in one RTM_NEWLINK, with pyroute2.

Only this needs netlink (facts and address changes go through `sysfs_io`). Works with Debian
bookworm's pyroute2 0.7.2 and with 0.9.x: both accept `link('add', ...)`. pyroute2 is imported
here, lazily, so that a missing library is one clear KernelError on the boot path.
"""

from __future__ import annotations

import os

from bondhook.kernel import sysfs_io
from bondhook.kernel.sysfs_io import KernelError
from bondhook.rules.mac import Mac
from bondhook.rules.text import decode
from bondhook.runtime import deadline_io

EEXIST = 17


def load_bonding() -> None:
    """Load the bonding driver without its default bond0, before a bond is created by netlink.

    Without max_bonds=0 the module load triggered by the first `ip link add type bond` makes a
    bond0 of its own with a random MAC, which udev then races to rewrite.
    """
    if os.path.isdir("/sys/module/bonding"):
        return
    try:
        result = deadline_io.run(["modprobe", "-q", "--", "bonding", "max_bonds=0"], "modprobe bonding")
    except FileNotFoundError as exc:
        raise KernelError("modprobe not found; install kmod") from exc
    if result.returncode != 0:
        reason = decode(result.stderr).strip() or f"exit status {result.returncode}"
        raise KernelError(f"modprobe bonding failed: {reason}")


def create_bond(name: str, address: Mac) -> None:
    """Create the bond with its final MAC in the same RTM_NEWLINK, so it never has another:
    the kernel marks it as set from userspace, which udev respects and enslavement keeps.
    Read back, as every change is."""
    load_bonding()
    try:
        with deadline_io.paused():
            from pyroute2 import IPRoute, NetlinkError
    except ImportError as exc:
        raise KernelError(f"pyroute2 is not importable ({exc}); install python3-pyroute2") from exc
    try:
        with IPRoute() as ipr:
            ipr.link("add", ifname=name, kind="bond", address=str(address))
    except NetlinkError as exc:
        raise KernelError(f"netlink error {exc.code}: {os.strerror(exc.code)}", exc.code) from exc
    except OSError as exc:
        raise KernelError(f"netlink unavailable: {exc}") from exc
    sysfs_io.check_kept(name, str(address))
