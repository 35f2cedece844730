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

import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bondhook.networkd.unitfile import Entry, SyntaxProblem, last, listed, parse
from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.names import name_order
from bondhook.rules.options import (
    NM_DEFAULT_CHOICE,
    parse_choice,
    parse_scheme,
)
from bondhook.rules.plan import Facts, Hold, Link, Message, Request
from bondhook.rules.text import shown

# networkd's search path, highest priority first (systemd.network(5)); a file name found in an
# earlier directory hides the same name in later ones. /lib is listed for releases whose systemd
# still reads it; where it is a link to /usr/lib the I/O edge reads it once.
NETWORK_DIRS = (
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network",
    "/lib/systemd/network",
)
# Where bondhook writes: /etc, which outranks the others, so that its drop-in applies to a
# .netdev wherever it lives (netplan's are in /run).
DROPIN_DIR = NETWORK_DIRS[0]
DROPIN_NAME = "90-bondhook.conf"
SECTION = "X-Bondhook"
KEY_DERIVE = "DeriveMAC"
KEY_SCHEME = "Scheme"
KEY_MAC = "MAC"
KEY_SOURCE = "Source"
# Match keys bondhook evaluates against its fact snapshot; a .network matching on any other key
# is not used to find ports (networkd would need udev properties bondhook does not read).
MATCH_KEYS = ("Name", "MACAddress", "PermanentMACAddress")


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
    file and every drop-in but bondhook's; `own` is bondhook's drop-in when it carries its marker."""

    path: str
    name: str | None
    kind: str | None
    mac: str | None
    derive: str | None
    scheme: str | None
    own: Own | None
    dropin: str
    occupied: bool = False

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Network:
    """One .network with its drop-ins: its [Match] lists and the bond it puts the link in."""

    path: str
    match: dict[str, tuple[str, ...]]
    unsupported: tuple[str, ...]
    bond: str | None


class ConfigProblem(ValueError):
    """A configuration file bondhook cannot read as networkd would; str() names it and the fix."""


def dropin_path(netdev_path: str, dropin_dir: str = DROPIN_DIR) -> str:
    return f"{dropin_dir}/{netdev_path.rsplit('/', 1)[-1]}.d/{DROPIN_NAME}"


def read_entries(item: Text) -> tuple[Entry, ...]:
    if item.text is None:
        raise ConfigProblem(f"{item.path}: {item.problem or 'unreadable'}; fix its permissions or remove it")
    try:
        return parse(item.text)
    except SyntaxProblem as exc:
        raise ConfigProblem(f"{item.path}: {exc}; fix the file (networkd ignores that line)") from exc


def own_marker(dropin: Text, entries: Sequence[Entry]) -> Own | None:
    """bondhook's marker: [X-Bondhook] MAC= equal to the file's own [NetDev] MACAddress=. A
    file at bondhook's path that a person edited no longer matches and is theirs."""
    mac, marker = last(entries, "NetDev", "MACAddress"), last(entries, SECTION, KEY_MAC)
    if mac is None or marker is None or parse_optional(mac) is None or parse_optional(mac) != parse_optional(marker):
        return None
    return Own(dropin.path, mac, last(entries, SECTION, KEY_SOURCE) or "")


def netdev(main: Text, dropins: Sequence[Text], dropin_dir: str = DROPIN_DIR) -> Netdev:
    """A .netdev and its drop-ins (in networkd's order: by file name); ConfigProblem when one
    cannot be read. bondhook's own drop-in is the one at its path under `dropin_dir`."""
    ours = dropin_path(main.path, dropin_dir)
    entries = list(read_entries(main))
    own = None
    for dropin in dropins:
        found = read_entries(dropin)
        if dropin.path == ours and (own := own_marker(dropin, found)) is not None:
            continue
        entries.extend(found)
    occupied = own is None and any(dropin.path == ours for dropin in dropins)
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
    )


def network(main: Text, dropins: Sequence[Text]) -> Network:
    entries = [entry for item in (main, *dropins) for entry in read_entries(item)]
    keys = dict.fromkeys(entry.key for entry in entries if entry.section == "Match")
    return Network(
        path=main.path,
        match={key: listed(entries, "Match", key) for key in keys if key in MATCH_KEYS},
        unsupported=tuple(key for key in keys if key not in MATCH_KEYS),
        bond=last(entries, "Network", "Bond"),
    )


def _names_match(patterns: Sequence[str], name: str) -> bool:
    """systemd's list test: no '!'-pattern may match, and a positive one must if there are any."""
    positive = [p for p in patterns if not p.startswith("!")]
    negative = [p[1:] for p in patterns if p.startswith("!")]
    if any(fnmatch.fnmatchcase(name, p) for p in negative):
        return False
    return not positive or any(fnmatch.fnmatchcase(name, p) for p in positive)


def _macs_match(values: Sequence[str], mac: Mac | None) -> bool:
    return mac is not None and mac in {parse_optional(v) for v in values}


def matches(net: Network, link: Link) -> bool:
    """Whether networkd would apply `net` to `link`: all given keys must match, and a file with no
    [Match] condition matches nothing (networkd ignores it and says to write Name=*)."""
    match = net.match
    return bool(match) and (
        ("Name" not in match or _names_match(match["Name"], link.name))
        and ("MACAddress" not in match or _macs_match(match["MACAddress"], link.address))
        and ("PermanentMACAddress" not in match or _macs_match(match["PermanentMACAddress"], link.perm_address))
    )


def _literal_names(net: Network) -> tuple[str, ...]:
    return tuple(n for n in net.match.get("Name", ()) if not n.startswith("!") and not any(c in n for c in "*?["))


def ports(bond: str, networks: Sequence[Network], facts: Facts) -> tuple[tuple[str, ...], tuple[Message, ...]]:
    """The bond's ports in name order: every link whose first matching .network (file name order,
    as networkd picks one) says Bond=BOND, and every exact Name= of such a file whose link is
    absent (so that its absence is reported). Files matching on keys bondhook does not evaluate
    are left out, with one warning each when they name this bond."""
    usable = [n for n in sorted(networks, key=lambda n: n.path.rsplit("/", 1)[-1]) if not n.unsupported]
    warnings = tuple(
        Message(
            logging.WARNING,
            f"{bond}: {n.path} matches on {', '.join(n.unsupported)}, which bondhook does not evaluate; "
            f"its links are not counted as ports; match them with {' or '.join(MATCH_KEYS)}",
        )
        for n in networks
        if n.unsupported and n.bond == bond
    )
    found: set[str] = set()
    for link in facts.links:
        if link.kind == "bond":
            continue
        first = next((n for n in usable if matches(n, link)), None)
        if first is not None and first.bond == bond:
            found.add(link.name)
    for net in usable:
        if net.bond == bond:
            found.update(name for name in _literal_names(net) if facts.get(name) is None)
    return tuple(sorted(found, key=name_order)), warnings


def expected(bond_names: Sequence[str], networks: Sequence[Network]) -> tuple[tuple[str, ...], tuple[Mac, ...]]:
    """What the boot-time run waits for before it decides: the exact interface names and the
    exact addresses that the bonds' port files match on. Globs are not waited for: nobody can
    say how many links they will match."""
    names: list[str] = []
    macs: list[Mac] = []
    for net in networks:
        if net.bond not in bond_names or net.unsupported:
            continue
        names.extend(_literal_names(net))
        for key in ("MACAddress", "PermanentMACAddress"):
            macs.extend(m for m in (parse_optional(v) for v in net.match.get(key, ())) if m is not None)
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
