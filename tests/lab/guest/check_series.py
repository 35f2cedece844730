"""Checks in a row, from one process (Python starts once under TCG): `bondhook check --json
--listen 1 bond0` as the CLI runs it, N times. Prints one JSON object: each check's exit status,
verdict, twin frames and the kernel's drop count. Usage: check_series.py N"""

import contextlib
import io
import json
import sys

from bondhook.cli.check_io import cmd_check
from bondhook.cli.parser import build_parser


def main() -> None:
    checks = []
    for _ in range(int(sys.argv[1])):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = cmd_check(build_parser().parse_args(["check", "--json", "--listen", "1", "bond0"]))
        [result] = json.loads(out.getvalue())
        checks.append({
            "rc": rc, "verdict": result["verdict"], "twin_frames": result.get("twin_frames"),
            "kernel_drops": result.get("kernel_drops"), "probes": result.get("probes"),
        })  # fmt: skip
    print(json.dumps({"checks": checks}))


if __name__ == "__main__":
    main()
