"""The ifupdown edge: a bond stanza's options (from the hook's IF_* environment or from
ifquery) become a Request; `python3 -I -m bondhook.ifupdown` is the if-pre-up.d entry point."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from bondhook import deadline, hookmain, linkfs
from bondhook.apply import apply_request
from bondhook.errors import OutsideError
from bondhook.names import is_ifname, name_order
from bondhook.options import (
    BOND_DERIVE_MAC,
    BOND_DERIVE_MAC_SCHEME,
    env_name,
    parse_choice,
    parse_ports,
    parse_scheme,
)
from bondhook.plan import Facts, Hold, Request
from bondhook.text import decode, shown

log = logging.getLogger("bondhook")

# The stanza options a request is built from; ifupdown exports each as IF_<NAME>, and the hook
# script hands exactly these to Python (a test holds the two lists together).
STANZA_KEYS = (BOND_DERIVE_MAC.name, BOND_DERIVE_MAC_SCHEME.name, "bond-slaves", "slaves", "bond-master", "hwaddress")


class IfupdownError(OutsideError):
    """ifquery is not there; str() says so and how to fix it."""


def options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The hook's IF_* variables, under their stanza names."""
    found = {key: env.get(env_name(key), "") for key in STANZA_KEYS}
    return {key: value for key, value in found.items() if value}


def _ifquery(*args: str) -> tuple[int, str]:
    try:
        result = deadline.run(["ifquery", *args], "ifquery")
    except FileNotFoundError as exc:
        raise IfupdownError("ifquery not found; install ifupdown") from exc
    return result.returncode, decode(result.stdout)


def parse_ifquery(text: str) -> dict[str, str]:
    """`ifquery IFACE` prints one `option: value` line per option of the stanza."""
    options: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            options[key.strip()] = value.strip()
    return options


def query(iface: str) -> dict[str, str] | None:
    """A stanza's options through ifquery (ifupdown's own parser, with `source` and mappings);
    None when there is no such stanza."""
    if not is_ifname(iface):
        return None
    status, text = _ifquery("--", iface)
    return parse_ifquery(text) if status == 0 else None


def _ifquery_names(*args: str) -> list[str]:
    """Interface names an ifquery listing prints (`--state` prints NAME=LOGICAL)."""
    return [word.partition("=")[0] for word in _ifquery(*args)[1].split()]


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


def stanza_hold(options: Mapping[str, str]) -> Hold | None:
    """A person's choice in the stanza: a hand-set hwaddress, or an explicit opt-out."""
    value = options.get(BOND_DERIVE_MAC.name)
    opted_in = value is not None and parse_choice(value).enabled
    if options.get("hwaddress"):
        if opted_in:
            return Hold(f"both hwaddress and {BOND_DERIVE_MAC.name} are set", "remove one of them from its stanza")
        return Hold(
            f"its stanza sets hwaddress {shown(options['hwaddress'])}", "remove hwaddress to hand the MAC to bondhook"
        )
    if value is not None and not opted_in:
        return Hold(f"its stanza says {BOND_DERIVE_MAC.name} {shown(value)}", "change it to 'yes' or remove it")
    return None


def request_from_options(bond: str, options: Mapping[str, str], facts: Facts, may_create: bool) -> Request:
    """Build the request for one bond stanza; ValueError (with the fix) for a bad option,
    IfupdownError when the ports must come from ifquery and it is missing."""
    choice = parse_choice(options.get(BOND_DERIVE_MAC.name))
    scheme = parse_scheme(options.get(BOND_DERIVE_MAC_SCHEME.name))
    option = "bond-slaves" if options.get("bond-slaves") else "slaves"
    slaves = parse_ports(option, options.get(option) or "none")
    ports: tuple[str, ...]
    if slaves == ("none",):
        ports = master_ports(bond, facts)
    elif slaves == ("all",):
        ports = tuple(sorted((lk.name for lk in facts.links if lk.name.startswith("eth")), key=name_order))
    else:
        ports = slaves
    return Request(bond, choice, ports, stanza_hold(options), may_create, scheme)


def stanza_request(bond: str, facts: Facts) -> Request | None:
    """The request the pre-up hook would make for an existing bond (for the CLI)."""
    options = query(bond)
    return None if options is None else request_from_options(bond, options, facts, may_create=False)


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
        facts = linkfs.read_facts()
        request = request_from_options(bond, options, facts, may_create=True)
    except (ValueError, IfupdownError) as exc:
        log.error("%s: %s; MAC left unchanged", bond if is_ifname(bond) else shown(bond), exc)
        return
    apply_request(request, facts)


def main() -> int:
    """Never fails ifup: whatever happens is logged in one line and the exit status is 0."""
    iface = os.environ.get("IFACE", "")
    return hookmain.run(iface if is_ifname(iface) else "IFACE", lambda: hook(os.environ))


if __name__ == "__main__":
    sys.exit(main())
