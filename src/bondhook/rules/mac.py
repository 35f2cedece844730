"""MAC addresses: parse, format, classify, and the derivation rule. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_MAC_RE = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$", re.IGNORECASE)

# Locally administered (bit 1 set) unicast (bit 0 clear) first octets, in the order the
# derivation tries them: 02 first (the convention admins already use by hand), then 06, 0a, ...
LOCAL_UNICAST_FIRST_OCTETS: tuple[int, ...] = tuple(range(0x02, 0x100, 4))

# The schemes: "02" replaces the first octet with 02 (the default); "ul-bit" only sets the U/L bit
# of the first octet, which keeps the vendor's OUI readable and, over the IEEE registry, collides
# about 400 times less often between hosts (docs/benchmarks.md). Both fall back alike.
SCHEMES: tuple[str, ...] = ("02", "ul-bit")


@dataclass(frozen=True, order=True)
class Mac:
    """A 48-bit Ethernet address; compares and hashes by value."""

    octets: tuple[int, int, int, int, int, int]

    @classmethod
    def parse(cls, text: str) -> Mac:
        """Accept aa:bb:cc:dd:ee:ff, aa-bb-..., or aabbccddeeff; raise ValueError otherwise."""
        clean = text.strip()
        if not _MAC_RE.match(clean):
            raise ValueError(f"not a MAC address: {text!r}")
        digits = re.sub(r"[:-]", "", clean)
        return cls(tuple(int(digits[i : i + 2], 16) for i in range(0, 12, 2)))  # type: ignore[arg-type]

    @classmethod
    def from_bytes(cls, raw: bytes) -> Mac:
        if len(raw) != 6:
            raise ValueError(f"not a 6-byte MAC address: {raw!r}")
        return cls(tuple(raw))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return ":".join(f"{octet:02x}" for octet in self.octets)

    @property
    def is_multicast(self) -> bool:
        return bool(self.octets[0] & 0x01)

    @property
    def is_local(self) -> bool:
        """Locally administered: the U/L bit is set, so no vendor ever burns it into a NIC."""
        return bool(self.octets[0] & 0x02)

    @property
    def is_zero(self) -> bool:
        return not any(self.octets)

    @property
    def is_usable_source(self) -> bool:
        """Whether a port's permanent MAC may seed a derivation (all-zero, broadcast and
        multicast addresses identify no hardware)."""
        return not (self.is_zero or self.is_multicast)


def parse_optional(value: str | bytes | None) -> Mac | None:
    """Read an address as netlink libraries hand it over; None when absent or malformed."""
    if value is None:
        return None
    try:
        return Mac.from_bytes(value) if isinstance(value, bytes) else Mac.parse(value)
    except ValueError:
        return None


def derivations(source: Mac, scheme: str = "02") -> tuple[Mac, ...]:
    """The candidates `derive` tries for `source`, in order: the scheme's own first octet (02,
    or the source's with the U/L bit set), then 02, 06, 0a, ... fe."""
    firsts = (source.octets[0] | 0x02,) if scheme == "ul-bit" else ()
    ordered = dict.fromkeys((*firsts, *LOCAL_UNICAST_FIRST_OCTETS))
    return tuple(Mac((first, *source.octets[1:])) for first in ordered)  # type: ignore[arg-type]


def derive(source: Mac, avoid: Iterable[Mac] = (), scheme: str = "02") -> Mac:
    """The bond MAC for a port whose permanent MAC is `source`.

    Scheme 02: replace the first octet with 02; scheme ul-bit: set the first octet's U/L bit.
    If that equals `source` itself or any address in `avoid` (the permanent MACs of the bond's
    other ports), take the next locally administered unicast first octet (02, 06, 0a, ... fe)
    that collides with none. Deterministic: the same inputs give the same answer on every host.
    """
    taken = {source, *avoid}
    for candidate in derivations(source, scheme):
        if candidate not in taken:
            return candidate
    raise ValueError(f"every locally administered variant of {source} is a port's MAC")
