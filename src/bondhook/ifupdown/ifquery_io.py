"""The ifupdown edge: ifquery (ifupdown's own parser) and the hook's work, which turn a bond
stanza's options into a Request and apply it."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bondhook.errors import OutsideError
from bondhook.ifupdown.stanza import fix, options_from_env, parse_ifquery, stanza_hold
from bondhook.kernel import sysfs_io
from bondhook.kernel.apply_io import apply_request
from bondhook.rules.names import is_ifname, name_order
from bondhook.rules.options import BOND_DERIVE_MAC, BOND_DERIVE_MAC_SCHEME, parse_choice, parse_ports, parse_scheme
from bondhook.rules.plan import Facts, Request
from bondhook.rules.text import decode, shown
from bondhook.runtime import deadline_io

TYPE_CHECKING = False  # the hook imports this module: no typing, and not stack's ipaddress
if TYPE_CHECKING:
    from bondhook.rules.stack import Fixer

log = logging.getLogger("bondhook")


class IfupdownError(OutsideError):
    """ifquery is not there; str() says so and how to fix it."""


# Debian's ifupdown2 (and upstream's, and Proxmox VE's builds) installs its ifup, ifdown, ifquery
# and ifreload as links to this one program; the two packages conflict, so one of them is here.
IFUPDOWN2_PROGRAM = "/usr/share/ifupdown2/ifupdown2"


def is_ifupdown2() -> bool:
    """Whether the ifquery on PATH is ifupdown2's (its output and options differ from ifupdown's)."""
    found = shutil.which("ifquery", path="/usr/sbin:/usr/bin:/sbin:/bin")
    return found is not None and os.path.realpath(found) == os.path.realpath(IFUPDOWN2_PROGRAM)


def run_ifquery(*args: str) -> tuple[int, str]:
    """ifquery's exit status and output (bounded like every wait); IfupdownError when it is missing."""
    try:
        result = deadline_io.run(["ifquery", *args], "ifquery")
    except FileNotFoundError as exc:
        raise IfupdownError("ifquery not found; install ifupdown") from exc
    return result.returncode, decode(result.stdout)


def query(iface: str) -> dict[str, str] | None:
    """A stanza's options through ifquery (ifupdown's own parser, with `source` and mappings);
    None when there is no such stanza."""
    if not is_ifname(iface):
        return None
    status, text = run_ifquery("--", iface)
    return parse_ifquery(text) if status == 0 else None


def _ifquery_names(*args: str) -> list[str]:
    """Interface names an ifquery listing prints (`--state` prints NAME=LOGICAL)."""
    return [word.partition("=")[0] for word in run_ifquery(*args)[1].split()]


def listed_ifaces(bond: str) -> list[str]:
    """Stanza names ifupdown brings up by itself: auto, allow-hotplug and allow-<bond>."""
    return [name for allow in ("auto", "hotplug", bond) for name in _ifquery_names("--list", f"--allow={allow}")]


def known_ifaces() -> set[str]:
    """Interfaces ifupdown configures (auto, allow-hotplug) or has brought up: for `status`,
    three ifquery runs instead of one per bond."""
    return {*_ifquery_names("--list"), *_ifquery_names("--list", "--allow=hotplug"), *_ifquery_names("--state")}


def master_ports(bond: str, facts: Facts) -> tuple[str, ...]:
    """With `bond-slaves none`, the ports are the stanzas saying `bond-master <bond>`: those
    ifupdown lists and those of existing links, in name order (never file or boot order)."""
    names = {*listed_ifaces(bond), *(link.name for link in facts.links if link.perm_address)}
    names.discard(bond)
    ports = [name for name in names if is_ifname(name) and (query(name) or {}).get("bond-master") == bond]
    return tuple(sorted(ports, key=name_order))


def request_from_options(
    bond: str,
    options: Mapping[str, str],
    facts: Facts,
    may_create: bool,
    masters: Callable[[str, Facts], tuple[str, ...]] = master_ports,
) -> Request:
    """Build the request for one bond stanza; ValueError (with the fix) for a bad option,
    IfupdownError when the ports must come from ifquery and it is missing. `masters` finds the
    ports of a bond with `bond-slaves none` (ifupdown2 reads them from its own parse)."""
    choice = parse_choice(options.get(BOND_DERIVE_MAC.name))
    scheme = parse_scheme(options.get(BOND_DERIVE_MAC_SCHEME.name))
    option = "bond-slaves" if options.get("bond-slaves") else "slaves"
    slaves = parse_ports(option, options.get(option) or "none")
    ports: tuple[str, ...]
    if slaves == ("none",):
        ports = masters(bond, facts)
    elif slaves == ("all",):
        ports = tuple(sorted((lk.name for lk in facts.links if lk.name.startswith("eth")), key=name_order))
    else:
        ports = slaves
    return Request(bond, choice, ports, stanza_hold(options), may_create, scheme)


def stanza_request(bond: str, facts: Facts) -> Request | None:
    """The request the pre-up hook would make for an existing bond (for the CLI)."""
    options = query(bond)
    return None if options is None else request_from_options(bond, options, facts, may_create=False)


@dataclass(frozen=True)
class Stanzas:
    """ifupdown's side of `status` and `apply`: the interfaces it configures; a bond's request is
    asked of ifquery, as the hook would make it."""

    known: frozenset[str]

    def request(self, bond: str, facts: Facts) -> Request | None:
        return stanza_request(bond, facts) if bond in self.known else None

    def view(self, bond: str) -> None:
        return None

    def fixers(self) -> dict[str, Fixer]:
        return dict.fromkeys(self.known, fix)


def read_config() -> Stanzas:
    """The interfaces ifupdown knows; none where ifquery is missing or is ifupdown2's (said with -v)."""
    if is_ifupdown2():
        log.debug("ifupdown not consulted: ifquery is ifupdown2's")
        return Stanzas(frozenset())
    try:
        return Stanzas(frozenset(known_ifaces()))
    except OutsideError as exc:
        log.debug("ifupdown not consulted: %s", exc)
        return Stanzas(frozenset())


def hook(env: Mapping[str, str]) -> None:
    """if-pre-up.d: give an opted-in bond its MAC before ifenslave creates or enslaves it."""
    bond = env.get("IFACE", "")
    options = options_from_env(env)
    if options.get("bond-master"):
        return  # a port's stanza: its bond's stanza decides
    try:
        if not parse_choice(options.get(BOND_DERIVE_MAC.name)).enabled:
            return
        if not is_ifname(bond):
            log.error("IFACE %s is not an interface name; MAC left unchanged; check the stanza's name", shown(bond))
            return
        facts = sysfs_io.read_facts()
        request = request_from_options(bond, options, facts, may_create=True)
    except (ValueError, IfupdownError) as exc:
        log.error("%s: %s; MAC left unchanged", bond if is_ifname(bond) else shown(bond), exc)
        return
    apply_request(request, facts)
