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
from dataclasses import replace

from bondhook.cli.check_io import cmd_check
from bondhook.cli.parser import build_parser
from bondhook.cli.show import Row, status_dict, status_lines
from bondhook.errors import OutsideError
from bondhook.kernel import sysfs_io
from bondhook.kernel.apply_io import apply_request
from bondhook.managers import MANAGERS, edge
from bondhook.rules import stack
from bondhook.rules.mac import Mac, derive
from bondhook.rules.manager import Config
from bondhook.rules.names import is_ifname
from bondhook.rules.options import AUTO, Choice
from bondhook.rules.plan import Facts, Request, describe
from bondhook.rules.text import shown
from bondhook.runtime import deadline_io, logsetup_io

log = logging.getLogger("bondhook")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _configs() -> tuple[Config, ...]:
    """Every manager's configuration, read once, in the order of MANAGERS."""
    return tuple(edge(manager).read_config() for manager in MANAGERS)


def _request(bond: str, facts: Facts, configs: Sequence[Config]) -> tuple[Request | None, str | None]:
    """The bond's configuration (from the first manager that has it), with a person's hold from
    any of them; or why it could not be read."""
    try:
        found = [r for r in (config.request(bond, facts) for config in configs) if r is not None]
    except (ValueError, OutsideError) as exc:
        return None, str(exc)
    if not found:
        return None, None
    hold = next((r.hold for r in found if r.hold is not None), None)
    return replace(found[0], hold=hold), None


def _fixers(configs: Sequence[Config]) -> dict[str, stack.Fixer]:
    """Who creates each named device: the first manager in MANAGERS that does."""
    fixers: dict[str, stack.Fixer] = {}
    for config in reversed(configs):
        fixers.update(config.fixers())
    return fixers


def cmd_status(args: argparse.Namespace) -> int:
    facts = sysfs_io.read_facts()
    any_bond = bool(facts.bonds())
    configs = _configs() if any_bond else ()
    fixers = _fixers(configs)
    dad = stack.dad_failures(sysfs_io.if_inet6()) if any_bond else {}
    rows = []
    for bond in facts.bonds():
        request, problem = _request(bond.name, facts, configs)
        status = describe(bond, facts, request, problem)
        source = facts.get(status.source) if status.source else None
        source_mac = source.perm_address if source else None
        uppers = stack.uppers(bond, facts, status.traceable, source_mac, fixers, dad)
        views = tuple((manager, config.view(bond.name)) for manager, config in zip(MANAGERS, configs, strict=True))
        rows.append(Row(status, views, uppers, dad.get(bond.name, ())))
    if args.json:
        print(json.dumps([status_dict(row) for row in rows], indent=2))
    else:
        print("\n".join(status_lines(rows)))
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    """A manager's sync command (nm-sync, networkd-sync)."""
    done = edge(MANAGERS[args.manager]).run_sync(args.dry_run, getattr(args, "wait", 0.0))
    return EXIT_OK if done else EXIT_FAILED


def cmd_release(args: argparse.Namespace) -> int:
    """A manager's release command (nm-release, networkd-release)."""
    return EXIT_OK if edge(MANAGERS[args.manager]).run_release(args.dry_run) else EXIT_FAILED


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
    facts = sysfs_io.read_facts()
    config, problem = _request(args.bond, facts, _configs())
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "status": cmd_status,
    "check": cmd_check,
    "derive": cmd_derive,
    "apply": cmd_apply,
    "sync": cmd_sync,
    "release": cmd_release,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    deadline_io.start(deadline_io.CLI_SECONDS)
    logsetup_io.setup(verbose=args.verbose)
    try:
        return int(COMMANDS[args.command](args))
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
