"""NetworkManager's keyfile syntax, parsed as GKeyFile parses it. Pure; light on purpose (the
steady-state dispatcher imports it): no imports at all."""

from __future__ import annotations

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
