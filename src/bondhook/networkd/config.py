"""systemd-networkd bonds: which .netdev makes a bond, which .network files make its ports, who
sets its MAC and what it asks of bondhook (`dropin` decides the drop-in from that). Pure: file
texts and a fact snapshot in, values out.

The mechanism: networkd reads MACAddress= from a .netdev and its drop-ins (FILE.netdev.d/*.conf
in any configuration directory) when it creates the bond, so a drop-in written before networkd
starts gives the bond its derived MAC from its creation on, netplan's generated .netdev files
included. Ownership follows the NetworkManager path: a MACAddress= a person wrote wins, bondhook's
own drop-in carries a marker section (systemd ignores sections named X-...), and an [X-Bondhook]
section in the .netdev or another drop-in opts a bond out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bondhook.networkd.dirs import NETWORK_DIRS
from bondhook.networkd.match import EVALUATED, Match, literal_names, read_match, test
from bondhook.networkd.unitfile import Entry, SyntaxProblem, last, parse
from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.names import name_order
from bondhook.rules.options import (
    NM_DEFAULT_CHOICE,
    parse_choice,
    parse_scheme,
)
from bondhook.rules.plan import Facts, Hold, Link, Message, Request
from bondhook.rules.text import shown

# Where bondhook writes: /etc, which outranks the others, so that its drop-in applies to a
# .netdev wherever it lives (netplan's are in /run).
DROPIN_DIR = NETWORK_DIRS[0]
DROPIN_NAME = "90-bondhook.conf"
SECTION = "X-Bondhook"
KEY_DERIVE = "DeriveMAC"
KEY_SCHEME = "Scheme"
KEY_MAC = "MAC"
KEY_SOURCE = "Source"


@dataclass(frozen=True)
class Text:
    """One file as read: its path and text (None when it could not be read: `problem` says why)."""

    path: str
    text: str | None
    problem: str | None = None


@dataclass(frozen=True)
class Own:
    """bondhook's drop-in: the MAC it sets and the source it records (PORT=PERMANENT-MAC)."""

    path: str
    mac: str
    source: str


@dataclass(frozen=True)
class Netdev:
    """One .netdev with its drop-ins, as networkd would read it. `mac` is MACAddress= from the
    file and every drop-in but bondhook's; `own` is bondhook's drop-in, `occupied` when a file at
    its path is a person's; `linked` when that path or its directory is a symbolic link."""

    path: str
    name: str | None
    kind: str | None
    mac: str | None
    derive: str | None
    scheme: str | None
    own: Own | None
    dropin: str
    occupied: bool = False
    linked: bool = False

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Network:
    """One .network with its drop-ins: its [Match] conditions and the bond it puts the link in."""

    path: str
    match: Match
    bond: str | None


class ConfigProblem(ValueError):
    """A configuration file bondhook cannot read as networkd would; str() names it and the fix."""


class NotLoaded(ConfigProblem):
    """A file networkd refuses to load (with its drop-ins): to both, as if it were not there."""


def dropin_path(netdev_path: str, dropin_dir: str = DROPIN_DIR) -> str:
    return f"{dropin_dir}/{netdev_path.rsplit('/', 1)[-1]}.d/{DROPIN_NAME}"


def read_entries(item: Text) -> tuple[Entry, ...]:
    if item.text is None:
        raise ConfigProblem(f"{item.path}: {item.problem or 'unreadable'}; fix its permissions or remove it")
    try:
        return parse(item.text)
    except SyntaxProblem as exc:
        raise NotLoaded(f"{item.path}: {exc}, so networkd ignores the file; fix that line") from exc


def content(target: Mac, source: str) -> str:
    """bondhook's drop-in, byte for byte: a file is bondhook's only while it reads exactly so."""
    return (
        "# Written by bondhook at every start of systemd-networkd; see bondhook(8).\n"
        "# To choose the MAC yourself, set MACAddress= in the .netdev or in a drop-in of your own;\n"
        f"# to opt out, put [{SECTION}] {KEY_DERIVE}=no there. bondhook then removes this file.\n"
        f"[NetDev]\nMACAddress={target}\n\n[{SECTION}]\n{KEY_MAC}={target}\n{KEY_SOURCE}={source}\n"
    )


def own_marker(dropin: Text, entries: Sequence[Entry]) -> Own | None:
    """bondhook's drop-in: its marker names the MAC and source, and the file is exactly what
    bondhook writes for them. Any edit (a key added, a comment, DeriveMAC=no) makes it a person's."""
    mac, source = parse_optional(last(entries, SECTION, KEY_MAC)), last(entries, SECTION, KEY_SOURCE)
    if mac is None or source is None or dropin.text != content(mac, source):
        return None
    return Own(dropin.path, str(mac), source)


def netdev(main: Text, dropins: Sequence[Text], dropin_dir: str = DROPIN_DIR, linked: bool = False) -> Netdev:
    """A .netdev and its drop-ins (in networkd's order: by file name); ConfigProblem when one
    cannot be read. bondhook's own drop-in is the one at its path under `dropin_dir`; `linked`:
    that path or its directory is a symbolic link, so nothing there is bondhook's."""
    ours = dropin_path(main.path, dropin_dir)
    entries = list(read_entries(main))
    own = None
    for dropin in dropins:
        found = read_entries(dropin)
        if not linked and dropin.path == ours and (own := own_marker(dropin, found)) is not None:
            continue
        entries.extend(found)
    occupied = own is None and not linked and any(dropin.path == ours for dropin in dropins)
    return Netdev(
        path=main.path,
        name=last(entries, "NetDev", "Name"),
        kind=last(entries, "NetDev", "Kind"),
        mac=last(entries, "NetDev", "MACAddress"),
        derive=last(entries, SECTION, KEY_DERIVE),
        scheme=last(entries, SECTION, KEY_SCHEME),
        own=own,
        dropin=ours,
        occupied=occupied,
        linked=linked,
    )


