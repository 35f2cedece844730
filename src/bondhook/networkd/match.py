"""systemd-networkd's [Match] section: which .network file applies to a link, decided as networkd
decides it (systemd 252 and 257, proven against networkd itself by tests/native). Pure: entries
and a link in, a decision out.

networkd tests the files in file-name order and applies the first whose every condition holds.
bondhook evaluates the conditions it can know before networkd starts, from the kernel: Name=
(the name and every alternative name, through libc's fnmatch(3)), MACAddress= and
PermanentMACAddress=. A file that comes first and conditions on anything else (Driver=, Path=,
Type=, Kind=, Property=, Host=, ...) makes the decision unknown, unless a condition bondhook
evaluates already rules it out: bondhook then says so and guesses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bondhook.networkd.unitfile import Entry
from bondhook.rules.glob import fnmatch
from bondhook.rules.plan import Link

EVALUATED = ("Name", "MACAddress", "PermanentMACAddress")
# networkd's other [Match] keys (systemd.network(5)); a key in neither list is unknown to networkd,
# which ignores it with a warning, and so does bondhook.
UNEVALUATED = (
    "Path", "Driver", "Type", "Kind", "Property", "WLANInterfaceType", "SSID", "BSSID",
    "Host", "Virtualization", "KernelCommandLine", "KernelVersion", "Credential", "Architecture", "Firmware",
)  # fmt: skip
_WHITESPACE = " \t\n\r"
_HEX = "0123456789abcdefABCDEF"
_HW_ADDR_MAX = 32
_IFNAME_MAX = 127  # ALTIFNAMSIZ - 1: Name= may name an alternative name


@dataclass(frozen=True)
class Match:
    """One file's [Match] conditions after every assignment (drop-ins included) was applied."""

    names: tuple[str, ...] = ()
    macs: frozenset[bytes] = frozenset()
    perms: frozenset[bytes] = frozenset()
    unevaluated: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """networkd ignores a file without a single valid condition ("add Name=* to match all")."""
        return bool(self.names or self.macs or self.perms or self.unevaluated)


def words(value: str) -> list[str]:
    """systemd's extract_first_word() with no flags, repeated: whitespace separates words, a
    backslash takes the next character as it is, quotes are ordinary characters. (A value never
    ends in a lone backslash: the line would have continued.)"""
    found: list[str] = []
    word: list[str] | None = None
    escaped = False
    for char in value:
        if escaped or char not in _WHITESPACE + "\\":
            word = [*(word or ()), char]
            escaped = False
        elif char == "\\":
            word = word if word is not None else []
            escaped = True
        elif word is not None:
            found.append("".join(word))
            word = None
    if word is not None:
        found.append("".join(word))
    return found


def ifname_valid(name: str) -> bool:
    """systemd's ifname_valid_full(name, IFNAME_VALID_ALTERNATIVE): what Name= keeps."""
    if not name or len(name.encode("utf-8", "surrogateescape")) > _IFNAME_MAX or name in (".", ".."):
        return False
    if all(c.isdigit() and c.isascii() for c in name):
        return False
    return all(32 < ord(c) < 127 and c not in ":/%" for c in name)


def _hw_field(text: str, sep: str, size: int) -> tuple[int, str] | None:
    digits = 0
    while digits < len(text) and text[digits] != sep and digits < 2 * size:
        if text[digits] not in _HEX:
            return None
        digits += 1
    if digits == 0 or (digits < len(text) and text[digits] != sep):
        return None
    return int(text[:digits], 16), text[digits:]


def hw_addr(text: str) -> bytes | None:
    """systemd's parse_hw_addr(): `xx:xx:..`, `xx-xx-..` (one byte per field, one or two digits)
    or `xxxx.xxxx.xxxx` (two bytes per field), 1 to 32 bytes; an IPv4 or IPv6 address (tunnels'
    hardware addresses) also parses, and matches no Ethernet link. None where systemd refuses it."""
    found = _hw_fields(text)
    # A valid entry that no 6-byte address can equal (the marker alone is longer).
    return found if found is not None or not _is_ip(text) else b"inet-address:" + text.encode()


def _is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address as inet_pton() reads it (no scope, no leading zeros)."""
    if not text or not set(text) <= set(_HEX + ".:"):
        return False
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _hw_fields(text: str) -> bytes | None:
    rest = text.lstrip(_HEX)
    sep = rest[:1]
    size = 2 if sep == "." else 1 if sep in (":", "-") else 0
    if not size:
        return None
    out = bytearray()
    while True:
        if len(out) + size > _HW_ADDR_MAX:
            return None
        field = _hw_field(text, sep, size)
        if field is None:
            return None
        value, text = field
        out += value.to_bytes(size, "big")
        if not text:
            return bytes(out)
        text = text[1:]


def _values(entries: Iterable[Entry], key: str) -> list[str]:
    """The words of every assignment of `key` in [Match], an empty one clearing those before. For
    Name=, a '!' that begins a value negates each of its words (networkd stores them as '!WORD'),
    and a word that is no valid interface name is dropped, as networkd drops it."""
    found: list[str] = []
    for entry in entries:
        if entry.section != "Match" or entry.key != key:
            continue
        if not entry.value:
            found = []
            continue
        invert = key == "Name" and entry.value.startswith("!")
        split = words(entry.value[1:] if invert else entry.value)
        if key == "Name":
            split = [f"!{word}" if invert else word for word in split if ifname_valid(word)]
        found.extend(split)
    return found


def read_match(entries: Sequence[Entry]) -> Match:
    """A file's [Match] as networkd reads it (drop-ins' entries after the file's)."""
    values = {key: _values(entries, key) for key in (*EVALUATED, *UNEVALUATED)}
    return Match(
        names=tuple(values["Name"]),
        macs=frozenset(a for w in values["MACAddress"] if (a := hw_addr(w)) is not None),
        perms=frozenset(a for w in values["PermanentMACAddress"] if (a := hw_addr(w)) is not None),
        unevaluated=tuple(key for key in UNEVALUATED if values[key]),
    )


def _strv(patterns: Sequence[str], name: str) -> bool:
    """systemd's net_condition_test_strv(): no '!'-pattern may match, and a positive pattern must,
    if there is one."""
    positive = matched = False
    for pattern in patterns:
        invert = pattern.startswith("!")
        positive = positive or not invert
        if fnmatch(pattern[1:] if invert else pattern, name):
            if invert:
                return False
            matched = True
    return matched if positive else True


def names_match(patterns: Sequence[str], link: Link) -> bool:
    """Name= holds for the link's name or for any of its alternative names."""
    return not patterns or any(_strv(patterns, name) for name in (link.name, *link.altnames))


def _perm(link: Link) -> bytes | None:
    if link.perm_raw is not None:
        return link.perm_raw
    return bytes(link.perm_address.octets) if link.perm_address else None


def test(match: Match, link: Link) -> bool | None:
    """Whether every condition holds for `link`; None when the evaluated ones do and others remain."""
    if not names_match(match.names, link):
        return False
    if match.macs and (link.address is None or bytes(link.address.octets) not in match.macs):
        return False
    if match.perms and _perm(link) not in match.perms:
        return False
    return None if match.unevaluated else True


def literal_names(match: Match) -> tuple[str, ...]:
    """Name= patterns that name one interface exactly (no glob, no negation): what a boot waits for."""
    return tuple(n for n in match.names if not n.startswith("!") and not any(c in n for c in "*?[\\"))
