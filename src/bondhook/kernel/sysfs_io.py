"""The kernel edge that needs no library: links as sysfs shows them, permanent addresses by one
ethtool ioctl each, and address changes by ioctl, each read back.

Why not pyroute2 here: importing it costs ~0.3 s natively (11 s under the lab's TCG), and
NetworkManager's dispatcher runs one script at a time for the whole host, so every activation of
every device waits for it. What a decision needs from the kernel is small: names, indexes,
current and permanent addresses, bond membership. sysfs has all of it but the permanent address,
which ETHTOOL_GPERMADDR returns (the same dev->perm_addr as netlink's IFLA_PERM_ADDRESS). Only
creating a bond with its address in the same request needs netlink (`netlink.create_bond`).

Light on purpose: the steady-state dispatcher imports this (addresses are text here, as sysfs
writes them); the fact snapshot for the full decision is built by `read_facts`, which loads the
value types only when called. `_socket` rather than `socket`: the latter's enums add 4 ms, a
third of a Python start, to every bond activation.
"""

from __future__ import annotations

import _socket
import array
import fcntl
import os
import struct

from bondhook.kernel.errors import KernelError
from bondhook.rules.text import decode

TYPE_CHECKING = False  # typing's own flag would import typing: 3 ms more per activation
if TYPE_CHECKING:
    from bondhook.rules.plan import Facts

SYS_NET = "/sys/class/net"
PROC_BONDING = "/proc/net/bonding"
PROC_IF_INET6 = "/proc/net/if_inet6"
PROC_VLAN = "/proc/net/vlan/config"
SIOCETHTOOL = 0x8946
SIOCSIFHWADDR = 0x8924
ETHTOOL_GPERMADDR = 0x20
ARPHRD_ETHER = 1
IFREQ_SIZE = 40
_PERM_BUFFER = 32  # MAX_ADDR_LEN
_ZERO = "00:00:00:00:00:00"


def read(path: str) -> str | None:
    """One sysfs or procfs value; None when the link went away or the file is unreadable."""
    try:
        with open(path, "rb") as handle:
            return decode(handle.read()).strip()
    except OSError:
        return None


def _ifreq(name: str, payload: bytes) -> bytes:
    return (os.fsencode(name)[:15].ljust(16, b"\0") + payload).ljust(IFREQ_SIZE, b"\0")


def _ioctl(request: int, name: str, payload: bytes) -> None:
    """One ioctl on a datagram socket opened for it (sockets are cheap; contextlib is not)."""
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(sock.fileno(), request, _ifreq(name, payload))
    finally:
        sock.close()


def _text(raw: bytes) -> str | None:
    return ":".join(f"{octet:02x}" for octet in raw) if len(raw) == 6 else None


def perm_raw(name: str) -> bytes | None:
    """ETHTOOL_GPERMADDR as the kernel answers it (all-zero for a virtual link); None when the
    link is gone or the kernel refuses."""
    request = array.array("B", struct.pack("II", ETHTOOL_GPERMADDR, _PERM_BUFFER) + bytes(_PERM_BUFFER))
    try:
        _ioctl(SIOCETHTOOL, name, struct.pack("P", request.buffer_info()[0]))
    except OSError:
        return None
    size = struct.unpack_from("I", request, 4)[0]
    return bytes(request[8 : 8 + min(size, _PERM_BUFFER)])


def _perm_text(raw: bytes | None) -> str | None:
    text = _text(raw) if raw is not None else None
    return None if text == _ZERO else text


def perm_address(name: str) -> str | None:
    """The address the driver read from the hardware, as sysfs would write it; None for a link
    that has none (virtual links report all-zero) or is gone."""
    return _perm_text(perm_raw(name))


def address(name: str) -> str | None:
    """The link's current address, as the kernel reports it now (lower case, colons)."""
    return read(f"{SYS_NET}/{name}/address")


def ifindex(name: str) -> int | None:
    """The link's index, which tells it from an earlier link of the same name; None when gone."""
    text = read(f"{SYS_NET}/{name}/ifindex")
    return int(text) if text is not None and text.isdigit() else None


def addr_assign_type(name: str) -> str | None:
    """How the link got its address (NET_ADDR_*: 0 permanent, 1 random, 2 stolen, 3 set)."""
    return read(f"{SYS_NET}/{name}/addr_assign_type")


def is_bond(name: str) -> bool:
    return os.path.isdir(f"{SYS_NET}/{name}/bonding")


def ports(bond: str) -> list[str]:
    """The bond's enslaved ports, as the bonding driver lists them."""
    return (read(f"{SYS_NET}/{bond}/bonding/slaves") or "").split()


def _bond_records(bond: str) -> dict[str, str]:
    """Each port's original address as the bond recorded it (/proc/net/bonding/BOND), the only
    copy for a driver that reports no permanent address once the bond rewrote the port's."""
    records: dict[str, str] = {}
    port = None
    for line in (read(f"{PROC_BONDING}/{bond}") or "").splitlines():
        key, _, value = line.partition(":")
        if key == "Slave Interface":
            port = value.strip()
        elif key == "Permanent HW addr" and port and value.strip() != _ZERO:
            records[port] = value.strip()
    return records


