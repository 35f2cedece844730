"""NetworkManager's keyfile profiles, read from disk without asking NetworkManager.

What the steady-state dispatcher reads instead of D-Bus (see `steady`): the files NetworkManager
itself keeps, parsed as GKeyFile parses them. Light on purpose (no imports beyond os). Whatever
this reader cannot vouch for (an unreadable file, an escape it does not know) is a Doubt: then
NetworkManager is asked over D-Bus.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from bondhook.text import CONFIG_LIMIT, config_text

# NetworkManager's keyfile directories, the later one shadowing the earlier for one UUID
# (in-memory profiles live in /run; /usr/lib holds read-only ones).
KEYFILE_DIRS = (
    "/usr/lib/NetworkManager/system-connections",
    "/etc/NetworkManager/system-connections",
    "/run/NetworkManager/system-connections",
)
SUFFIX = ".nmconnection"
_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_ASCII_SPACE = " \t\n\v\f\r"  # g_ascii_isspace

Groups = dict[str, dict[str, str]]


class Doubt(Exception):
    """The files do not say for sure what NetworkManager holds: ask it instead."""


def _unescape(value: str) -> str:
    """GKeyFile string escapes (\\s \\n \\t \\r \\\\); anything else is a form bondhook does not know."""
    out = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = _ESCAPES.get(next(chars, ""))
        if escaped is None:
            raise Doubt(f"escape in {value!r}")
        out.append(escaped)
    return "".join(out)


def groups(text: str) -> Groups:
    """A keyfile's groups and keys, split as GKeyFile does: lines end at \\n only (a \\r before
    it is dropped), leading ASCII whitespace of a line and of a value is skipped, a key's
    trailing whitespace too, a value's is kept. Comments and blank lines are skipped; of a
    repeated key, the last counts."""
    found: Groups = {}
    group: dict[str, str] | None = None
    for raw in text.split("\n"):
        line = raw.removesuffix("\r").lstrip(_ASCII_SPACE)
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.rstrip(_ASCII_SPACE).endswith("]"):
            group = found.setdefault(line.rstrip(_ASCII_SPACE)[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if not sep or group is None:
            raise Doubt(f"line {line[:40]!r}")
        group[key.rstrip(_ASCII_SPACE)] = _unescape(value.lstrip(_ASCII_SPACE))
    return found


def read(path: str) -> Groups:
    """One keyfile's groups; Doubt when it cannot be read or is not text bondhook can vouch for."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(CONFIG_LIMIT)
    except OSError as exc:
        raise Doubt(f"{path}: {exc}") from exc
    text = config_text(raw)
    if text is None:
        raise Doubt(f"{path}: not a keyfile bondhook can read")
    return groups(text)


def _entries(directory: str) -> Iterable[tuple[str, str]]:
    """(name, path) of a keyfile directory's profiles and tombstones."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise Doubt(f"{directory}: {exc}") from exc
    for name in names:
        if name.endswith((SUFFIX, ".nmmeta")):
            yield name, os.path.join(directory, name)


def load(dirs: Sequence[str]) -> dict[str, tuple[str, Groups]]:
    """Every keyfile profile by UUID, with its path, as NetworkManager holds them: for one UUID
    the file in the later directory wins, and a tombstone (UUID.nmmeta, a symlink to /dev/null)
    hides a read-only profile of the first directory. Doubt when any file leaves one."""
    by_uuid: dict[str, tuple[str, Groups]] = {}
    tombstones: set[str] = set()
    for directory in dirs:
        for name, path in _entries(directory):
            if name.endswith(".nmmeta"):
                if os.path.realpath(path) == "/dev/null":
                    tombstones.add(name.removesuffix(".nmmeta"))
                continue
            found = read(path)
            uuid = found.get("connection", {}).get("uuid")
            if not uuid:
                raise Doubt(f"{path}: no uuid")
            by_uuid[uuid] = (path, found)
    read_only = os.path.join(dirs[0], "") if dirs else None
    return {
        uuid: entry
        for uuid, entry in by_uuid.items()
        if not (uuid in tombstones and read_only and entry[0].startswith(read_only))
    }
