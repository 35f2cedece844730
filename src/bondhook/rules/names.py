"""Interface names: which text is one, and the documented order of ports. Pure.

No regular expressions: the steady-state dispatcher imports this, and importing `re` alone
costs half of a Python start (docs/benchmarks.md).
"""

from __future__ import annotations

# Linux accepts 1-15 bytes with no '/', ':' or whitespace; '.' and '..' are reserved. bondhook
# takes the ASCII subset admins use, matched in full (a trailing newline is not a name).
IFNAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@+-")
IFNAMSIZ = 15
_DIGITS = frozenset("0123456789")


def is_ifname(text: str) -> bool:
    """Whether `text` can be a Linux interface name (and so is safe to pass as an argument
    after `--`: a name may start with '-')."""
    return 0 < len(text) <= IFNAMSIZ and IFNAME_CHARS.issuperset(text) and text not in (".", "..")


def name_order(name: str) -> tuple[object, ...]:
    """Sort key that puts eth2 before eth10: the documented order of `bond-master` ports.
    Only ASCII digit runs count as numbers (a name may hold any other digit, e.g. 'tap1²'); text
    and numbers alternate from text, so two keys always compare text with text, int with int."""
    parts: list[object] = []
    run = ""
    for char in name:
        if (char in _DIGITS) != (len(parts) % 2 == 1):
            parts.append(int(run) if len(parts) % 2 else run)
            run = ""
        run += char
    parts.append(int(run) if len(parts) % 2 else run)
    return tuple(parts)
