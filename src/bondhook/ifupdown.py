"""The ifupdown edge: a bond stanza's options (from the hook's IF_* environment or from
ifquery) become a Request; `python3 -m bondhook.ifupdown` is the if-pre-up.d entry point."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping

from bondhook import logsetup, netlink
from bondhook.apply import apply_request
from bondhook.options import BOND_DERIVE_MAC, BOND_DERIVE_MAC_SCHEME, env_name, is_ifname, parse_choice, parse_scheme
from bondhook.plan import Facts, Request, name_order

log = logging.getLogger("bondhook")

# The stanza options a request is built from; ifupdown exports each as IF_<NAME>.
STANZA_KEYS = (BOND_DERIVE_MAC.name, BOND_DERIVE_MAC_SCHEME.name, "bond-slaves", "slaves", "bond-master", "hwaddress")


def options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The hook's IF_* variables, under their stanza names."""
    found = {key: env.get(env_name(key), "") for key in STANZA_KEYS}
    return {key: value for key, value in found.items() if value}


def query(iface: str) -> dict[str, str] | None:
    """A stanza's options through ifquery (ifupdown's own parser, with `source` and mappings);
    None when there is no such stanza or no ifupdown."""
    if not is_ifname(iface) or shutil.which("ifquery") is None:
        return None
    result = subprocess.run(["ifquery", iface], capture_output=True, text=True, timeout=10, check=False)
    if result.returncode != 0:
        return None
    options: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            options[key.strip()] = value.strip()
    return options


def _ifquery_names(*args: str) -> list[str]:
    """Interface names an ifquery listing prints (`--state` prints NAME=LOGICAL)."""
    if shutil.which("ifquery") is None:
        return []
    result = subprocess.run(["ifquery", *args], capture_output=True, text=True, timeout=10, check=False)
    return [word.partition("=")[0] for word in result.stdout.split()]


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


def request_from_options(bond: str, options: Mapping[str, str], facts: Facts, may_create: bool) -> Request:
    """Build the request for one bond stanza; ValueError (with the fix) for a bad option."""
    choice = parse_choice(options.get(BOND_DERIVE_MAC.name))
    scheme = parse_scheme(options.get(BOND_DERIVE_MAC_SCHEME.name))
    slaves = (options.get("bond-slaves") or options.get("slaves") or "none").split()
    ports: tuple[str, ...]
    if slaves == ["none"]:
        ports = master_ports(bond, facts)
    elif slaves == ["all"]:
        ports = tuple(sorted((lk.name for lk in facts.links if lk.name.startswith("eth")), key=name_order))
    else:
        ports = tuple(name for name in slaves if is_ifname(name))
    return Request(bond, choice, ports, options.get("hwaddress") or None, may_create, scheme)


def stanza_request(bond: str, facts: Facts) -> Request | None:
    """The request the pre-up hook would make for an existing bond (for the CLI)."""
    options = query(bond)
    return None if options is None else request_from_options(bond, options, facts, may_create=False)


def hook(env: Mapping[str, str]) -> None:
    """if-pre-up.d: give an opted-in bond its MAC before ifenslave creates or enslaves it."""
    bond = env.get("IFACE", "")
    options = options_from_env(env)
    if not is_ifname(bond) or options.get("bond-master"):
        return
    try:
        facts = netlink.read_facts()
        request = request_from_options(bond, options, facts, may_create=True)
    except ValueError as exc:
        log.error("%s: %s; MAC left unchanged", bond, exc)
        return
    except netlink.KernelError as exc:
        log.error("%s: cannot read the interfaces: %s; MAC left unchanged", bond, exc)
        return
    apply_request(request, facts)


def main() -> int:
    """Never fails ifup: whatever happens is logged in one line and the exit status is 0."""
    logsetup.setup(syslog=True)
    try:
        hook(os.environ)
    except Exception as exc:  # noqa: BLE001 - networking comes first; the line says what broke
        iface = os.environ.get("IFACE")
        log.error("%s: internal error %s: %s; MAC left unchanged; please report it", iface, type(exc).__name__, exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
