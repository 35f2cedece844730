"""Generated NetworkManager worlds for property tests: profiles rendered both as the keyfiles
NetworkManager writes and as its D-Bus GetSettings answers, and the links the kernel shows."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from dbus_next import Variant
from hypothesis import strategies as st

from bondhook.nm import keyfile_io
from bondhook.nm.profile import decide_profile, profile_from_settings
from bondhook.rules.mac import Mac
from bondhook.rules.plan import Facts, Link

PORT_NAMES = ("eth0", "eth1", "eth2", "eth10")
BOND_INDEX = 20


@dataclass
class Spec:
    """One profile, from which both a keyfile (as NetworkManager writes it) and a GetSettings
    answer are rendered."""

    uuid: str
    id: str
    type: str
    ifname: str | None = None
    master: str | None = None
    mac: Mac | None = None
    cloned: str | None = None
    user: dict[str, str] = field(default_factory=dict)
    controller_keys: bool = False  # NetworkManager 1.46+ writes controller/port-type
    wired_section: str = "ethernet"


def is_mac(text: str) -> bool:
    try:
        Mac.parse(text)
    except ValueError:
        return False
    return True


def _escape(value: str) -> str:
    """GKeyFile's escaping of a string value."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return "\\s" + out[1:] if out.startswith(" ") else out


def render_keyfile(spec: Spec) -> str:
    kind = "ethernet" if spec.type == "802-3-ethernet" else spec.type
    lines = ["# written by the test as NetworkManager would", "[connection]", f"id={_escape(spec.id)}"]
    lines += [f"uuid = {spec.uuid}", f"type={kind}"]
    if spec.ifname:
        lines.append(f"interface-name={spec.ifname}")
    if spec.master:
        lines += [f"{'controller' if spec.controller_keys else 'master'}={spec.master}"]
        lines += [f"{'port-type' if spec.controller_keys else 'slave-type'}=bond"]
    lines += ["", "[ipv4]", "method=disabled", ""]
    if spec.mac or spec.cloned:
        lines.append(f"[{spec.wired_section}]")
        if spec.mac:
            lines.append(f"mac-address={str(spec.mac).upper()}")
        if spec.cloned:
            lines.append(f"cloned-mac-address={spec.cloned.upper() if is_mac(spec.cloned) else spec.cloned}")
    if spec.user:
        lines += ["", "[user]", *(f"{key}={_escape(value)}" for key, value in spec.user.items())]
    return "\n".join(lines) + "\n"


def render_dbus(spec: Spec) -> dict:
    connection = {"id": spec.id, "uuid": spec.uuid, "type": spec.type}
    if spec.ifname:
        connection["interface-name"] = spec.ifname
    if spec.master:
        connection |= {"master": spec.master, "slave-type": "bond"}
    settings = {"connection": connection, "ipv4": {"method": "disabled"}}
    wired = {}
    if spec.mac:
        wired["mac-address"] = bytes(spec.mac.octets)
    if spec.cloned:
        wired["assigned-mac-address"] = spec.cloned.upper() if is_mac(spec.cloned) else spec.cloned
        if is_mac(spec.cloned):
            wired["cloned-mac-address"] = bytes(Mac.parse(spec.cloned).octets)
    settings["802-3-ethernet"] = wired
    if spec.user:
        settings["user"] = {"data": dict(spec.user)}
    # through real D-Bus variants and back, as dbus-next hands them over
    as_variants = {s: {k: Variant(_signature(v), v) for k, v in props.items()} for s, props in settings.items()}
    return {s: {k: v.value for k, v in props.items()} for s, props in as_variants.items()}


def _signature(value: object) -> str:
    return {str: "s", bytes: "ay", dict: "a{ss}"}[type(value)]


macs = st.builds(lambda octets: Mac(tuple(octets)), st.lists(st.integers(0, 255), min_size=6, max_size=6))
# Free text, as NetworkManager can keep it in a keyfile (GKeyFile drops a leading \v or \f).
ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12
)
ids = ids.filter(lambda text: text[:1] not in ("\v", "\f"))
user_values = {
    "bondhook.derive-mac": st.sampled_from(["yes", "no", "eth1", "eth10", "maybe so", "No"]),
    "bondhook.derive-mac-scheme": st.sampled_from(["02", "ul-bit", "md5"]),
    "bondhook.mac": st.one_of(macs.map(str), st.just("junk")),
    "bondhook.source": st.sampled_from(["eth0=52:54:00:c8:76:09", "eth9=x", "a\nb"]),
    "other.key": ids,
}


