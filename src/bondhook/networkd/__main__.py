"""`python3 -I -m bondhook.networkd [--wait SECONDS]`: the boot unit's entry point. In the steady
state (`steady_io`) it ends before importing anything else; otherwise it is `bondhook
networkd-sync` with the same arguments."""

import sys

from bondhook.networkd import steady_io


def main() -> int:
    if steady_io.unchanged():
        return 0
    from bondhook.cli.commands_io import main as command

    verbose = [word for word in sys.argv[1:] if word in ("-v", "--verbose")]
    rest = [word for word in sys.argv[1:] if word not in verbose]
    return command([*verbose, "networkd-sync", *rest])


if __name__ == "__main__":
    sys.exit(main())
