"""What every network manager bondhook serves answers, so that `status`, `apply` and the sync and
release commands ask each one the same questions and know none of their insides. Pure: types only.

A manager is a package (`bondhook.ifupdown`, `bondhook.nm`, `bondhook.networkd`) that declares a
`Manager` in its `manager` module and names its edge: the module whose `read_config()` returns a
`Config`, and, where the manager offers them, `run_sync(dry_run, wait)` and `run_release(dry_run)`.
`bondhook.managers` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bondhook.rules.plan import Facts, Request
from bondhook.rules.stack import Fixer


@dataclass(frozen=True)
class View:
    """What a manager shows of one bond it configures: a line for `status`, an object for --json."""

    line: str
    data: Mapping[str, Any]


class Config(Protocol):
    """One manager's configuration, read once per command. A manager that is not on the host
    reads as one that configures nothing."""

    def request(self, bond: str, facts: Facts) -> Request | None:
        """What it asks of bondhook for `bond` (ports, a person's hold); None: not its bond.
        ValueError or OutsideError, with the reason, when its configuration cannot say."""
        ...

    def view(self, bond: str) -> View | None:
        """Who sets the bond's MAC there, in its own terms; None: nothing to show."""
        ...

    def fixers(self) -> Mapping[str, Fixer]:
        """For each device it creates, how it would give that device a MAC (see `stack.Fixer`)."""
        ...


@dataclass(frozen=True)
class Command:
    """A command a manager offers on the command line: its name, help, and --wait if it takes one."""

    name: str
    help: str
    description: str
    waits: bool = False


@dataclass(frozen=True)
class Manager:
    """A network manager bondhook serves. `key`: its object in `status --json` (None: it shows
    nothing of its own). `edge`: the module that reads and writes for it, imported only when a
    command needs it (NetworkManager's pulls in D-Bus)."""

    name: str
    key: str | None
    edge: str
    sync: Command | None = None
    release: Command | None = None
