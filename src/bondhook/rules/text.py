"""Outside text made safe to show: escaped and bounded. Pure.

Everything bondhook prints or logs may quote text it did not write (option values, profile
names, user data, ifquery output). A newline in such text would forge a second syslog line and a
100 KB value would flood the journal, so quoting goes through `shown`, and every whole line
through `one_line` as the last step before a handler writes it.
"""

from __future__ import annotations

SHOWN_LIMIT = 80
LINE_LIMIT = 1000
# A configuration file bondhook reads (a keyfile, a .netdev) is read up to this many bytes.
CONFIG_LIMIT = 1 << 20


def _escape(text: str) -> str:
    """Non-printable characters (newlines, escapes, control and format characters) as \\x.., \\u...."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _bound(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def shown(value: str, limit: int = SHOWN_LIMIT) -> str:
    """A value from outside, quoted for a message: 'bond0', 'a\\nb', 'xxxx... (99920 more characters)'."""
    return "'" + _bound(_escape(value), limit) + "'"


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """A whole log line: nothing in it can start another line or run on for pages."""
    return _bound(_escape(text), limit)


def decode(raw: bytes) -> str:
    """Bytes from outside (sysfs, ifquery, keyfiles) as text; invalid UTF-8 never raises: such
    bytes become U+FFFD, which no valid name or value contains, so validation then refuses them."""
    return raw.decode("utf-8", errors="replace")


def config_text(raw: bytes) -> str | None:
    """A configuration file's bytes, read up to CONFIG_LIMIT, as text; None when it may have been
    cut short or is not UTF-8, since then bondhook cannot say what the file holds."""
    text = decode(raw)
    return None if len(raw) >= CONFIG_LIMIT or "\ufffd" in text else text
