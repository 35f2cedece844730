"""The kernel edge: read a fact snapshot over netlink and apply a plan, with pyroute2.

Works with Debian bookworm's pyroute2 0.7.2 and with 0.9.x: both give `get_links()` messages
with `get_attr`, and both accept `link('add'|'set', ...)`. pyroute2 is imported lazily so that a
missing library becomes one clear KernelError instead of a traceback on the boot path.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any, TypeVar

from bondhook.mac import Mac, parse_optional
from bondhook.plan import Facts, Link

T = TypeVar("T")

EEXIST = 17


class KernelError(Exception):
    """pyroute2 is missing or the kernel refused a request; str() is the reason and the fix."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


def _with_iproute(action: Callable[[Any], T]) -> T:
    try:
        from pyroute2 import IPRoute, NetlinkError
    except ImportError as exc:
        raise KernelError(f"pyroute2 is not importable ({exc}); install python3-pyroute2") from exc
    try:
        with IPRoute() as ipr:
            return action(ipr)
    except NetlinkError as exc:
        raise KernelError(f"netlink error {exc.code}: {os.strerror(exc.code)}", exc.code) from exc
    except OSError as exc:
        raise KernelError(f"netlink unavailable: {exc}") from exc


def _link(msg: Any, assign_types: bool) -> Link:
    info = msg.get_attr("IFLA_LINKINFO")
    kind = info.get_attr("IFLA_INFO_KIND") if info else None
    perm = parse_optional(msg.get_attr("IFLA_PERM_ADDRESS"))
    if perm is None and info and info.get_attr("IFLA_INFO_SLAVE_KIND") == "bond":
        # Older kernels and drivers without IFLA_PERM_ADDRESS: the bond keeps each port's
        # original address in its slave data, the only copy once the bond rewrote the port's MAC.
        slave = info.get_attr("IFLA_INFO_SLAVE_DATA")
        perm = parse_optional(slave.get_attr("IFLA_BOND_SLAVE_PERM_HWADDR") if slave else None)
    if perm is not None and perm.is_zero:
        perm = None
    name = msg.get_attr("IFLA_IFNAME")
    return Link(
        name=name,
        index=msg["index"],
        kind=kind,
        address=parse_optional(msg.get_attr("IFLA_ADDRESS")),
        perm_address=perm,
        master=msg.get_attr("IFLA_MASTER"),
        addr_assign_type=_addr_assign_type(name) if assign_types and kind == "bond" else None,
    )


def _addr_assign_type(name: str) -> int | None:
    """Where a bond's MAC came from (random, stolen, set). The kernel exports this only in
    sysfs, not over netlink, so `status` reads it there, for bonds only."""
    try:
        with open(f"/sys/class/net/{name}/addr_assign_type", encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def read_facts(assign_types: bool = False) -> Facts:
    """Every link in one netlink dump."""
    return Facts(tuple(_with_iproute(lambda ipr: [_link(msg, assign_types) for msg in ipr.get_links()])))


def load_bonding() -> None:
    """Load the bonding driver without its default bond0, before a bond is created by netlink.

    Without max_bonds=0 the module load triggered by the first `ip link add type bond` makes a
    bond0 of its own with a random MAC, which udev then races to rewrite.
    """
    if os.path.isdir("/sys/module/bonding"):
        return
    result = subprocess.run(
        ["modprobe", "-q", "bonding", "max_bonds=0"], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        raise KernelError(f"modprobe bonding failed: {result.stderr.strip() or result.returncode}")


def create_bond(name: str, address: Mac) -> None:
    """Create the bond with its final MAC in the same RTM_NEWLINK, so it never has another:
    the kernel marks it as set from userspace, which udev respects and enslavement keeps."""
    load_bonding()
    _with_iproute(lambda ipr: ipr.link("add", ifname=name, kind="bond", address=str(address)))


def set_address(name: str, address: Mac) -> None:
    """Change an existing link's MAC in place (no down/up: ports and LACP stay as they are)."""

    def change(ipr: Any) -> None:
        found = ipr.link_lookup(ifname=name)
        if not found:
            raise KernelError(f"{name} vanished", 19)
        ipr.link("set", index=found[0], address=str(address))

    _with_iproute(change)