def network(main: Text, dropins: Sequence[Text]) -> Network:
    entries = [entry for item in (main, *dropins) for entry in read_entries(item)]
    return Network(path=main.path, match=read_match(entries), bond=last(entries, "Network", "Bond"))


def _by_file_name(networks: Sequence[Network]) -> list[Network]:
    return sorted(networks, key=lambda n: n.path.rsplit("/", 1)[-1])


def decision(networks: Sequence[Network], link: Link) -> tuple[Network | None, tuple[Network, ...]]:
    """The .network networkd applies to `link` (None: none), and the files before it that bondhook
    cannot evaluate for this link: when there are any, networkd may apply one of those instead."""
    unsure: list[Network] = []
    for net in _by_file_name(networks):
        if not net.match.valid:
            continue  # networkd ignores a file without a condition ("add Name=* to match all")
        result = test(net.match, link)
        if result:
            return net, tuple(unsure)
        if result is None:
            unsure.append(net)
    return None, tuple(unsure)


def _unsure_line(bond: str, net: Network, links: Sequence[str]) -> Message:
    keys = ", ".join(f"{key}=" for key in net.match.unevaluated)
    return Message(
        logging.ERROR,
        f"{bond}: {net.path} may take {', '.join(links)} before a file with Bond={bond} does: it matches on "
        f"{keys}, which bondhook cannot evaluate before networkd starts; drop-in left as it is; match that file by "
        f"{', '.join(f'{key}=' for key in EVALUATED)} or set MACAddress= in the .netdev",
    )


def ports(bond: str, networks: Sequence[Network], facts: Facts) -> tuple[tuple[str, ...], tuple[Message, ...]]:
    """The bond's ports in name order: every link the first matching .network (by file name) puts
    in the bond, and every exact Name= of such a file whose link is absent (so that its absence is
    reported). The lines say which links may be the bond's ports or not, as far as bondhook can
    tell: when there is one, nobody can say which port networkd enslaves."""
    found: set[str] = set()
    unsure: dict[str, tuple[Network, list[str]]] = {}
    for link in facts.links:
        if link.kind == "bond":
            continue
        chosen, before = decision(networks, link)
        outcomes = {net.bond for net in before} | {chosen.bond if chosen else None}
        if bond in outcomes and len(outcomes) > 1:
            unsure.setdefault(before[0].path, (before[0], []))[1].append(link.name)
        elif chosen is not None and chosen.bond == bond:
            found.add(link.name)
    for net in networks:
        if net.bond == bond:
            found.update(name for name in literal_names(net.match) if facts.get(name) is None)
    lines = tuple(_unsure_line(bond, net, sorted(links, key=name_order)) for net, links in unsure.values())
    return tuple(sorted(found, key=name_order)), lines


def expected(bond_names: Sequence[str], networks: Sequence[Network]) -> tuple[tuple[str, ...], tuple[Mac, ...]]:
    """What the boot-time run waits for before it decides: the exact interface names and the
    exact addresses that the bonds' port files match on. Globs are not waited for: nobody can
    say how many links they will match."""
    names: list[str] = []
    macs: list[Mac] = []
    for net in networks:
        if net.bond not in bond_names:
            continue
        names.extend(literal_names(net.match))
        macs.extend(Mac.from_bytes(raw) for raw in (*net.match.macs, *net.match.perms) if len(raw) == 6)
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(macs))


def makes_bond(dev: Netdev) -> bool:
    return dev.kind == "bond" and dev.name is not None


def owner(dev: Netdev) -> str:
    """Who sets the bond's MAC through networkd: a person (MACAddress= of theirs), bondhook
    (its marked drop-in), or none (networkd then hashes the machine-id and the name)."""
    if dev.mac:
        return "a person"
    return "bondhook" if dev.own else "none"


def configured_mac(dev: Netdev) -> str | None:
    """The MACAddress= networkd gives the bond: a person's, else bondhook's drop-in's, else none."""
    return dev.mac or (dev.own.mac if dev.own else None)


def hold(dev: Netdev) -> Hold | None:
    if dev.mac:
        return Hold(
            f"{dev.path} (or a drop-in) sets MACAddress={shown(dev.mac)}",
            "remove that MACAddress= to hand the bond to bondhook",
        )
    return None


def request(dev: Netdev, networks: Sequence[Network], facts: Facts) -> tuple[Request, tuple[Message, ...]]:
    """What the .netdev asks of bondhook; OptionError for a bad [X-Bondhook] value. networkd
    bonds opt in by default, as NetworkManager's: installing bondhook is the admin's choice."""
    assert dev.name is not None
    choice = parse_choice(dev.derive if dev.derive is not None else NM_DEFAULT_CHOICE)
    scheme = parse_scheme(dev.scheme)
    names, warnings = ports(dev.name, networks, facts)
    return Request(dev.name, choice, names, hold(dev), may_create=True, scheme=scheme), warnings


def bonds(netdevs: Sequence[Netdev]) -> tuple[Netdev, ...]:
    """The bond .netdevs networkd creates: of two files naming one device, the first by file name."""
    chosen: dict[str, Netdev] = {}
    for dev in sorted(netdevs, key=lambda d: d.file_name):
        if dev.name is not None:
            chosen.setdefault(dev.name, dev)
    return tuple(dev for dev in chosen.values() if makes_bond(dev))


def fix(path: str, upper: Link, lower: Link, mac: str) -> str:
    """A stacked device's MAC in the .netdev at `path` that creates it."""
    return f"set MACAddress={mac} in [NetDev] of {path}"