def _kind(name: str) -> str | None:
    """'bond' for bonds (what every decision asks), else the uevent's DEVTYPE (vlan, bridge, ...)."""
    if is_bond(name):
        return "bond"
    for line in (read(f"{SYS_NET}/{name}/uevent") or "").splitlines():
        if line.startswith("DEVTYPE="):
            return line.removeprefix("DEVTYPE=") or None
    return None


def _master(name: str) -> str | None:
    """The link's master (a bond, a bridge), from the sysfs symlink the kernel keeps."""
    try:
        return os.path.basename(os.readlink(f"{SYS_NET}/{name}/master"))
    except OSError:
        return None


def _uppers(name: str) -> tuple[str, ...]:
    """Devices stacked on the link (VLANs, macvlans, its bridge or bond), from the kernel's
    upper_* symlinks."""
    try:
        entries = os.listdir(f"{SYS_NET}/{name}")
    except OSError:
        return ()
    return tuple(sorted(entry.removeprefix("upper_") for entry in entries if entry.startswith("upper_")))


def operstate(name: str) -> str | None:
    return read(f"{SYS_NET}/{name}/operstate")


def if_inet6() -> str:
    """The kernel's IPv6 addresses with their flags (what netlink reports), or '' without IPv6."""
    return read(PROC_IF_INET6) or ""


def vlan_config() -> str:
    """The 8021q module's table of VLAN devices and their ids, or '' without it (no VLANs)."""
    return read(PROC_VLAN) or ""


def read_facts() -> Facts:
    """Every link of this network namespace, for the full decision. A link that vanishes during
    the walk is left out, as it would be from a netlink dump taken a moment later."""
    from bondhook.rules.mac import parse_optional
    from bondhook.rules.plan import Facts, Link

    try:
        names = sorted(os.listdir(SYS_NET))
    except OSError:
        return Facts(())
    raw: list[tuple[str, int, str | None]] = []
    for name in names:
        index = read(f"{SYS_NET}/{name}/ifindex")
        if index is not None and index.isdigit():
            raw.append((name, int(index), _master(name)))
    indexes = {name: index for name, index, _ in raw}
    links = []
    for name, index, master in raw:
        raw_perm = perm_raw(name)
        perm = _perm_text(raw_perm)
        if perm is None and master is not None:
            perm = _bond_records(master).get(name)
        assign = addr_assign_type(name)
        links.append(
            Link(
                name=name,
                index=index,
                kind=_kind(name),
                address=parse_optional(address(name)),
                perm_address=parse_optional(perm),
                master=indexes.get(master) if master else None,
                addr_assign_type=int(assign) if assign and assign.isdigit() else None,
                uppers=_uppers(name),
                perm_raw=raw_perm,
            )
        )
    return Facts(tuple(links))


def why_kept(name: str) -> str:
    """The likely reason a link kept its address after a change the kernel accepted."""
    mode = (read(f"{SYS_NET}/{name}/bonding/mode") or "").split(" ")[0]
    fail_over_mac = (read(f"{SYS_NET}/{name}/bonding/fail_over_mac") or "").split(" ")[0]
    return kept_cause(mode, fail_over_mac)


def kept_cause(mode: str, fail_over_mac: str) -> str:
    """With fail_over_mac active or follow in active-backup mode the bonding driver ignores an
    address change and reports success (drivers/net/bonding, bond_set_mac_address)."""
    if mode == "active-backup" and fail_over_mac in ("active", "follow"):
        return (
            f"fail_over_mac is {fail_over_mac}, so the bond's MAC follows its active port; "
            "set fail_over_mac none (bond-fail-over-mac none, or bond.options fail_over_mac=none)"
        )
    return "the driver ignored the change; see dmesg"


def set_address(name: str, mac: str) -> None:
    """Change a link's MAC in place (no down/up: ports and LACP stay as they are), then read it
    back: KernelError when the kernel refused or did not keep it. `mac` as 02:54:00:c8:76:09."""
    payload = struct.pack("H6s", ARPHRD_ETHER, bytes.fromhex(mac.replace(":", "")))
    try:
        _ioctl(SIOCSIFHWADDR, name, payload)
    except OSError as exc:
        raise KernelError(f"the kernel refused MAC {mac}: {exc.strerror or exc}", exc.errno) from exc
    check_kept(name, mac)


def check_kept(name: str, mac: str) -> None:
    """Read the address back after a change: some settings make the kernel accept a change and
    keep the old address, and a change that did not happen must never be logged as done."""
    now = address(name)
    if now != mac.lower():
        raise KernelError(f"the kernel kept {now or 'no address'} instead of {mac}: {why_kept(name)}")
