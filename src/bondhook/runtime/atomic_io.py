"""Files root writes where another user may have planted a link: a directory opened without
following a symbolic link, and a file replaced atomically inside it (a temporary file of a unique
name, fsynced, renamed over the old one, the directory fsynced), so that a power cut leaves the old
file or the new one, never a part. Only `os`: the boot unit's steady check uses it too."""

from __future__ import annotations

import os


def open_dir(path: str, dir_fd: int | None = None) -> int:
    """A directory to write in (`path` relative to `dir_fd` when given), opened without following
    a symbolic link (ELOOP if it is one)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def replace(directory: int, name: str, data: bytes, mode: int = 0o644) -> None:
    """`name` in the open `directory` holds `data` and `mode`; nothing written through a link."""
    temporary = f".{name}.{os.getpid()}.{os.urandom(6).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    handle = os.open(temporary, flags, mode, dir_fd=directory)
    try:
        with open(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        os.unlink(temporary, dir_fd=directory)
        raise
    os.fsync(directory)
