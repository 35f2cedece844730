"""`bondhook check`: which bonds to watch and for which MACs, the listen, and the verdicts.

Each bond's answer is its own: "twin" when a frame from another host with one of its MACs reached
it (whatever else happened), "unchecked" when it could not be watched, its socket failed, or the
kernel dropped or the time left undecided a frame that might have been a twin's, and "none" only
when every frame from its MACs was read and judged. Exit status: 1 when any bond has a twin, else
2 when any could not be checked, else 0.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from bondhook.cli.show import format_check
from bondhook.errors import OutsideError
from bondhook.kernel import rtnl_io, sysfs_io
from bondhook.rules import stack
from bondhook.rules.mac import Mac
from bondhook.rules.names import is_ifname
from bondhook.rules.plan import Facts
from bondhook.rules.text import shown
from bondhook.wire import frames, socket_io

log = logging.getLogger("bondhook")

EXIT_OK, EXIT_TWIN, EXIT_UNCHECKED = 0, 1, 2
NETLINK_TIMEOUT = 2.0


def _watched(name: str, facts: Facts) -> tuple[frozenset[Mac], str | None]:
    """The MACs to watch on one bond, or why it cannot be checked (and what to do)."""
    if not is_ifname(name):
        return frozenset(), f"{shown(name)}: not an interface name; give a bond as 'ip link' shows it"
    link = facts.get(name)
    if link is None or link.kind != "bond":
        what = "no such device" if link is None else f"a {link.kind or 'plain'} device, not a bond"
        return frozenset(), f"{name}: {what}; give a bond ('bondhook status' lists them)"
    state = sysfs_io.operstate(name)
    if state not in ("up", "unknown"):
        return frozenset(), f"{name}: its link is {state or 'gone'}, so nothing reaches it; bring it up first"
    watched = stack.addresses(link, facts)
    if not watched:
        return frozenset(), f"{name}: has no MAC to watch"
    return watched, None


def _ipv4(facts: Facts) -> dict[str, tuple[bytes, ...]]:
    """Each device's IPv4 addresses, for the ARP probes; none (and one warning) if unreadable."""
    try:
        by_index = rtnl_io.read_ipv4(NETLINK_TIMEOUT)
    except OutsideError as exc:
        log.warning("check: %s; no ARP probes sent", exc)
        return {}
    return {link.name: by_index[link.index] for link in facts.links if link.index in by_index}


def _unchecked(watch: socket_io.Watch) -> str | None:
    """Why a bond with no twin frame has no answer either, with what to do; None if it has one."""
    if watch.error:
        return f"{watch.error}; could not check it"
    if watch.kernel_drops:
        return (
            f"{watch.bond}: the kernel dropped {watch.kernel_drops} of {watch.passed} frames from its MACs "
            "before bondhook could read them (the host was too busy); could not check, run it again"
        )
    if watch.undecided:
        return (
            f"{watch.bond}: {watch.undecided} frame(s) from its MACs came in too late to be told apart "
            "from this host's own; could not check, run it again"
        )
    return None


def _result(watch: socket_io.Watch, seconds: float) -> dict[str, Any]:
    samples = [
        {"at": round(at, 3), "source": str(seen.source), "ethertype": seen.ethertype, "vlan": seen.vlan}
        for at, seen in sorted(watch.samples, key=lambda sample: sample[0])
    ]
    twins = watch.counts.get(frames.TWIN, 0)
    reason = None if twins else _unchecked(watch)
    return {
        "bond": watch.bond,
        "verdict": "twin" if twins else "unchecked" if reason else "none",
        **({"reason": reason} if reason else {}),
        "watched": sorted(str(mac) for mac in watch.watched),
        "seconds": seconds,
        "received": watch.received,
        "twin_frames": twins,
        "looped_frames": watch.counts.get(frames.LOOPED, 0),
        "odd_frames": watch.counts.get(frames.ODD, 0),
        "probes": watch.probes,
        "kernel_passed": watch.passed,
        "kernel_drops": watch.kernel_drops,
        "undecided_frames": watch.undecided,
        "samples": samples,
    }


def cmd_check(args: argparse.Namespace) -> int:
    facts = sysfs_io.read_facts()
    names = args.bonds or [bond.name for bond in facts.bonds()]
    if not names:
        log.error("check: no bonds on this host; nothing to check")
        return EXIT_UNCHECKED
    names = list(dict.fromkeys(names))
    results: dict[str, dict[str, Any]] = {}
    watchable = {}
    for name in names:
        watched, reason = _watched(name, facts)
        if reason:
            results[name] = {"bond": name, "verdict": "unchecked", "reason": reason}
        else:
            watchable[name] = watched
    # what the probes ask for, read only when a bond is to be watched and probes are to be sent
    vlans = stack.vlan_ids(sysfs_io.vlan_config()) if watchable and not args.passive else {}
    ipv4 = _ipv4(facts) if watchable and not args.passive else {}
    targets = [
        socket_io.Target(name, watched, stack.carriers(facts.get(name), facts, vlans, ipv4))
        for name, watched in watchable.items()
    ]
    try:
        watches = socket_io.check(targets, args.listen, probe=not args.passive) if targets else []
    except socket_io.WireError as exc:
        log.error("check: %s; nothing checked", exc)
        return EXIT_UNCHECKED
    for watch in watches:
        results[watch.bond] = _result(watch, args.listen)
    ordered = [results[name] for name in names]
    for result in ordered:
        if result["verdict"] == "unchecked":
            log.error("check: %s", result["reason"])
    checked = [result for result in ordered if result["verdict"] != "unchecked"]
    if args.json:
        print(json.dumps(ordered, indent=2))
    elif checked:
        print("\n".join(line for result in checked for line in format_check(result)))
    if any(result["verdict"] == "twin" for result in ordered):
        return EXIT_TWIN
    return EXIT_OK if len(checked) == len(ordered) else EXIT_UNCHECKED
