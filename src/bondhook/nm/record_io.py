"""The MAC a bond's pre-up left it with for its activation, kept where the later dispatcher
events of that activation find it: /run/bondhook/nm/BOND holding "IFINDEX MAC".

Why: something after the pre-up can undo it. On bookworm, NetworkManager's 01-ifupdown runs
ifenslave's post-down for every queued `down` event, which frees the ports of whatever bond the
port is in by then, a bond NetworkManager has just activated among them; when the last one goes
the kernel gives the bond a random MAC, and the next port to join gives it its own (issue 22).
The `up` and `down` events that follow read this record (`again_io`) to know the MAC this
activation's bond must carry without asking NetworkManager; the ifindex tells this bond from an
earlier one of the same name. Light (only os): the steady-state pre-up writes it. Directories
are opened without following a link, the record replaced atomically (`atomic_io`)."""

from __future__ import annotations

import os

from bondhook.runtime import atomic_io

RUN_DIR = "/run/bondhook"
NM_DIR = "nm"
_READ_LIMIT = 64


def _nm_dir(create: bool) -> int | None:
    """The records' directory, opened without following a link; None when it does not exist and
    `create` is false."""
    try:
        if create:
            try:
                os.mkdir(RUN_DIR, 0o755)
            except FileExistsError:
                pass
        parent = atomic_io.open_dir(RUN_DIR)
    except FileNotFoundError:
        return None
    try:
        if create:
            try:
                os.mkdir(NM_DIR, 0o755, dir_fd=parent)
            except FileExistsError:
                pass
        return atomic_io.open_dir(NM_DIR, dir_fd=parent)
    except FileNotFoundError:
        return None
    finally:
        os.close(parent)


def parse(text: str) -> tuple[int, str] | None:
    """A record's ifindex and MAC; None for anything this module did not write."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 17:
        return None
    return int(parts[0]), parts[1]


def recall(bond: str) -> tuple[int, str] | None:
    """The bond's record, or None. `bond` is a validated interface name."""
    directory = _nm_dir(create=False)
    if directory is None:
        return None
    try:
        handle = os.open(bond, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=directory)
    except FileNotFoundError:
        return None
    finally:
        os.close(directory)
    with open(handle, "rb") as stream:
        return parse(stream.read(_READ_LIMIT).decode("ascii", "replace"))


def remember(bond: str, ifindex: int, mac: str) -> None:
    """The bond `ifindex` carries `mac` for this activation; written only when the record says
    otherwise. OSError when /run/bondhook or its nm directory is a link or cannot be written."""
    if recall(bond) == (ifindex, mac):
        return
    directory = _nm_dir(create=True)
    if directory is None:  # removed between the two calls
        raise FileNotFoundError(f"{RUN_DIR}/{NM_DIR}")
    try:
        atomic_io.replace(directory, bond, f"{ifindex} {mac}\n".encode())
    finally:
        os.close(directory)


def forget(bond: str) -> None:
    """No record for the bond: this activation's MAC is not bondhook's to keep."""
    directory = _nm_dir(create=False)
    if directory is None:
        return
    try:
        os.unlink(bond, dir_fd=directory)
    except FileNotFoundError:
        pass
    finally:
        os.close(directory)
