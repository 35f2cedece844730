"""`bondhook`: status, check, derive, apply, nm-sync, nm-release, networkd-sync and networkd-release,
for admins, scripts and the package's systemd unit.

Exit codes: 0 success; 1 the request could not be satisfied (one line on stderr says why and
how to fix it; nothing was changed); 2 usage error. `check`: 0 no twin seen, 1 a twin seen, 2
could not check. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bondhook import __version__, deadline, frames, ifupdown, linkfs, logsetup, networkd, networkdfs, stack, wire
from bondhook.apply import apply_request
from bondhook.errors import OutsideError
from bondhook.mac import SCHEMES, Mac, derive
from bondhook.names import is_ifname
from bondhook.nmprofile import BOND, Profile, ProfilePlan, owner, profile_request
from bondhook.options import AUTO, NM_KEYS, OPTIONS, Choice
from bondhook.plan import BondStatus, Facts, Link, Request, describe
from bondhook.stack import Owner, Upper
from bondhook.text import shown

log = logging.getLogger("bondhook")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# NetworkManager is not there: normal on a host without it, said only with -v.
_NO_NM = ("no /run/dbus", "ServiceUnknown", "NameHasNoOwner")


def _nm_dict(profile: Profile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {"profile": profile.id, "uuid": profile.uuid, "cloned_mac": profile.cloned_mac, "owner": owner(profile)}


def _networkd_dict(dev: networkd.Netdev | None) -> dict[str, Any] | None:
    if dev is None:
        return None
    mac, dropin = networkd.configured_mac(dev), dev.own.path if dev.own else None
    return {"netdev": dev.path, "mac": mac, "owner": networkd.owner(dev), "dropin": dropin}


def _upper_dict(upper: Upper) -> dict[str, Any]:
    return {
        "name": upper.name,
        "kind": upper.kind,
        "lower": upper.lower,
        "mac": str(upper.address) if upper.address else None,
        "origin": upper.origin,
        "traceable": upper.traceable,
        "fix": upper.fix,
        "dad_failed": list(upper.dad_failed),
    }


@dataclass(frozen=True)
class Row:
    """One bond as `status` shows it: its MAC explained, its configuration, what is stacked on it."""

    status: BondStatus
    profile: Profile | None = None
    dev: networkd.Netdev | None = None
    uppers: tuple[Upper, ...] = ()
    dad_failed: tuple[str, ...] = ()


def _status_dict(row: Row) -> dict[str, Any]:
    status, profile, dev = row.status, row.profile, row.dev
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
        "held_by": status.held,
        "problem": status.problem,
        "networkmanager": _nm_dict(profile),
        "networkd": _networkd_dict(dev),
        "dad_failed": list(row.dad_failed),
        "uppers": [_upper_dict(upper) for upper in row.uppers],
    }


def _dad_line(name: str, addresses: tuple[str, ...]) -> str:
    return (
        f"warning: {name}'s {' '.join(addresses)} failed duplicate address detection: another host on the link "
        "has this MAC; see 'bondhook check'"
    )


def format_upper(upper: Upper) -> list[str]:
    indent = "  " * (upper.depth + 1)
    lines = [f"{indent}{upper.name} ({upper.kind} on {upper.lower}): {upper.address or 'no address'} ({upper.origin})"]
    if not upper.traceable:
        lines.append(f"{indent}  warning: not traceable to any port; clones may share it; fix: {upper.fix}")
    if upper.dad_failed:
        lines.append(f"{indent}  {_dad_line(upper.name, upper.dad_failed)}")
    return lines


def format_status(row: Row) -> list[str]:
    """The human view: one headline per bond, details indented, warnings spelled out."""
    status, profile, dev = row.status, row.profile, row.dev
    lines = [f"{status.name}: {status.address or 'no address'} ({status.origin})"]
    lines.append(f"  ports: {' '.join(status.ports) or 'none'}")
    if status.derived:
        if status.matches:
            verdict = "matches"
        elif status.held:
            verdict = f"differs; left alone: {status.held}"
        else:
            verdict = f"differs; run 'bondhook apply {status.name}'"
        lines.append(f"  derived: {status.derived} from {status.source} ({verdict})")
    lines.append(f"  bond-derive-mac: {'on' if status.configured else 'off or no ifupdown stanza'}")
    if profile is not None:
        value = profile.cloned_mac or "unset"
        lines.append(
            f"  NetworkManager: profile {shown(profile.id)}, cloned-mac-address {value} (owner: {owner(profile)})"
        )
    if dev is not None:
        value = networkd.configured_mac(dev) or "unset"
        lines.append(f"  systemd-networkd: {dev.path}, MACAddress {value} (owner: {networkd.owner(dev)})")
    if status.problem:
        lines.append(f"  problem: {status.problem}")
    if not status.traceable:
        lines.append(f"  warning: {status.address} is not traceable to any port; clones may share it")
    if row.dad_failed:
        lines.append(f"  {_dad_line(status.name, row.dad_failed)}")
    if row.uppers:
        lines.append("  stacked on it:")
        lines.extend(line for upper in row.uppers for line in format_upper(upper))
    return lines


def _nm_profiles() -> list[Profile]:
    """NM's profiles when NM answers; an empty list on hosts without it (said with -v), one
    warning line when it is there but fails."""
    from bondhook import nm

    try:
        return nm.profiles()
    except OutsideError as exc:
        level = logging.DEBUG if any(mark in str(exc) for mark in _NO_NM) else logging.WARNING
        log.log(level, "NetworkManager not consulted: %s", exc)
        return []


def _known_ifaces() -> set[str]:
    try:
        return ifupdown.known_ifaces()
    except OutsideError as exc:
        log.debug("ifupdown not consulted: %s", exc)
        return set()


NetworkdConfig = tuple[dict[str, networkd.Netdev], tuple[networkd.Network, ...]]


def _networkd_load() -> tuple[NetworkdConfig, tuple[networkd.Netdev, ...]]:
    """networkd's bond .netdevs by bond name with its .networks, and every .netdev; a file
    bondhook cannot read is said once."""
    config = networkdfs.load()
    for problem in config.problems:
        log.warning("systemd-networkd configuration not fully read: %s", problem)
    bonds = {dev.name: dev for dev in networkd.bonds(config.netdevs) if dev.name}
    return (bonds, config.networks), tuple(config.netdevs)


def _networkd_bonds() -> NetworkdConfig:
    return _networkd_load()[0]


def _config(
    bond: str,
    facts: Facts,
    known: set[str],
    profile: Profile | None,
    everyone: list[Profile],
    networkd_config: NetworkdConfig = ({}, ()),
) -> tuple[Request | None, str | None]:
    """The bond's configuration (its ifupdown stanza, else its NM profile, else its networkd
    .netdev, else none), with a person's hold from any of them; or why it could not be read."""
    netdevs, networks = networkd_config
    try:
        stanza = ifupdown.stanza_request(bond, facts) if bond in known else None
        from_nm = profile_request(profile, everyone, facts) if profile is not None else None
        from_networkd = networkd.request(netdevs[bond], networks, facts)[0] if bond in netdevs else None
    except (ValueError, OutsideError) as exc:
        return None, str(exc)
    found = [r for r in (stanza, from_nm, from_networkd) if r is not None]
    if not found:
        return None, None
    hold = next((r.hold for r in found if r.hold is not None), None)
    return replace(found[0], hold=hold), None


