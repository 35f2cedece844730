"""Decisions on a snapshot of facts: which port, which MAC, what to do and what to say. Pure."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from bondhook.rules.mac import SCHEMES, Mac, derivations, derive
from bondhook.rules.names import name_order
from bondhook.rules.options import AUTO, BOND_DERIVE_MAC, Choice

# /sys/class/net/*/addr_assign_type values (include/uapi/linux/netdevice.h).
ADDR_RANDOM = 1
ADDR_SET = 3


@dataclass(frozen=True)
class Link:
    """What the kernel says about one interface, as far as bondhook cares."""

    name: str
    index: int
    kind: str | None = None
    address: Mac | None = None
    perm_address: Mac | None = None
    master: int | None = None
    addr_assign_type: int | None = None
    uppers: tuple[str, ...] = ()
    altnames: tuple[str, ...] = ()
    # ETHTOOL_GPERMADDR's bytes as they are (all-zero on virtual links), which networkd's
    # PermanentMACAddress= matches; None: not read, or the kernel refused.
    perm_raw: bytes | None = None


@dataclass(frozen=True)
class Facts:
    """One snapshot of every link, taken in a single netlink dump."""

    links: tuple[Link, ...]

    # Indexes built once per snapshot, so that `status` over hundreds of bonds stays linear.
    @cached_property
    def _by_name(self) -> dict[str, Link]:
        return {link.name: link for link in self.links}

    @cached_property
    def _by_master(self) -> dict[int, list[Link]]:
        ports: dict[int, list[Link]] = {}
        for link in sorted(self.links, key=lambda lk: name_order(lk.name)):
            if link.master is not None:
                ports.setdefault(link.master, []).append(link)
        return ports

    @cached_property
    def _by_perm_tail(self) -> dict[tuple[int, ...], list[Link]]:
        """Links by the last five octets of their permanent MAC: what every derivation keeps."""
        tails: dict[tuple[int, ...], list[Link]] = {}
        for link in self.links:
            if link.perm_address is not None:
                tails.setdefault(link.perm_address.octets[1:], []).append(link)
        return tails

    def get(self, name: str) -> Link | None:
        return self._by_name.get(name)

    def bonds(self) -> tuple[Link, ...]:
        return tuple(sorted((lk for lk in self.links if lk.kind == "bond"), key=lambda lk: name_order(lk.name)))

    def ports_of(self, bond: Link) -> tuple[Link, ...]:
        """Enslaved ports, in name order (never enslave order, which depends on timing)."""
        return tuple(self._by_master.get(bond.index, ()))

    def with_perm_tail(self, address: Mac) -> list[Link]:
        """Links whose permanent MAC shares `address`'s last five octets."""
        return self._by_perm_tail.get(address.octets[1:], [])


@dataclass(frozen=True)
class Hold:
    """A person's choice about a bond's MAC (a hand-set address, an opt-out): every path, the
    hooks, nm-sync and `apply` alike, leaves the MAC alone while one stands."""

    what: str
    fix: str


@dataclass(frozen=True)
class Request:
    """What was asked for one bond: the choice, its configured ports in preference order, a
    person's hold if its configuration has one, and whether the caller may create the bond (the
    ifupdown pre-up hook may, the CLI may not)."""

    bond: str
    choice: Choice
    ports: tuple[str, ...] = ()
    hold: Hold | None = None
    may_create: bool = False
    scheme: str = "02"


@dataclass(frozen=True)
class Message:
    level: int
    text: str


@dataclass(frozen=True)
class Plan:
    """What to do to one bond. action: none (leave it), keep (already right), create, set."""

    bond: str
    action: str
    target: Mac | None = None
    source: str | None = None
    source_perm: Mac | None = None
    messages: tuple[Message, ...] = field(default=())
    problem: str | None = None


def _refuse(bond: str, current: Link | None, problem: str, fix: str) -> Plan:
    left = f"MAC left as {current.address}" if current and current.address else "MAC left to the kernel"
    return Plan(bond, "none", messages=(Message(logging.ERROR, f"{bond}: {problem}; {left}; {fix}"),), problem=problem)


def candidate_ports(request: Request, bond: Link | None, facts: Facts) -> tuple[str, ...]:
    """Configured ports first, in their order, then any other enslaved port in name order."""
    enslaved = tuple(lk.name for lk in facts.ports_of(bond)) if bond else ()
    return tuple(dict.fromkeys((*request.ports, *enslaved)))


