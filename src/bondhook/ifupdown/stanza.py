"""A bond stanza's options as ifupdown hands them over (the hook's IF_* environment) or prints them
(ifquery), and a person's choice in them. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from bondhook.rules.options import BOND_DERIVE_MAC, BOND_DERIVE_MAC_SCHEME, env_name, parse_choice
from bondhook.rules.plan import Hold, Link
from bondhook.rules.text import shown

# The stanza options a request is built from; ifupdown exports each as IF_<NAME>, and the hook
# script hands exactly these to Python (a test holds the two lists together).
STANZA_KEYS = (BOND_DERIVE_MAC.name, BOND_DERIVE_MAC_SCHEME.name, "bond-slaves", "slaves", "bond-master", "hwaddress")


def options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The hook's IF_* variables, under their stanza names."""
    found = {key: env.get(env_name(key), "") for key in STANZA_KEYS}
    return {key: value for key, value in found.items() if value}


def parse_ifquery(text: str) -> dict[str, str]:
    """`ifquery IFACE` prints one `option: value` line per option of the stanza."""
    options: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            options[key.strip()] = value.strip()
    return options


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


def fix(upper: Link, lower: Link, mac: str) -> str:
    """A stacked device's MAC in its stanza: bridge-utils' `bridge_hw` takes an interface name, so
    a bridge copies its lower's MAC."""
    if upper.kind == "bridge":
        return f"add 'bridge_hw {lower.name}' to the 'iface {upper.name}' stanza (bridge-utils copies its MAC)"
    return f"add 'hwaddress {mac}' to the 'iface {upper.name}' stanza"
