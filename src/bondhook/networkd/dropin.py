"""bondhook's drop-in for each systemd-networkd bond: what it should hold, and the lines to log.
Pure: the configuration as `config` reads it and a fact snapshot in, plans out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bondhook.networkd.config import (
    KEY_DERIVE,
    KEY_SCHEME,
    SECTION,
    Netdev,
    Network,
    Own,
    bonds,
    content,
    request,
)
from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.options import BOND_DERIVE_MAC, BOND_DERIVE_MAC_SCHEME, OptionError
from bondhook.rules.plan import Facts, Message, decide
from bondhook.rules.text import shown


@dataclass(frozen=True)
class DropinPlan:
    """For one bond (None: a drop-in no bond uses): write `content` to `path`, remove `path`, or
    leave it (none)."""

    bond: str | None
    action: str
    path: str
    content: str | None = None
    target: Mac | None = None
    messages: tuple[Message, ...] = field(default=())


def _option_line(dev: Netdev, exc: OptionError) -> str:
    key = KEY_SCHEME if exc.option is BOND_DERIVE_MAC_SCHEME else KEY_DERIVE
    values = exc.option.values if exc.option is BOND_DERIVE_MAC_SCHEME else BOND_DERIVE_MAC.values
    return (
        f"{dev.name}: {dev.path}: [{SECTION}] {key} value {shown(exc.value)} is not one of {values}; "
        "drop-in left unchanged; fix or remove that key"
    )


def decide_netdev(dev: Netdev, networks: Sequence[Network], facts: Facts, unseen: Sequence[str] = ()) -> DropinPlan:
    """What bondhook's drop-in for one bond .netdev should be, and the lines to log. Quiet when
    nothing changes, so that a steady boot logs nothing. `unseen`: what the boot-time wait did
    not see (names, addresses), said when no port is found."""
    name, own = dev.name, dev.own
    try:
        req, unsure = request(dev, networks, facts)
    except OptionError as exc:
        return DropinPlan(name, "none", dev.dropin, messages=(Message(logging.ERROR, _option_line(dev, exc)),))
    if unsure and req.hold is None and req.choice.enabled:
        # Nobody can say which NIC networkd enslaves: the drop-in stays as it is, whatever it holds.
        return DropinPlan(name, "none", dev.dropin, messages=unsure)
    if req.hold is not None or not req.choice.enabled:
        if own is None:
            return DropinPlan(name, "none", dev.dropin)
        why = f"MACAddress={dev.mac} is set by a person" if req.hold else f"opted out ([{SECTION}] {KEY_DERIVE}=no)"
        line = Message(logging.INFO, f"{name}: {why}; removed {own.path}")
        return DropinPlan(name, "remove", own.path, messages=(line,))
    plan = decide(req, facts)
    if plan.target is None:
        kept = f"kept {own.path} (MAC {own.mac}, from {own.source})" if own else "no drop-in written"
        waited = f"; udev did not show {' '.join(unseen)} in time" if unseen else ""
        text = f"{name}: {plan.problem}{waited}; {kept}; check the .network files with Bond={name}"
        return DropinPlan(name, "none", dev.dropin, messages=(Message(logging.ERROR, text),))
    if dev.linked:
        text = (
            f"{name}: {dev.dropin} or its directory is a symbolic link; bondhook writes nothing through one "
            "(every .netdev it leads to would share one MAC); drop-in not written; replace the link with a "
            "directory of its own"
        )
        return DropinPlan(name, "none", dev.dropin, messages=(Message(logging.ERROR, text),))
    if dev.occupied:
        text = (
            f"{name}: {dev.dropin} is not as bondhook wrote it, so it is a person's; left unchanged; "
            f"set MACAddress= there, or move it to another name for bondhook to write its own"
        )
        return DropinPlan(name, "none", dev.dropin, messages=(Message(logging.ERROR, text),))
    record = f"{plan.source}={plan.source_perm}"
    lines = [m for m in plan.messages if m.level >= logging.WARNING]
    # The source the drop-in records, where it already holds this MAC.
    same_mac_source = own.source if own is not None and parse_optional(own.mac) == plan.target else None
    if same_mac_source == record:
        return DropinPlan(name, "none", dev.dropin, target=plan.target, messages=tuple(lines))
    if same_mac_source is not None and same_mac_source.endswith(f"={plan.source_perm}"):
        # The same NIC under another name (bondhook ran before udev renamed it): not news.
        lines.append(Message(logging.DEBUG, f"{name}: source renamed ({same_mac_source} -> {record})"))
        return DropinPlan(name, "write", dev.dropin, content(plan.target, record), plan.target, tuple(lines))
    if own is not None:
        was = own.source or "unknown"
        text = f"{name}: source changed ({was} -> {record}); {dev.dropin}: MACAddress {own.mac} -> {plan.target}"
    else:
        text = f"{name}: {dev.dropin}: MACAddress={plan.target}, derived from {plan.source} ({plan.source_perm})"
    lines.append(Message(logging.INFO, text))
    return DropinPlan(name, "write", dev.dropin, content(plan.target, record), plan.target, tuple(lines))


def stale(own_dropins: Sequence[Own], chosen: Sequence[Netdev]) -> tuple[DropinPlan, ...]:
    """bondhook's drop-ins whose .netdev is gone or no longer makes a bond: removed."""
    live = {dev.dropin for dev in chosen}
    return tuple(
        DropinPlan(
            None,
            "remove",
            own.path,
            messages=(Message(logging.INFO, f"{own.path}: its .netdev is gone or makes no bond; removed"),),
        )
        for own in own_dropins
        if own.path not in live
    )


def plans(
    netdevs: Sequence[Netdev],
    networks: Sequence[Network],
    own: Sequence[Own],
    facts: Facts,
    unseen: Sequence[str] = (),
) -> tuple[DropinPlan, ...]:
    """Every bond's drop-in plan, then the removal of bondhook's drop-ins that no bond uses."""
    chosen = bonds(netdevs)
    return (*(decide_netdev(dev, networks, facts, unseen) for dev in chosen), *stale(own, chosen))
