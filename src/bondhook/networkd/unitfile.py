"""systemd's configuration file syntax (.netdev, .network and their drop-ins), parsed as
systemd's conf-parser does. Pure: text in, entries out.

Why not configparser: systemd allows a key to repeat (list settings append, an empty value resets
them, a single-value setting takes the last), continues a line that ends in a backslash, and has
its own comment rules; configparser rejects or merges those, so it would read some valid files
wrongly and refuse others that networkd accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_COMMENT = ("#", ";")
_SPACE = " \t\n\r"


class SyntaxProblem(ValueError):
    """A line systemd would not read as a section header or an assignment; str() says which."""


@dataclass(frozen=True)
class Entry:
    section: str
    key: str
    value: str


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, line) with continuations joined: a trailing backslash becomes a space, and
    comment lines inside a continued line are skipped, as systemd does."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip(_SPACE)
        if pending and line.startswith(_COMMENT):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield start, " ".join(pending)
        pending = []
    if pending:
        yield start, " ".join(pending)


def parse(text: str) -> tuple[Entry, ...]:
    """Every assignment in file order. Comments and blank lines are skipped; a line that is
    neither a section header nor KEY=VALUE, or an assignment before any section, raises
    SyntaxProblem (networkd ignores such a line with a warning; bondhook will not guess)."""
    entries: list[Entry] = []
    section: str | None = None
    for number, line in _logical_lines(text):
        if not line or line.startswith(_COMMENT):
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise SyntaxProblem(f"line {number} is not a section header")
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        key = key.strip(_SPACE)
        if not sep or not key:
            raise SyntaxProblem(f"line {number} is not KEY=VALUE")
        if section is None:
            raise SyntaxProblem(f"line {number} comes before any [Section]")
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


def listed(entries: Sequence[Entry], section: str, key: str) -> tuple[str, ...]:
    """A list setting (Match's Name=, MACAddress=, ...): values are space-separated, repeated
    assignments append, an empty assignment clears what came before."""
    items: list[str] = []
    for entry in entries:
        if entry.section == section and entry.key == key:
            if entry.value:
                items.extend(entry.value.split())
            else:
                items.clear()
    return tuple(items)