def _bond_profiles(everyone: list[Profile]) -> dict[str, Profile]:
    return {p.interface_name: p for p in everyone if p.type == BOND and p.interface_name}


def _owners(known: set[str], everyone: list[Profile], netdevs: tuple[networkd.Netdev, ...]) -> dict[str, Owner]:
    """Who creates each named device, for the fix lines of devices stacked on bonds."""
    owners = {dev.name: Owner(stack.NETWORKD, dev.path) for dev in netdevs if dev.name}
    owners.update({p.interface_name: Owner(stack.NM, shown(p.id)) for p in everyone if p.interface_name})
    owners.update({name: Owner(stack.IFUPDOWN, name) for name in known})
    return owners


def _uppers(
    bond: Link, facts: Facts, status: BondStatus, owners: dict[str, Owner], dad: stack.Failures
) -> tuple[Upper, ...]:
    """What is stacked on the bond, each fix offering a derivation of the bond's source port."""
    source = facts.get(status.source) if status.source else None
    return stack.uppers(bond, facts, status.traceable, source.perm_address if source else None, owners, dad)


def cmd_status(args: argparse.Namespace) -> int:
    facts = linkfs.read_facts()
    any_bond = bool(facts.bonds())
    everyone = _nm_profiles() if any_bond else []
    known = _known_ifaces() if any_bond else set()
    bond_profiles = _bond_profiles(everyone)
    networkd_config, netdevs = _networkd_load() if any_bond else (({}, ()), ())
    owners = _owners(known, everyone, netdevs)
    dad = stack.dad_failures(linkfs.if_inet6()) if any_bond else {}
    rows = []
    for bond in facts.bonds():
        profile = bond_profiles.get(bond.name)
        request, problem = _config(bond.name, facts, known, profile, everyone, networkd_config)
        status = describe(bond, facts, request, problem)
        uppers = _uppers(bond, facts, status, owners, dad)
        rows.append(Row(status, profile, networkd_config[0].get(bond.name), uppers, dad.get(bond.name, ())))
    if args.json:
        print(json.dumps([_status_dict(row) for row in rows], indent=2))
    elif not rows:
        print("no bonds")
    else:
        print("\n".join(line for row in rows for line in format_status(row)))
    return EXIT_OK


