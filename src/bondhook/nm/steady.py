"""The fast decision: a NetworkManager bond in its steady state, seen from NetworkManager's own
files and sysfs, with no D-Bus and no library.

On every activation after the first, the bond's profile already records the MAC bondhook
derived and nothing is to be written. NetworkManager's dispatcher runs one script at a time for
the whole host, so that case must cost little more than starting Python (docs/benchmarks.md):
this module imports nothing heavier than the standard library's `os`, and checks conditions
that imply what the full decision (`profile.decide_profile` on profiles read over D-Bus) would
conclude: no write, no message, the device carries this MAC. Everything else (a first
activation, a replaced or absent NIC, a named port, a scheme, a port profile matched by its MAC,
a collision between ports) is a doubt, and the full decision runs. A property test over
generated profiles and port sets holds the two together.
"""

from __future__ import annotations

from bondhook.nm.keyfile import Groups
from bondhook.rules.names import name_order

# The user-data keys of options.NM_KEYS (which this module must not import: dataclasses alone
# costs more than a Python start); a test holds the two together.
DERIVE_MAC = "bondhook.derive-mac"
SCHEME = "bondhook.derive-mac-scheme"
OWNED_MAC = "bondhook.mac"
SOURCE = "bondhook.source"
_HEX = frozenset("0123456789abcdef")


def _mac(text: str | None) -> str | None:
    """A MAC in the form sysfs writes (lower case, colons), or None for anything else."""
    parts = (text or "").lower().split(":")
    if len(parts) != 6 or any(len(part) != 2 or not _HEX.issuperset(part) for part in parts):
        return None
    return ":".join(parts)


def _ethernet(found: Groups) -> dict[str, str]:
    return found.get("ethernet") or found.get("802-3-ethernet") or {}


def _profile_ports(uuid: str, iface: str, profiles: dict[str, tuple[str, Groups]]) -> list[str] | None:
    """The interfaces of the bond's port profiles, in name order; None if one names no interface."""
    names = set()
    for _, found in profiles.values():
        connection = found.get("connection", {})
        port_type = connection.get("slave-type") or connection.get("port-type")
        master = connection.get("master") or connection.get("controller")
        if port_type == "bond" and master in (uuid, iface):
            name = connection.get("interface-name")
            if not name:
                return None
            names.add(name)
    return sorted(names, key=name_order)


def target(uuid: str, iface: str, path: str, profiles: dict[str, tuple[str, Groups]], kernel: object) -> str | None:
    """The MAC bond `iface` must carry when its profile (`uuid`, read from `path`) needs no
    write; None when in doubt. `kernel` answers address(name), perm_address(name) and
    ports(bond) as `sysfs_io` does."""
    entry = profiles.get(uuid)
    if entry is None or entry[0] != path:
        return None
    connection, user = entry[1].get("connection", {}), entry[1].get("user", {})
    if connection.get("type") != "bond" or connection.get("interface-name") != iface:
        return None
    if user.get(DERIVE_MAC, "yes").strip().lower() != "yes" or user.get(SCHEME, "02").strip().lower() != "02":
        return None
    cloned = _mac(_ethernet(entry[1]).get("cloned-mac-address"))
    if cloned is None or cloned != _mac(user.get(OWNED_MAC)):
        return None
    configured = _profile_ports(uuid, iface, profiles)
    if configured is None:
        return None
    enslaved = sorted(kernel.ports(iface), key=name_order)  # type: ignore[attr-defined]
    candidates = list(dict.fromkeys((*configured, *enslaved)))
    if not candidates:
        return None
    perms = [kernel.perm_address(name) for name in candidates]  # type: ignore[attr-defined]
    source, perm = candidates[0], perms[0]
    if perm is None or int(perm[:2], 16) & 0x01 or user.get(SOURCE) != f"{source}={perm}":
        return None  # the first port is absent or has no usable permanent MAC, or the source changed
    derived = "02" + perm[2:]
    if derived != cloned or derived in perms:
        return None  # not what the profile records, or a port's own MAC (the rule then moves on to 06)
    return derived
