"""Shell-style patterns as systemd tests them: the C library's fnmatch(3), called with no flags,
which is what systemd-networkd and udev call for Name= and the other glob lists. By construction
rather than imitation: Python's fnmatch differs (it knows no `[^...]`, no `[[:alpha:]]` classes,
no backslash escapes), and a port chosen by a different glob is a MAC derived from the wrong NIC.
"""

from __future__ import annotations

import ctypes
from functools import cache


@cache
def _fnmatch() -> ctypes._CFuncPtr:  # type: ignore[name-defined]
    function = ctypes.CDLL(None, use_errno=False).fnmatch
    function.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


def _c(text: str) -> bytes:
    # Interface names are bytes to the kernel; a name Python decoded with surrogates goes back as it came.
    return text.encode("utf-8", "surrogateescape")


def fnmatch(pattern: str, name: str) -> bool:
    """fnmatch(pattern, name, 0) == 0. A string holding NUL matches nothing: C sees it cut short."""
    if "\0" in pattern or "\0" in name:
        return False
    return _fnmatch()(_c(pattern), _c(name), 0) == 0
