"""One act's twin evidence from one process, as the demo's hosts gather it: `bondhook check --json`,
then `bondhook status --json` (and the text view where the README quotes it), as the CLI runs them.

Python starts once (under TCG each start costs seconds, and differently on each host), with the
act: it loads everything, waits for the act to reach its evidence (OUT/ACT.go), then announces it
is ready with a file in the shared directory and waits (bounded) for the other host's, so the two
windows start within a fraction of a second and a short --listen suffices. Prints `check_at=T`,
`check_rc=N` and `status_rc=N`. Usage: evidence.py OUT ACT SHARED HOST PEER LISTEN [text]"""

import contextlib
import sys
import time
from pathlib import Path

from bondhook.cli import check_io, commands_io  # noqa: F401 - everything loaded before the meeting

READY_WAIT = 120.0
GO_WAIT = 600.0


def wait_for(path: Path, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < end:
        time.sleep(0.1)


def run(argv: list[str], out: Path, err: Path) -> int:
    with out.open("w") as stdout, err.open("a") as stderr:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            return commands_io.main(argv)


def main() -> None:
    out, act, shared, host, peer, listen = sys.argv[1:7]
    out_dir, shared_dir = Path(out), Path(shared)
    wait_for(out_dir / f"{act}.go", GO_WAIT)
    (shared_dir / f"{host}.{act}.ready").touch()
    wait_for(shared_dir / f"{peer}.{act}.ready", READY_WAIT)
    print(f"check_at={time.time():.3f}")
    rc = run(["check", "--json", "--listen", listen], out_dir / f"{act}.check.json", out_dir / f"{act}.check.err")
    print(f"check_rc={rc}")
    rc = run(["status", "--json"], out_dir / f"{act}.status.json", out_dir / f"{act}.status.err")
    print(f"status_rc={rc}")
    if sys.argv[7:] == ["text"]:
        run(["status"], out_dir / f"{act}.status.txt", out_dir / f"{act}.status.err")


if __name__ == "__main__":
    main()
