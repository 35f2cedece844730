"""`bondhook`'s command line: every command, option and help text. Pure: each command names the
function of `commands_io` that carries it out (`command`), and each manager's sync and release
commands come from its declaration (`managers.MANAGERS`)."""

from __future__ import annotations

import argparse
from typing import Any

from bondhook import __version__
from bondhook.managers import MANAGERS
from bondhook.rules.mac import SCHEMES
from bondhook.rules.manager import Command
from bondhook.rules.options import NM_KEYS, OPTIONS
from bondhook.rules.text import shown

LISTEN_DEFAULT, LISTEN_MAX = 5.0, 60.0
WAIT_MAX = 60.0  # every command gives up after 120 s; a wait must leave time for the work


def _seconds(low: float, high: float) -> Any:
    """An argparse type: seconds from `low` to `high` (nan, inf and words refused in one line)."""

    def parse(text: str) -> float:
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if not low <= seconds <= high:  # also false for nan
            raise argparse.ArgumentTypeError(f"give seconds from {low:g} to {high:g}, not {shown(text)}")
        return seconds

    return parse


def _changing(sub: Any, name: str, command: str, help_text: str, description: str) -> argparse.ArgumentParser:
    """A command that changes something: it takes --dry-run."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=description)
    parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    parser.set_defaults(command=command)
    return parser


def _manager_command(sub: Any, manager: int, spec: Command, command: str) -> None:
    parser = _changing(sub, spec.name, command, spec.help, spec.description)
    parser.set_defaults(manager=manager)
    if spec.waits:
        parser.add_argument(
            "--wait",
            type=_seconds(0.0, WAIT_MAX),
            default=0.0,
            metavar="SECONDS",
            help=f"wait at most this long for udev to show the ports' NICs (default 0, at most {WAIT_MAX:g})",
        )


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
    sub = parser.add_subparsers(dest="name", required=True)

    status = sub.add_parser(
        "status",
        help="explain every bond's MAC",
        description="Explain every bond's MAC: where it came from, what bondhook derives, and whether they match.",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(command="status")

    check = sub.add_parser(
        "check",
        help="listen for a twin: another host using this host's bond MACs",
        description="Listen on each bond (all by default) for frames that carry its MAC, or a MAC stacked on it, "
        "as source but that another host sent; when the listen begins and a second before it ends, send probes a "
        "twin answers (ICMPv6 per MAC, ARP per IPv4 address). Changes nothing; no promiscuous mode. "
        "Exit 0: no twin seen, 1: twin seen, 2: could not check.",
    )
    check.add_argument("bonds", nargs="*", metavar="BOND", help="bonds to check (default: every bond)")
    check.add_argument(
        "--listen",
        type=_seconds(0.5, LISTEN_MAX),
        default=LISTEN_DEFAULT,
        metavar="SECONDS",
        help=f"how long to listen (default {LISTEN_DEFAULT:g}, at most {LISTEN_MAX:g})",
    )
    check.add_argument("--passive", action="store_true", help="send no probe: listen only")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(command="check")

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
    derive_cmd.set_defaults(command="derive")

    apply_cmd = _changing(
        sub,
        "apply",
        "apply",
        "set a bond's derived MAC now",
        "Set an existing bond's derived MAC now, in place. Refused (exit 1) where a person chose "
        "otherwise: hwaddress or 'bond-derive-mac no' in its stanza, a cloned MAC they set or "
        "bondhook.derive-mac=no in its NetworkManager profile, a MACAddress= of theirs for systemd-networkd.",
    )
    apply_cmd.add_argument("bond", help="the bond, e.g. bond0")
    apply_cmd.add_argument("--source", metavar="PORT", help="derive from this port instead of the first eligible")
    for index, manager in enumerate(MANAGERS):
        if manager.sync:
            _manager_command(sub, index, manager.sync, "sync")
        if manager.release:
            _manager_command(sub, index, manager.release, "release")
    return parser