LISTEN_DEFAULT, LISTEN_MAX = 5.0, 60.0


def _listen_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.5 <= seconds <= LISTEN_MAX:
        raise argparse.ArgumentTypeError(f"give seconds from 0.5 to {LISTEN_MAX:.0f}, not {shown(text)}")
    return seconds


def _check_target(name: str, facts: Facts) -> tuple[frozenset[Mac], str | None]:
    """The MACs to watch on one bond, or why it cannot be checked (and what to do)."""
    if not is_ifname(name):
        return frozenset(), f"{shown(name)}: not an interface name; give a bond as 'ip link' shows it"
    link = facts.get(name)
    if link is None or link.kind != "bond":
        what = "no such device" if link is None else f"a {link.kind or 'plain'} device, not a bond"
        return frozenset(), f"{name}: {what}; give a bond ('bondhook status' lists them)"
    state = linkfs.operstate(name)
    if state not in ("up", "unknown"):
        return frozenset(), f"{name}: its link is {state or 'gone'}, so nothing reaches it; bring it up first"
    watched = stack.addresses(link, facts)
    if not watched:
        return frozenset(), f"{name}: has no MAC to watch"
    return watched, None


def _check_dict(watch: wire.Watch, seconds: float) -> dict[str, Any]:
    samples = [
        {"at": round(at, 3), "source": str(seen.source), "ethertype": seen.ethertype, "vlan": seen.vlan}
        for at, seen in watch.samples
    ]
    twins = watch.counts.get(frames.TWIN, 0)
    return {
        "bond": watch.bond,
        "verdict": "twin" if twins else "none",
        "watched": sorted(str(mac) for mac in watch.watched),
        "seconds": seconds,
        "received": watch.received,
        "twin_frames": twins,
        "looped_frames": watch.counts.get(frames.LOOPED, 0),
        "odd_frames": watch.counts.get(frames.ODD, 0),
        "probes": watch.probes,
        "samples": samples,
    }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def format_check(result: dict[str, Any]) -> list[str]:
    """A check's verdict for one bond, with the frames that prove it."""
    bond, seconds = result["bond"], result["seconds"]
    watched = ", ".join(result["watched"])
    probes = f"{_count(result['probes'], 'probe')} sent"
    if result["verdict"] == "twin":
        lines = [
            f"{bond}: TWIN: {_count(result['twin_frames'], 'frame')} from another host with this host's MAC "
            f"({watched}) in {seconds:g} s; {probes}"
        ]
        for sample in result["samples"]:
            vlan = f"VLAN {sample['vlan']}" if sample["vlan"] is not None else "no VLAN"
            kind = frames.ethertype_name(sample["ethertype"])
            lines.append(f"  at {sample['at']:.1f} s: from {sample['source']}, {kind}, {vlan}")
    else:
        frames_seen = _count(result["received"], "frame")
        lines = [f"{bond}: no twin seen in {seconds:g} s (watched {watched}; {frames_seen}; {probes})"]
    if result["looped_frames"]:
        looped = _count(result["looped_frames"], "frame")
        lines.append(f"  note: {looped} of this host's own came back (a loop or a hub)")
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    facts = linkfs.read_facts()
    names = args.bonds or [bond.name for bond in facts.bonds()]
    if not names:
        log.error("check: no bonds on this host; nothing to check")
        return EXIT_USAGE
    names = list(dict.fromkeys(names))
    results: dict[str, dict[str, Any]] = {}
    targets = []
    for name in names:
        watched, reason = _check_target(name, facts)
        if reason:
            log.error("check: %s", reason)
            results[name] = {"bond": name, "verdict": "unchecked", "reason": reason}
        else:
            targets.append((name, watched))
    if targets:
        try:
            watches = wire.check(targets, args.listen, probe=not args.passive)
        except wire.WireError as exc:
            log.error("check: %s; nothing checked", exc)
            return EXIT_USAGE
        results.update({watch.bond: _check_dict(watch, args.listen) for watch in watches})
    ordered = [results[name] for name in names]
    checked = [result for result in ordered if result["verdict"] != "unchecked"]
    if args.json:
        print(json.dumps(ordered, indent=2))
    elif checked:
        print("\n".join(line for result in checked for line in format_check(result)))
    if any(result["verdict"] == "twin" for result in checked):
        return EXIT_FAILED
    return EXIT_OK if len(checked) == len(ordered) else EXIT_USAGE


