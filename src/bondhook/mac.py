"""MAC addresses: parse, format, classify, and the derivation rule. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_MAC_RE = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$", re.IGNORECASE)

# Locally administered (bit 1 set) unicast (bit 0 clear) first octets, in the order the
# derivation tries them: 02 first (the convention admins already use by hand), then 06, 0a, ...
LOCAL_UNICAST_FIRST_OCTETS: tuple[int, ...] = tuple(range(0x02, 0x100, 4))


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


def derive(source: Mac, avoid: Iterable[Mac] = ()) -> Mac:
    """The bond MAC for a port whose permanent MAC is `source`.

    Replace the first octet with 02. If that equals `source` itself or any address in `avoid`
    (the permanent MACs of the bond's other ports), try the next locally administered unicast
    first octet (06, 0a, 0e, ... fe) until one collides with none. Deterministic: the same
    inputs always give the same answer, on every host.
    """
    taken = {source, *avoid}
    for first in LOCAL_UNICAST_FIRST_OCTETS:
        candidate = Mac((first, *source.octets[1:]))  # type: ignore[arg-type]
        if candidate not in taken:
            return candidate
    raise ValueError(f"every locally administered variant of {source} is a port's MAC")


def derivations(source: Mac) -> tuple[Mac, ...]:
    """Every address `derive` can produce for `source`, to recognise one on a live bond."""
    return tuple(Mac((first, *source.octets[1:])) for first in LOCAL_UNICAST_FIRST_OCTETS)  # type: ignore[arg-type]
