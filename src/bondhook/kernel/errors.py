"""The kernel edge's failure, in a module of its own so that the boot unit's steady check can
raise and catch it without loading `sysfs_io`'s ioctl machinery."""

from bondhook.errors import OutsideError


class KernelError(OutsideError):
    """A tool or library the kernel edge needs is missing, or the kernel refused a change or did
    not keep it; str() is the reason and the fix."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code