def _nm_command(name: str, work: Callable[[], list[ProfilePlan]], dry_run: bool, nothing: str) -> int:
    """nm-sync and nm-release: one D-Bus session, each profile's lines, one line on failure."""
    from bondhook import nm

    try:
        plans = work()
    except OutsideError as exc:
        log.error("%s: %s; no profile changed; is NetworkManager running?", name, exc)
        return EXIT_FAILED
    nm.log_plans(plans, dry_run=dry_run)
    if not plans:
        log.info("%s: %s", name, nothing)
    log.debug("%s: %d profiles, %d D-Bus calls", name, len(plans), nm.calls_made())
    return EXIT_OK


def cmd_nm_sync(args: argparse.Namespace) -> int:
    from bondhook import nm

    return _nm_command(
        "nm-sync", lambda: nm.sync(linkfs.read_facts(), dry_run=args.dry_run), args.dry_run, "no bond profiles"
    )


def cmd_nm_release(args: argparse.Namespace) -> int:
    from bondhook import nm

    nothing = "no profile holds anything bondhook wrote"
    return _nm_command("nm-release", lambda: nm.release(dry_run=args.dry_run), args.dry_run, nothing)


def cmd_networkd_sync(args: argparse.Namespace) -> int:
    return EXIT_OK if networkdfs.sync(args.wait, dry_run=args.dry_run) else EXIT_FAILED


def cmd_networkd_release(args: argparse.Namespace) -> int:
    if not networkdfs.release(dry_run=args.dry_run):
        log.info("networkd-release: no drop-in of bondhook's found")
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
    for name in (args.bond, args.source):
        if name is not None and not is_ifname(name):
            log.error("%s: not an interface name; give the name as 'ip link' shows it", shown(name))
            return EXIT_FAILED
    facts = linkfs.read_facts()
    everyone = _nm_profiles()
    profile = _bond_profiles(everyone).get(args.bond)
    config, problem = _config(args.bond, facts, _known_ifaces(), profile, everyone, _networkd_bonds())
    if problem:
        log.error("%s: %s; MAC left unchanged", args.bond, problem)
        return EXIT_FAILED
    request = Request(
        args.bond,
        Choice(enabled=True, port=args.source) if args.source else AUTO,
        config.ports if config else (),
        config.hold if config else None,
        scheme=config.scheme if config else "02",
    )
    return EXIT_OK if apply_request(request, facts, dry_run=args.dry_run) else EXIT_FAILED


