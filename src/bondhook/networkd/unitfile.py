"""systemd's configuration file syntax (.netdev, .network and their drop-ins), parsed as
systemd's conf-parser does. Pure: text in, entries out.

Why not configparser: systemd allows a key to repeat (list settings append, an empty value resets
them, a single-value setting takes the last), continues a line that ends in a backslash, and has
its own comment rules; configparser rejects or merges those, so it would read some valid files
wrongly and refuse others that networkd accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_COMMENT = ("#", ";")
_SPACE = " \t\n\r"
_BOM = "\ufeff"
# read_line()'s line ends; str.splitlines() would also split at form feeds and U+2028.
_LINES = re.compile(r"\r\n|\r|\n")
_UNSAFE = set("\"'\\\x7f") | {chr(c) for c in range(32)}


class SyntaxProblem(ValueError):
    """A file systemd refuses to load as a whole (a broken section header); str() says which line."""


@dataclass(frozen=True)
class Entry:
    section: str
    key: str
    value: str


def _odd_backslashes(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, line) as systemd's config_parse() joins them: comment lines are skipped even
    inside a continued line; the first byte-order mark at the start of a line is dropped; a line
    ending in an odd number of backslashes continues, its last backslash becoming a space."""
    pending: str | None = None
    start = 0
    bom = True
    for number, raw in enumerate(_LINES.split(text), 1):
        stripped = raw.lstrip(_SPACE)
        if stripped.startswith(_COMMENT):
            continue
        if bom and raw.startswith(_BOM):
            raw, bom = raw[1:], False
        if pending is None:
            start = number
        line = raw if pending is None else pending + raw
        if _odd_backslashes(line):
            pending = line[:-1] + " "
            continue
        pending = None
        yield start, line
    if pending is not None:
        yield start, pending


def parse(text: str) -> tuple[Entry, ...]:
    """Every assignment in file order, where systemd reads one: lines it ignores (no '=', no key,
    before any section, in a section of another name) are left out as it leaves them. A section
    header systemd refuses raises SyntaxProblem: networkd then ignores the whole file."""
    entries: list[Entry] = []
    section: str | None = None
    for number, raw in _logical_lines(text):
        line = raw.strip(_SPACE)
        if not line or line.startswith(_COMMENT):
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 2 or set(line[1:-1]) & _UNSAFE:
                raise SyntaxProblem(f"line {number} is not a valid section header")
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        key = key.strip(_SPACE)
        if sep and key and section is not None:
            entries.append(Entry(section, key, value.strip(_SPACE)))
    return tuple(entries)


def last(entries: Sequence[Entry], section: str, key: str) -> str | None:
    """A single-value setting: the last assignment counts (drop-ins come after the file); an
    empty assignment resets it to unset."""
    found = None
    for entry in entries:
        if entry.section == section and entry.key == key:
            found = entry.value or None
    return found
