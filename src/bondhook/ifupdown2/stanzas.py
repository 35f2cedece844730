"""What ifupdown2's `ifquery -a -o json` prints, read into stanza options; the fix for a device
stacked on a bond in ifupdown2's terms. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping

from bondhook.rules.plan import Link


class QueryError(ValueError):
    """ifquery's output is not the JSON list of stanzas it prints."""


def _value(raw: object) -> str:
    # An option given twice in a stanza comes as a list; bondhook's options are single-valued,
    # and ifupdown2 itself takes the first (get_attr_value_first).
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    return raw if isinstance(raw, str) else ""


def parse(text: str) -> dict[str, dict[str, str]]:
    """Stanza name -> its options (names as written, values as strings). A name given in several
    stanzas (ifupdown2 merges them) keeps the options of all, the first value of each."""
    try:
        found = json.loads(text or "[]")
    except ValueError as exc:
        raise QueryError(f"ifquery printed no JSON ({exc})") from exc
    if not isinstance(found, list):
        raise QueryError("ifquery printed JSON that is not a list of stanzas")
    stanzas: dict[str, dict[str, str]] = {}
    for item in found:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        config = item.get("config")
        options = stanzas.setdefault(item["name"], {})
        if isinstance(config, Mapping):
            for key, raw in config.items():
                if isinstance(key, str):
                    options.setdefault(key, _value(raw))
    return stanzas


def master_ports(bond: str, stanzas: Mapping[str, Mapping[str, str]]) -> list[str]:
    """With `bond-slaves none`, the stanzas saying `bond-master <bond>`."""
    return [name for name, options in stanzas.items() if options.get("bond-master") == bond and name != bond]


def fix(upper: Link, lower: Link, mac: str) -> str:
    """ifupdown2 has no `bridge_hw` (it warns of an unknown attribute and leaves the bridge's MAC
    alone); its address module sets `hwaddress` on any device, bridges included."""
    return f"add 'hwaddress {mac}' to the 'iface {upper.name}' stanza (ifupdown2 has no bridge_hw)"
