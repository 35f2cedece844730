"""`python3 -I -m bondhook.ifupdown`: the if-pre-up.d entry point (if-up.d/bondhook starts it)."""

import os
import sys

from bondhook.ifupdown.ifquery_io import hook
from bondhook.rules.names import is_ifname
from bondhook.runtime import hookmain_io


def main() -> int:
    """Never fails ifup: whatever happens is logged in one line and the exit status is 0."""
    iface = os.environ.get("IFACE", "")
    return hookmain_io.run(iface if is_ifname(iface) else "IFACE", lambda: hook(os.environ))


if __name__ == "__main__":
    sys.exit(main())
