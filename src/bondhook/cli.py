"""`bondhook`: status, derive and apply, for admins and scripts.

Exit codes: 0 success; 1 the request could not be satisfied (one line on stderr says why and
how to fix it; nothing was changed); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from bondhook import __version__, ifupdown, logsetup, netlink, nm
from bondhook.apply import apply_request
from bondhook.mac import SCHEMES, Mac, derive
from bondhook.nmprofile import BOND, Profile, owner, profile_request
from bondhook.options import (
    AUTO,
    NM_KEYS,
    OPTIONS,
    Choice,
    is_ifname,
)
from bondhook.plan import BondStatus, Facts, Request, describe

log = logging.getLogger("bondhook")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _nm_dict(profile: Profile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {"profile": profile.id, "uuid": profile.uuid, "cloned_mac": profile.cloned_mac, "owner": owner(profile)}


def _status_dict(status: BondStatus, profile: Profile | None) -> dict[str, Any]:
    return {
        "bond": status.name,
        "mac": str(status.address) if status.address else None,
        "origin": status.origin,
        "traceable": status.traceable,
        "ports": list(status.ports),
        "derived_mac": str(status.derived) if status.derived else None,
        "source_port": status.source,
        "matches": status.matches,
        "configured": status.configured,
        "problem": status.problem,
        "networkmanager": _nm_dict(profile),
    }


def format_status(status: BondStatus, profile: Profile | None = None) -> list[str]:
    """The human view: one headline per bond, details indented, warnings spelled out."""
    lines = [f"{status.name}: {status.address or 'no address'} ({status.origin})"]
    lines.append(f"  ports: {' '.join(status.ports) or 'none'}")
    if status.derived:
        verdict = "matches" if status.matches else f"differs; run 'bondhook apply {status.name}'"
        lines.append(f"  derived: {status.derived} from {status.source} ({verdict})")
    lines.append(f"  bond-derive-mac: {'on' if status.configured else 'off or no ifupdown stanza'}")
    if profile is not None:
        value = profile.cloned_mac or "unset"
        lines.append(
            f"  NetworkManager: profile {profile.id!r}, cloned-mac-address {value} (owner: {nm.owner(profile)})"
        )
    if status.problem:
        lines.append(f"  problem: {status.problem}")
    if not status.traceable:
        lines.append(f"  warning: {status.address} is not traceable to any port; clones may share it")
    return lines


def _nm_profiles() -> list[Profile]:
    """NM's profiles when NM answers; an empty list (said at debug level) on hosts without it."""
    try:
        return nm.profiles()
    except nm.NMError as exc:
        log.debug("NetworkManager not consulted: %s", exc)
        return []


def _request(
    bond: str, facts: Facts, known: set[str], profile: Profile | None, everyone: list[Profile]
) -> Request | None:
    """The bond's configuration: its ifupdown stanza, else its NM profile, else none."""
    try:
        stanza = ifupdown.stanza_request(bond, facts) if bond in known else None
        if stanza is not None or profile is None:
            return stanza
        return profile_request(profile, everyone, facts)
    except ValueError:
        return None


def cmd_status(args: argparse.Namespace) -> int:
    facts = netlink.read_facts(assign_types=True)
    everyone = _nm_profiles() if facts.bonds() else []
    known = ifupdown.known_ifaces() if facts.bonds() else set()
    bond_profiles = {p.interface_name: p for p in everyone if p.type == BOND and p.interface_name}
    rows = []
    for bond in facts.bonds():
        profile = bond_profiles.get(bond.name)
        rows.append((describe(bond, facts, _request(bond.name, facts, known, profile, everyone)), profile))
    if args.json:
        print(json.dumps([_status_dict(status, profile) for status, profile in rows], indent=2))
    elif not rows:
        print("no bonds")
    else:
        print("\n".join(line for status, profile in rows for line in format_status(status, profile)))
    return EXIT_OK


