"""bondhook's drop-ins on disk: found, written and removed through no symbolic link (a linked
.d directory or file is never bondhook's), written atomically, and read back."""

from __future__ import annotations

import os
from collections.abc import Iterable

from bondhook.errors import OutsideError
from bondhook.networkd.config import DROPIN_DIR, DROPIN_NAME, ConfigProblem, Own, Text, own_marker, read_entries
from bondhook.networkd.dropin import DropinPlan
from bondhook.rules.text import CONFIG_LIMIT, config_text
from bondhook.runtime import atomic_io


class WriteError(OutsideError):
    """A drop-in could not be written or removed, or did not read back as written."""


def own_dropins(directory: str) -> Iterable[Own]:
    """bondhook's drop-ins, found without following a symbolic link (a linked .d directory or
    file is never bondhook's, so nothing is removed through one)."""
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".netdev.d"))
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name, DROPIN_NAME)
        text = _read_own(path)
        if text is None:
            continue
        try:
            own = own_marker(text, read_entries(text))
        except ConfigProblem:
            continue
        if own is not None:
            yield own


def _read_own(path: str) -> Text | None:
    """The file at bondhook's path, reached through no symbolic link; None when there is none."""
    try:
        directory = atomic_io.open_dir(os.path.dirname(path))
    except OSError:
        return None
    try:
        handle = os.open(DROPIN_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=directory)
        with open(handle, "rb") as stream:
            text = config_text(stream.read(CONFIG_LIMIT))
    except OSError:
        return None
    finally:
        os.close(directory)
    return Text(path, text) if text is not None else None


def apply(plan: DropinPlan, dropin_dir: str = DROPIN_DIR) -> None:
    """Write or remove one drop-in through no symbolic link, then read the result back;
    WriteError when it is not what was meant."""
    path = os.path.dirname(plan.path)
    if os.path.dirname(path) != dropin_dir or os.path.basename(plan.path) != DROPIN_NAME:
        raise WriteError(f"{plan.path}: not a path bondhook writes")
    try:
        if plan.action == "write" and not os.path.lexists(path):
            os.mkdir(path, 0o755)
        directory = atomic_io.open_dir(path)
    except OSError as exc:
        raise WriteError(f"{path}: {exc.strerror or exc} (a symbolic link is refused)") from exc
    try:
        if plan.action == "write":
            assert plan.content is not None
            atomic_io.replace(directory, DROPIN_NAME, plan.content.encode("utf-8"))
        elif plan.action == "remove":
            os.unlink(DROPIN_NAME, dir_fd=directory)
            os.fsync(directory)
            if not os.listdir(directory):
                os.rmdir(path)
    except OSError as exc:
        raise WriteError(f"{plan.path}: {exc.strerror or exc}") from exc
    finally:
        os.close(directory)
    now = _read_own(plan.path)
    if (now.text if now else None) != plan.content:
        raise WriteError(f"{plan.path}: reads back other than written")