def decide(request: Request, facts: Facts) -> Plan:
    """Turn a request and a fact snapshot into a plan with the lines to log."""
    name = request.bond
    bond = facts.get(name)
    if not request.choice.enabled:
        return Plan(name, "none")
    if request.hold:
        return _refuse(name, bond, request.hold.what, request.hold.fix)
    if bond is not None and bond.kind != "bond":
        return _refuse(name, bond, f"exists but is a {bond.kind or 'plain'} device, not a bond", "check the stanza")
    if bond is None and not request.may_create:
        return _refuse(name, bond, "no such bond", f"bring it up first (ifup {name})")

    candidates = candidate_ports(request, bond, facts)
    wanted = request.choice.port
    if wanted is not None and wanted not in candidates:
        known = ", ".join(candidates) or "none"
        return _refuse(
            name,
            bond,
            f"port {wanted} named in {BOND_DERIVE_MAC.name} is not a port of this bond (ports: {known})",
            "fix the name or use 'yes'",
        )
    order = candidates if wanted is None else (wanted, *(c for c in candidates if c != wanted))

    present = [facts.get(port) for port in order]
    skipped: list[str] = []
    source: Link | None = None
    for port, link in zip(order, present, strict=True):
        if link is None:
            skipped.append(f"port {port} is absent")
        elif link.perm_address is None or not link.perm_address.is_usable_source:
            skipped.append(f"port {port} has no usable permanent MAC ({link.perm_address or 'none'})")
        else:
            source = link
            break
    if source is None or source.perm_address is None:
        problem = "; ".join(skipped) if skipped else "no ports configured or enslaved"
        return _refuse(name, bond, f"no port with a usable permanent MAC ({problem})", "check bond-slaves")

    avoid = {lk.perm_address for lk in present if lk is not None and lk.perm_address is not None}
    target = derive(source.perm_address, avoid, request.scheme)
    messages = []
    problem = f"{'; '.join(skipped)}; deriving from {source.name} instead" if skipped else None
    if problem:
        messages.append(Message(logging.WARNING, f"{name}: {problem}"))
    origin = f"derived from {source.name} (permanent {source.perm_address})"
    if bond is None:
        action, text = "create", f"{name}: created with MAC {target}, {origin}"
    elif bond.address == target:
        action, text = "keep", f"{name}: already carries MAC {target}, {origin}"
    else:
        action, text = "set", f"{name}: existing bond's MAC changed from {bond.address} to {target}, {origin}"
    messages.append(Message(logging.INFO, text))
    return Plan(name, action, target, source.name, source.perm_address, tuple(messages), problem)


@dataclass(frozen=True)
class BondStatus:
    """Everything `bondhook status` says about one bond."""

    name: str
    address: Mac | None
    origin: str
    traceable: bool
    ports: tuple[str, ...]
    derived: Mac | None
    source: str | None
    matches: bool
    configured: bool
    problem: str | None = None
    held: str | None = None


def traced(address: Mac, facts: Facts, skip: str) -> str | None:
    """Which NIC `address` is, or is derived from (by any rule); None when it is neither."""
    for link in facts.with_perm_tail(address):
        if link.name == skip or link.perm_address is None:
            continue
        if link.perm_address == address:
            return f"taken from port {link.name}"
        if any(address in derivations(link.perm_address, scheme) for scheme in SCHEMES):
            return f"derived from {link.name} (another rule or port set)"
    return None


def assigned_origin(link: Link) -> str:
    """Where an address traceable to no NIC came from, as far as the kernel recorded it."""
    if link.addr_assign_type == ADDR_RANDOM:
        return "kernel random"
    if link.addr_assign_type == ADDR_SET:
        return "set by userspace (udev MACAddressPolicy or an admin)"
    return "unknown origin"


def _origin(bond: Link, facts: Facts, plan: Plan) -> tuple[str, bool]:
    address = bond.address
    if address is None:
        return "no address", False
    if plan.target == address:
        return f"derived by bondhook from {plan.source}", True
    found = traced(address, facts, bond.name)
    return (found, True) if found else (assigned_origin(bond), False)


def describe(bond: Link, facts: Facts, request: Request | None, config_problem: str | None = None) -> BondStatus:
    """Explain one bond's MAC: where it came from and what bondhook would derive.

    `request` is the bond's configuration when one is known (an ifupdown stanza, an NM profile);
    without one, or when it opts out, the status shows what 'yes' would give for the enslaved
    ports. A person's hold is reported, so that nobody is told to run what would be refused.
    `config_problem` is why the configuration could not be read, if it could not.
    """
    configured = request is not None and request.choice.enabled
    choice = request.choice if request is not None and configured else AUTO
    plan = decide(
        Request(bond.name, choice, request.ports if request else (), scheme=request.scheme if request else "02"), facts
    )
    origin, traceable = _origin(bond, facts, plan)
    return BondStatus(
        name=bond.name,
        address=bond.address,
        origin=origin,
        traceable=traceable,
        ports=tuple(lk.name for lk in facts.ports_of(bond)),
        derived=plan.target,
        source=plan.source,
        matches=plan.target is not None and plan.target == bond.address,
        configured=configured,
        problem=config_problem or plan.problem,
        held=request.hold.what if request is not None and request.hold is not None else None,
    )
