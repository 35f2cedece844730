"""Whether a bond lost the MAC its activation's pre-up left it with, and the line that says so.
Pure: the record, the kernel's view of the bond and its ports come in as plain values.

bondhook acts again only on what the kernel did by itself (addr_assign_type, NET_ADDR_* in
include/uapi/linux/netdevice.h): a random MAC, given when the bond's last port left, or a port's,
taken when that port joined a bond with none. A MAC another program set is that program's."""

from __future__ import annotations

RANDOM = "1"
STOLEN = "2"


def again(record: tuple[int, str] | None, ifindex: int | None, address: str | None, assigned: str | None) -> str | None:
    """The MAC to give the bond again: the record's, when the record was written for this very
    bond (its ifindex), the bond carries another MAC, and the kernel chose that one."""
    if record is None or ifindex != record[0] or address is None or address == record[1]:
        return None
    return record[1] if assigned in (RANDOM, STOLEN) else None


def cause(assigned: str | None, port: str | None) -> str:
    """Why the bond carries another MAC: `port` is the port whose permanent MAC it is, if any."""
    if assigned == RANDOM:
        return "the kernel gave it a random one when its last port left"
    if port is not None:
        return f"port {port} gave it its own when it joined the bond with no other port"
    return "a port gave it its MAC when it joined the bond with no other port"


def line(bond: str, address: str, mac: str, why: str) -> str:
    """The one line for a bond set again (after the change was read back)."""
    return f"{bond}: MAC was {address}, not the {mac} its activation's pre-up left it with ({why}); set {mac} again"
