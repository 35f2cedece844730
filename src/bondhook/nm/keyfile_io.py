"""NetworkManager's keyfile profiles, read from disk without asking NetworkManager.

What the steady-state dispatcher reads instead of D-Bus (see `steady`): the files NetworkManager
itself keeps, parsed as GKeyFile parses them (`keyfile`). Light on purpose (no imports beyond os).
Whatever this reader cannot vouch for (an unreadable file, an escape it does not know) is a Doubt:
then NetworkManager is asked over D-Bus.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from bondhook.nm.keyfile import Doubt, Groups, groups
from bondhook.rules.text import CONFIG_LIMIT, config_text

# NetworkManager's keyfile directories, the later one shadowing the earlier for one UUID
# (in-memory profiles live in /run; /usr/lib holds read-only ones).
KEYFILE_DIRS = (
    "/usr/lib/NetworkManager/system-connections",
    "/etc/NetworkManager/system-connections",
    "/run/NetworkManager/system-connections",
)
SUFFIX = ".nmconnection"


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
