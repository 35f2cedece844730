"""Devices stacked on a bond (VLANs, bridges, macvlans, and theirs in turn): each one's MAC,
where it came from, the fix when it is not traceable to hardware, and the link-local addresses
that failed duplicate address detection. Pure.

The address a host is known by often sits on such a device, not on the bond: a VLAN inherits
the bond's MAC, but a bridge on a systemd host gets one udev hashes from the machine-id (Debian's
bridge-utils NEWS for 1.7-1), and a macvlan one of its own; on clones those collide even where
the bond carries a good derived MAC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from bondhook.rules.mac import Mac, derivations
from bondhook.rules.plan import Facts, Link, assigned_origin, traced

IFA_F_DADFAILED = 0x08
Failures = dict[str, tuple[str, ...]]
SCOPE_LINK = 0x20


# How the manager that creates a device would give it a MAC, in that manager's words: (the device,
# the device under it, the MAC as shown) -> the one line a person writes or runs. Each manager
# supplies its own (`Config.fixers`), so that nothing here knows any manager.
Fixer = Callable[[Link, Link, str], str]


@dataclass(frozen=True)
class Upper:
    """One device stacked on a bond, `depth` levels up, with its MAC explained."""

    name: str
    kind: str
    lower: str
    depth: int
    address: Mac | None
    origin: str
    traceable: bool
    fix: str | None
    dad_failed: tuple[str, ...] = ()


def dad_failures(if_inet6: str) -> Failures:
    """Link-local addresses that failed duplicate address detection, by interface, from
    /proc/net/if_inet6 (the kernel's own address flags, as netlink reports them; no traffic).
    A link-local address made from a MAC fails when another host on the link has that MAC."""
    failed: dict[str, list[str]] = {}
    for line in if_inet6.splitlines():
        fields = line.split()
        if len(fields) != 6 or len(fields[0]) != 32:
            continue
        try:
            scope, flags = int(fields[3], 16), int(fields[4], 16)
            address = str(ipaddress.IPv6Address(bytes.fromhex(fields[0])))
        except ValueError:
            continue
        if scope == SCOPE_LINK and flags & IFA_F_DADFAILED:
            failed.setdefault(fields[5], []).append(address)
    return {name: tuple(addresses) for name, addresses in failed.items()}


def _own_mac(bond: Link, facts: Facts, source: Mac | None) -> Mac | None:
    """A MAC for a device that needs one of its own (a macvlan): the next derivation of the bond's
    source port that no link uses, traceable and unique as the bond's own."""
    if source is None:
        return None
    used = {link.address for link in facts.links}
    return next((mac for mac in derivations(source) if mac not in used), None)


def fix_line(upper: Link, lower: Link, fixer: Fixer | None, own_mac: Mac | None) -> str:
    """The one change that makes `upper` traceable, in the words of the manager that creates it.

    A bridge takes its lower device's MAC (bridge-utils' `bridge_hw` accepts an interface name);
    anything else that needs an address of its own gets the next derivation of the bond's port."""
    mac = lower.address if upper.kind == "bridge" else own_mac
    shown_mac = str(mac) if mac else "a locally administered MAC"
    if fixer is None:
        return f"give {upper.name} the MAC {shown_mac} where it is created"
    return fixer(upper, lower, shown_mac)


def _origin(link: Link, lower: Link, facts: Facts, lower_traceable: bool) -> tuple[str, bool]:
    if link.address is None:
        return "no address", False
    if link.address == lower.address:
        return f"the same as {lower.name}'s", lower_traceable
    found = traced(link.address, facts, link.name)
    if found:
        return found, True
    return assigned_origin(link), False


def _stacked(bond: Link, facts: Facts) -> Iterator[tuple[Link, Link, int]]:
    """Every device stacked on `bond`, depth first, each once (a device on two lowers comes under
    the first), with the device it sits on and how many levels up it is."""
    seen = {bond.name}

    def walk(lower: Link, depth: int) -> Iterator[tuple[Link, Link, int]]:
        for name in lower.uppers:
            link = facts.get(name)
            if link is None or name in seen:
                continue
            seen.add(name)
            yield link, lower, depth
            yield from walk(link, depth + 1)

    return walk(bond, 1)


def uppers(
    bond: Link,
    facts: Facts,
    bond_traceable: bool,
    source: Mac | None = None,
    fixers: Mapping[str, Fixer] | None = None,
    dad: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[Upper, ...]:
    """Every device stacked on `bond`, explained. `source` is the permanent MAC the bond's own is
    derived from; `fixers`, by device name, how its manager would give it a MAC."""
    found: list[Upper] = []
    traceable = {bond.name: bond_traceable}
    own_mac = _own_mac(bond, facts, source)
    for link, lower, depth in _stacked(bond, facts):
        origin, ok = _origin(link, lower, facts, traceable[lower.name])
        traceable[link.name] = ok
        fix = None if ok else fix_line(link, lower, (fixers or {}).get(link.name), own_mac)
        failed = (dad or {}).get(link.name, ())
        found.append(Upper(link.name, link.kind or "device", lower.name, depth, link.address, origin, ok, fix, failed))
    return tuple(found)


def addresses(bond: Link, facts: Facts) -> frozenset[Mac]:
    """The bond's MAC and every MAC stacked on it: what a twin of this host could be using."""
    links = (bond, *(link for link, _, _ in _stacked(bond, facts)))
    return frozenset(link.address for link in links if link.address is not None and not link.address.is_zero)


@dataclass(frozen=True)
class Carrier:
    """A device on a bond's stack that carries a MAC `check` watches: the MAC, the VLAN ids
    between the bond and the device (outermost first), and the IPv4 addresses it holds, which
    `check`'s ARP probes ask for."""

    mac: Mac
    vlans: tuple[int, ...] = ()
    ipv4: tuple[bytes, ...] = ()


def vlan_ids(config: str) -> dict[str, int]:
    """VLAN device -> its VLAN id, from /proc/net/vlan/config ("bond0.100 | 100 | bond0")."""
    found = {}
    for line in config.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) == 3 and fields[1].isdigit():
            found[fields[0]] = int(fields[1])
    return found


def carriers(
    bond: Link, facts: Facts, vlans: Mapping[str, int], ipv4: Mapping[str, tuple[bytes, ...]]
) -> tuple[Carrier, ...]:
    """The bond and each device stacked on it that has a MAC, with the VLANs a frame crosses from
    the bond to it. A VLAN whose id is not known ends the path: nothing above it is probed."""
    paths: dict[str, tuple[int, ...] | None] = {bond.name: ()}
    links = [bond]
    for link, lower, _ in _stacked(bond, facts):
        path = paths.get(lower.name)
        if path is not None and link.kind == "vlan":
            path = (*path, vlans[link.name]) if link.name in vlans else None
        paths[link.name] = path
        links.append(link)
    return tuple(
        Carrier(link.address, path, ipv4.get(link.name, ()))
        for link in links
        if (path := paths[link.name]) is not None and link.address is not None and not link.address.is_zero
    )