sometimes = st.integers(0, 3).map(lambda n: n == 0)  # a quarter of the time: most worlds stay plain


@st.composite
def worlds(draw):
    """A bond profile, its port profiles (and a stranger's), and the links the kernel shows."""
    local = macs.map(lambda mac: Mac((0x02, *mac.octets[1:])))  # a port that already carries a 02 MAC
    perms = {name: draw(st.one_of(macs, macs, st.none(), local)) for name in PORT_NAMES}
    if perms["eth0"] and draw(sometimes):  # eth1's own MAC is eth0's derivation: the rule moves on
        perms["eth1"] = Mac((0x02, *perms["eth0"].octets[1:]))
    links = [Link(name, i + 2, None, perm, perm) for i, (name, perm) in enumerate(perms.items())]
    bond_uuid = str(uuidlib.UUID(int=draw(st.integers(0, 2**128 - 1))))
    user = {key: draw(value) for key, value in user_values.items() if draw(sometimes)}
    cloned = draw(st.one_of(st.none(), macs.map(str), st.sampled_from(["stable", "preserve"])))
    if draw(st.booleans()) and "bondhook.mac" in user and is_mac(user["bondhook.mac"]):
        cloned = user["bondhook.mac"]  # bondhook's own value, as after a sync
    bond = Spec(bond_uuid, draw(ids), "bond", "bond0", cloned=cloned, user=user)
    ports = []
    for i, name in enumerate(draw(st.lists(st.sampled_from(PORT_NAMES), max_size=4, unique=True))):
        by_mac = draw(sometimes) and perms[name] is not None
        ports.append(
            Spec(
                str(uuidlib.UUID(int=i + 1)),
                draw(ids),
                "802-3-ethernet",
                None if by_mac else name,
                draw(st.sampled_from(["bond0", bond_uuid, "bond9"])),
                mac=perms[name] if by_mac else None,
                controller_keys=draw(st.booleans()),
                wired_section=draw(st.sampled_from(["ethernet", "802-3-ethernet"])),
            )
        )
    if draw(st.booleans()):  # as after a sync: the profile records what the full decision derives
        plan = decide_profile(dbus_profile(bond), [dbus_profile(s) for s in [bond, *ports]], Facts(tuple(links)))
        if plan.write is not None:
            bond = replace(bond, user=dict(plan.write), cloned=plan.cloned_mac)
    enslaved = set(draw(st.lists(st.sampled_from(PORT_NAMES), max_size=3, unique=True)))
    links = [replace(link, master=BOND_INDEX) if link.name in enslaved else link for link in links]
    synced = bond.user.get("bondhook.mac") if is_mac(bond.user.get("bondhook.mac", "")) else None
    bond_address = draw(st.one_of(st.none(), macs, st.just(Mac.parse(synced)) if synced else st.none()))
    facts = Facts((*links, Link("bond0", BOND_INDEX, "bond", bond_address, None)))
    return bond, ports, facts


def write_keyfiles(directory: Path, specs: list[Spec]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (directory / f"{spec.uuid}{keyfile_io.SUFFIX}").write_text(render_keyfile(spec))


def dbus_profile(spec: Spec):
    return profile_from_settings(render_dbus(spec), f"/org/freedesktop/NetworkManager/Settings/{spec.uuid}")


class FakeKernel:
    """What `sysfs_io` answers, from a fact snapshot (addresses as sysfs writes them)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts

    def address(self, name: str) -> str | None:
        link = self.facts.get(name)
        return str(link.address) if link and link.address else None

    def perm_address(self, name: str) -> str | None:
        link = self.facts.get(name)
        return str(link.perm_address) if link and link.perm_address else None

    def ports(self, bond: str) -> list[str]:
        link = self.facts.get(bond)
        return [port.name for port in self.facts.ports_of(link)] if link else []