def cmd_nm_sync(args: argparse.Namespace) -> int:
    try:
        plans = nm.sync(netlink.read_facts(), dry_run=args.dry_run)
    except nm.NMError as exc:
        log.error("nm-sync: %s; no profile changed; is NetworkManager running?", exc)
        return EXIT_FAILED
    nm.log_plans(plans, dry_run=args.dry_run)
    if not plans:
        log.info("nm-sync: no bond profiles")
    log.debug("nm-sync: %d bond profiles, %d D-Bus calls", len(plans), nm.calls_made())
    return EXIT_OK


def cmd_derive(args: argparse.Namespace) -> int:
    try:
        source = Mac.parse(args.mac)
        avoid = [Mac.parse(text) for text in args.avoid]
    except ValueError as exc:
        log.error("%s; write it as 52:54:00:c8:76:09", exc)
        return EXIT_FAILED
    if not source.is_usable_source:
        log.error("%s is all-zero, broadcast or multicast and identifies no NIC; give a port's permanent MAC", source)
        return EXIT_FAILED
    print(derive(source, avoid, args.scheme))
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    if not is_ifname(args.bond) or (args.source is not None and not is_ifname(args.source)):
        log.error("%s: not an interface name; give the bond's name as 'ip link' shows it", args.bond)
        return EXIT_FAILED
    facts = netlink.read_facts()
    try:
        stanza = ifupdown.stanza_request(args.bond, facts)
    except ValueError as exc:
        log.error("%s: %s", args.bond, exc)
        return EXIT_FAILED
    choice = Choice(enabled=True, port=args.source) if args.source else AUTO
    request = Request(
        args.bond,
        choice,
        stanza.ports if stanza else (),
        stanza.hwaddress if stanza else None,
        scheme=stanza.scheme if stanza else "02",
    )
    return EXIT_OK if apply_request(request, facts, dry_run=args.dry_run) else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    options = "\n".join(f"  {opt.name} {opt.values}\n      {opt.help}" for opt in OPTIONS)
    keys = "\n".join(f"  {key.key}\n      {key.help}" for key in NM_KEYS)
    parser = argparse.ArgumentParser(
        prog="bondhook",
        description="Give every bond a locally administered MAC derived from a port's permanent MAC.",
        epilog=f"/etc/network/interfaces options:\n{options}\n\n"
        f"NetworkManager bond profiles' user data:\n{keys}\n\n"
        "exit codes: 0 success, 1 request not satisfied (nothing changed), 2 usage error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bondhook {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True)

    status = sub.add_parser(
        "status",
        help="explain every bond's MAC",
        description="Explain every bond's MAC: where it came from, what bondhook derives, and whether they match.",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    derive_cmd = sub.add_parser(
        "derive",
        help="print the bond MAC derived from a port MAC",
        description="Print the bond MAC derived from a port's permanent MAC.",
    )
    derive_cmd.add_argument("mac", help="a port's permanent MAC, e.g. 52:54:00:c8:76:09")
    derive_cmd.add_argument(
        "--avoid",
        action="append",
        default=[],
        metavar="MAC",
        help="permanent MAC of another port of the bond (repeatable)",
    )
    derive_cmd.add_argument("--scheme", choices=SCHEMES, default="02", help="02 (default) or ul-bit")
    derive_cmd.set_defaults(func=cmd_derive)

    apply_cmd = sub.add_parser(
        "apply", help="set a bond's derived MAC now", description="Set an existing bond's derived MAC now, in place."
    )
    apply_cmd.add_argument("bond", help="the bond, e.g. bond0")
    apply_cmd.add_argument("--source", metavar="PORT", help="derive from this port instead of the first eligible")
    apply_cmd.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    apply_cmd.set_defaults(func=cmd_apply)

    sync_cmd = sub.add_parser(
        "nm-sync",
        help="write derived MACs into NetworkManager bond profiles",
        description="Write each NetworkManager bond profile's derived MAC (ethernet.cloned-mac-address) "
        "and bondhook's user data; profiles whose cloned MAC a person set, or that opt out, are left alone.",
    )
    sync_cmd.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    sync_cmd.set_defaults(func=cmd_nm_sync)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logsetup.setup(verbose=args.verbose)
    try:
        return int(args.func(args))
    except netlink.KernelError as exc:
        log.error("%s", exc)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
