"""The one kind of failure every entry point expects from the outside world."""


class OutsideError(Exception):
    """The kernel, a tool, D-Bus or NetworkManager failed, refused or did not answer in time.
    str() is the reason and, where there is one, the fix: the caller adds which interface and
    what was left unchanged, and that is the whole line."""
