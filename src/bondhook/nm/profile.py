"""NetworkManager bond profiles as plain values, and what bondhook should write in them. Pure."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.names import name_order
from bondhook.rules.options import (
    NM_DEFAULT_CHOICE,
    NM_DERIVE_MAC,
    NM_KEYS,
    NM_OWNED_MAC,
    NM_SCHEME,
    NM_SOURCE,
    OptionError,
    parse_choice,
    parse_scheme,
)
from bondhook.rules.plan import Facts, Hold, Link, Message, Request, decide
from bondhook.rules.text import shown

BOND = "bond"
OWNED_KEYS = frozenset(key.key for key in NM_KEYS if key.written_by_bondhook)


@dataclass(frozen=True)
class Profile:
    """The parts of one NM connection profile that bondhook reads."""

    uuid: str
    id: str
    type: str
    interface_name: str | None = None
    master: str | None = None
    slave_type: str | None = None
    mac_address: Mac | None = None
    cloned_mac: str | None = None
    user_data: Mapping[str, str] = field(default_factory=dict)
    path: str = ""

    @property
    def label(self) -> str:
        """How a log line names the profile: its interface, then its id, quoted (ids are free text)."""
        return f"{self.interface_name or shown(self.id)}: profile {shown(self.id)}"


def _mac_text(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray, list)):
        mac = parse_optional(bytes(value))
        return str(mac) if mac else None
    return value or None


def profile_from_settings(settings: Mapping[str, Mapping[str, Any]], path: str = "") -> Profile:
    """Read GetSettings' answer (variants already unwrapped) or a keyfile read into the same
    shape. The wired setting's cloned MAC is `assigned-mac-address` (a string, also for
    'preserve', 'stable', ...) on D-Bus; older clients only set the byte-array
    `cloned-mac-address`. NetworkManager 1.46 renamed master/slave-type to controller/port-type."""
    connection = settings.get("connection", {})
    wired = settings.get("802-3-ethernet", {})
    return Profile(
        uuid=connection.get("uuid", ""),
        id=connection.get("id", ""),
        type=connection.get("type", ""),
        interface_name=connection.get("interface-name") or None,
        master=connection.get("master") or connection.get("controller") or None,
        slave_type=connection.get("slave-type") or connection.get("port-type") or None,
        mac_address=parse_optional(bytes(wired["mac-address"])) if wired.get("mac-address") else None,
        cloned_mac=wired.get("assigned-mac-address") or _mac_text(wired.get("cloned-mac-address")),
        user_data=dict(settings.get("user", {}).get("data", {})),
        path=path,
    )


def port_name(port: Profile, facts: Facts) -> str | None:
    """A port profile's interface: its interface-name, else the NIC whose permanent MAC it names."""
    if port.interface_name:
        return port.interface_name
    match = next((lk for lk in facts.links if port.mac_address and lk.perm_address == port.mac_address), None)
    return match.name if match else None


def ports_of(bond: Profile, profiles: Sequence[Profile], facts: Facts) -> tuple[str, ...]:
    """Port profiles name the bond as master (by interface name or UUID) with slave-type bond;
    their interfaces, in name order (the documented order, independent of activation timing)."""
    masters = {bond.uuid, bond.interface_name} - {None}
    names = {port_name(p, facts) for p in profiles if p.slave_type == BOND and p.master in masters}
    return tuple(sorted((n for n in names if n), key=name_order))


@dataclass(frozen=True)
class ProfilePlan:
    """For one bond profile: the user data to write (None: write nothing) with the cloned MAC
    that goes with it (None: none), the MAC the bond device should carry (None: leave it to
    NM), and the lines to log."""

    profile: Profile
    write: Mapping[str, str] | None
    link_mac: Mac | None
    messages: tuple[Message, ...]
    cloned_mac: str | None = None


def _same(a: str | None, b: str | None) -> bool:
    return (parse_optional(a) or a) == (parse_optional(b) or b)


def owner(profile: Profile) -> str:
    """Who set the profile's cloned MAC: bondhook (its marker matches), a person, or none."""
    if not profile.cloned_mac:
        return "none"
    return "bondhook" if _same(profile.user_data.get(NM_OWNED_MAC.key), profile.cloned_mac) else "a person"