def _subcommand(
    sub: Any, name: str, func: Callable[[argparse.Namespace], int], help_text: str, description: str
) -> argparse.ArgumentParser:
    """A command that changes something: it takes --dry-run."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=description)
    parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    parser.set_defaults(func=func)
    return parser


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

    check = sub.add_parser(
        "check",
        help="listen for a twin: another host using this host's bond MACs",
        description="Listen on each bond (all by default) for frames that carry its MAC, or a MAC stacked on it, "
        "as source but that another host sent, and send one probe per MAC halfway through that a twin answers. "
        "Changes nothing; no promiscuous mode. Exit 0: no twin seen, 1: twin seen, 2: could not check.",
    )
    check.add_argument("bonds", nargs="*", metavar="BOND", help="bonds to check (default: every bond)")
    check.add_argument(
        "--listen",
        type=_listen_seconds,
        default=LISTEN_DEFAULT,
        metavar="SECONDS",
        help=f"how long to listen (default {LISTEN_DEFAULT:g}, at most {LISTEN_MAX:g})",
    )
    check.add_argument("--passive", action="store_true", help="send no probe: listen only")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_check)

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

    apply_cmd = _subcommand(
        sub,
        "apply",
        cmd_apply,
        "set a bond's derived MAC now",
        "Set an existing bond's derived MAC now, in place. Refused (exit 1) where a person chose "
        "otherwise: hwaddress or 'bond-derive-mac no' in its stanza, a cloned MAC they set or "
        "bondhook.derive-mac=no in its NetworkManager profile, a MACAddress= of theirs for systemd-networkd.",
    )
    apply_cmd.add_argument("bond", help="the bond, e.g. bond0")
    apply_cmd.add_argument("--source", metavar="PORT", help="derive from this port instead of the first eligible")
    _subcommand(
        sub,
        "nm-sync",
        cmd_nm_sync,
        "write derived MACs into NetworkManager bond profiles",
        "Write each NetworkManager bond profile's derived MAC (ethernet.cloned-mac-address) "
        "and bondhook's user data; profiles whose cloned MAC a person set, or that opt out, are left alone.",
    )
    _subcommand(
        sub,
        "nm-release",
        cmd_nm_release,
        "take out of NetworkManager profiles what bondhook wrote",
        "Remove from every NetworkManager profile what bondhook wrote: the cloned MAC where "
        "bondhook's marker matches it, and the bondhook.mac and bondhook.source keys. What a person set stays. "
        "The package does this when it is removed.",
    )
    networkd_sync = _subcommand(
        sub,
        "networkd-sync",
        cmd_networkd_sync,
        "write derived MACs into systemd-networkd drop-ins",
        f"For every bond a .netdev makes (netplan's included), write {networkd.DROPIN_DIR}/"
        f"FILE.netdev.d/{networkd.DROPIN_NAME} with the derived MACAddress=, so that networkd creates the bond "
        "with it. Left alone: bonds with a MACAddress= a person set, and those opting out with "
        f"[{networkd.SECTION}] {networkd.KEY_DERIVE}=no. The package's bondhook-networkd.service runs this "
        "before systemd-networkd at every boot.",
    )
    networkd_sync.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait at most this long for udev to show the ports' NICs (default 0)",
    )
    _subcommand(
        sub,
        "networkd-release",
        cmd_networkd_release,
        "remove bondhook's systemd-networkd drop-ins",
        "Remove every drop-in that carries bondhook's marker; what a person wrote stays. "
        "The package does this when it is removed.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    deadline.start(deadline.CLI_SECONDS)
    logsetup.setup(verbose=args.verbose)
    try:
        return int(args.func(args))
    except OutsideError as exc:
        log.error("%s", exc)
    except KeyboardInterrupt:
        log.error("interrupted; nothing more done")
    except BrokenPipeError:
        # The reader went away (bondhook status | head): nothing left to say, and nothing to
        # flush at exit either, which would print Python's own complaint.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback; the line says what broke
        log.error("internal error %s: %s; please report it", type(exc).__name__, exc)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
