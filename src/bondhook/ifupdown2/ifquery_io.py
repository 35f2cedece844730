"""The ifupdown2 edge: every stanza through one `ifquery -a -o json` (ifupdown2's own parser, with
its `source` lines and templates), when the ifquery on the host is ifupdown2's."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from bondhook.errors import OutsideError
from bondhook.ifupdown import ifquery_io as ifupdown_io
from bondhook.ifupdown.ifquery_io import IfupdownError, request_from_options
from bondhook.ifupdown.stanza import STANZA_KEYS
from bondhook.ifupdown2.stanzas import QueryError, fix, master_ports, parse
from bondhook.rules.manager import View
from bondhook.rules.names import is_ifname, name_order
from bondhook.rules.options import BOND_DERIVE_MAC
from bondhook.rules.plan import Facts, Request
from bondhook.rules.stack import Fixer

log = logging.getLogger("bondhook")


def _masters(stanzas: Mapping[str, Mapping[str, str]], bond: str, facts: Facts) -> tuple[str, ...]:
    return tuple(sorted((name for name in master_ports(bond, stanzas) if is_ifname(name)), key=name_order))


def _query(*args: str) -> dict[str, dict[str, str]]:
    status, text = ifupdown_io.run_ifquery(*args, "-o", "json")
    if status != 0:
        raise IfupdownError(f"ifquery {' '.join(args)} -o json exited with status {status}")
    return parse(text)


@dataclass
class Stanzas:
    """ifupdown2's stanzas by interface name (those `ifup -a` brings up), with the options
    bondhook reads; a bond's own stanza is asked for by name when it is not among them."""

    stanzas: dict[str, dict[str, str]]
    active: bool = True
    asked: set[str] = field(default_factory=set)

    def _options(self, bond: str) -> Mapping[str, str] | None:
        if bond not in self.stanzas and bond not in self.asked and self.active and is_ifname(bond):
            self.asked.add(bond)
            try:
                self.stanzas.update(_query("--", bond))
            except (OutsideError, QueryError):
                pass  # no such stanza: ifquery says so with a status of its own
        return self.stanzas.get(bond)

    def request(self, bond: str, facts: Facts) -> Request | None:
        options = self._options(bond)
        if options is None:
            return None
        known = {key: value for key, value in options.items() if key in STANZA_KEYS and value}
        return request_from_options(bond, known, facts, False, partial(_masters, self.stanzas))

    def view(self, bond: str) -> View | None:
        options = self._options(bond)
        if options is None:
            return None
        value = options.get(BOND_DERIVE_MAC.name)
        data = {"stanza": bond, BOND_DERIVE_MAC.name: value}
        return View(f"ifupdown2: iface {bond}, {BOND_DERIVE_MAC.name} {value or 'not set'}", data)

    def fixers(self) -> dict[str, Fixer]:
        return dict.fromkeys(self.stanzas, fix)


def read_config() -> Stanzas:
    """ifupdown2's stanzas; none where its ifquery is not the host's or cannot say (said with -v)."""
    if not ifupdown_io.is_ifupdown2():
        return Stanzas({}, active=False)
    try:
        return Stanzas(_query("-a"))
    except (OutsideError, QueryError) as exc:
        log.debug("ifupdown2 not consulted: %s", exc)
        return Stanzas({}, active=False)