def nm_hold(profile: Profile) -> Hold | None:
    """A person's choice in a bond profile: a cloned MAC they set, or an opt-out. The one rule
    the dispatcher, nm-sync, `apply` and `status` all follow."""
    if owner(profile) == "a person":
        return Hold(
            f"profile {shown(profile.id)} has cloned-mac-address {shown(profile.cloned_mac or '')} set by a person",
            "clear it (nmcli connection modify ID ethernet.cloned-mac-address '') to hand it to bondhook",
        )
    value = profile.user_data.get(NM_DERIVE_MAC.key)
    try:
        opted_out = value is not None and not parse_choice(value).enabled
    except OptionError:
        opted_out = False  # reported by profile_request, with the fix
    if opted_out:
        return Hold(f"profile {shown(profile.id)} opts out ({NM_DERIVE_MAC.key}=no)", f"remove {NM_DERIVE_MAC.key}")
    return None


def profile_request(bond: Profile, profiles: Sequence[Profile], facts: Facts) -> Request:
    """What a bond profile's user data asks of bondhook; raises OptionError for a bad value.
    The bond may not exist yet (NM creates it at activation)."""
    choice = parse_choice(bond.user_data.get(NM_DERIVE_MAC.key, NM_DEFAULT_CHOICE))
    scheme = parse_scheme(bond.user_data.get(NM_SCHEME.key))
    name = bond.interface_name or bond.id
    return Request(name, choice, ports_of(bond, profiles, facts), nm_hold(bond), may_create=True, scheme=scheme)


def decide_profile(bond: Profile, profiles: Sequence[Profile], facts: Facts) -> ProfilePlan:
    """Which MAC this bond profile should carry, and whether bondhook may write it."""
    label = bond.label
    try:
        request = profile_request(bond, profiles, facts)
    except OptionError as exc:
        key = NM_SCHEME if exc.option is NM_SCHEME.option else NM_DERIVE_MAC
        text = f"{label}: {exc.for_nm(key)}; profile left unchanged; fix or remove that key"
        return ProfilePlan(bond, None, None, (Message(logging.ERROR, text),))
    if not request.choice.enabled:
        return ProfilePlan(bond, None, None, (Message(logging.DEBUG, f"{label}: opted out"),))
    if request.hold is not None:
        text = f"{label}: cloned-mac-address {shown(bond.cloned_mac or '')} was set by a person; left alone"
        return ProfilePlan(bond, None, None, (Message(logging.INFO, text),))

    plan = decide(request, facts)
    if plan.target is None:
        return ProfilePlan(bond, None, None, plan.messages)
    messages = [m for m in plan.messages if m.level >= logging.WARNING]
    record = f"{plan.source}={plan.source_perm}"
    if _same(bond.cloned_mac, str(plan.target)) and bond.user_data.get(NM_SOURCE.key) == record:
        return ProfilePlan(bond, None, plan.target, tuple(messages))
    data = {**bond.user_data, NM_OWNED_MAC.key: str(plan.target), NM_SOURCE.key: record}
    if bond.cloned_mac:
        was = bond.user_data.get(NM_SOURCE.key, "unknown")
        text = f"{label}: source changed ({was} -> {record}); cloned-mac-address {bond.cloned_mac} -> {plan.target}"
    else:
        text = f"{label}: cloned-mac-address set to {plan.target}, derived from {plan.source} ({plan.source_perm})"
    messages.append(Message(logging.INFO, text))
    return ProfilePlan(bond, data, plan.target, tuple(messages), cloned_mac=str(plan.target))


def release_plan(profile: Profile) -> ProfilePlan | None:
    """What `nm-release` (and the package's removal) takes out of one profile: the cloned MAC
    where bondhook's marker matches it, and the keys bondhook wrote; what a person set stays.
    None when bondhook left nothing in it."""
    keys = OWNED_KEYS & profile.user_data.keys()
    if not keys:
        return None
    data = {key: value for key, value in profile.user_data.items() if key not in OWNED_KEYS}
    ours = owner(profile) == "bondhook"
    what = f"cloned-mac-address {profile.cloned_mac} and " if ours else ""
    text = f"{profile.label}: removed {what}{', '.join(sorted(keys))}"
    return ProfilePlan(profile, data, None, (Message(logging.INFO, text),), None if ours else profile.cloned_mac)


def fix(profile_id: str, upper: Link, lower: Link, mac: str) -> str:
    """A stacked device's MAC in its profile (`profile_id` as shown)."""
    return f"nmcli connection modify {profile_id} ethernet.cloned-mac-address {mac}"
