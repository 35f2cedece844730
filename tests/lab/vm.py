"""Boot a lab guest: Debian's own kernel under qemu TCG via virtme-ng, the host's root as the
guest's (read-only, with a writable overlay), virtio NICs with chosen permanent MACs on a
qemu-internal hub. A guest script writes key=value results to a shared directory."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUEST_DIR = Path(__file__).resolve().parent / "guest"
# Tools the guest runs from the host's root; the project's setup (.ci/run) installs them.
GUEST_TOOLS = ("ifup", "ifquery", "udevadm", "modprobe", "ip", "ping", "bash")
GUEST_FILES = ("/etc/network/if-pre-up.d/ifenslave", "/usr/lib/python3/dist-packages/pyroute2")
BOOT_TIMEOUT = 1200


def kernel() -> str | None:
    found = sorted(glob.glob("/boot/vmlinuz-*-amd64"))
    return found[-1] if found else None


def unavailable_reason() -> str | None:
    """Why the lab cannot run here, or None when it can."""
    if kernel() is None:
        return "no Debian kernel in /boot (apt-get install linux-image-amd64)"
    for tool in ("vng", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            return f"{tool} not found (pip install virtme-ng; apt-get install qemu-system-x86)"
    for tool in GUEST_TOOLS:
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return f"{tool} not found on the host root the guest boots from"
    for path in GUEST_FILES:
        if not os.path.exists(path):
            return f"{path} missing (apt-get install ifenslave python3-pyroute2)"
    return None


def require_lab() -> None:
    """Skip without the lab, but in CI (CI=true) a lab test that cannot run is a failure."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"lab unavailable in CI: {reason}")
    pytest.skip(f"lab unavailable: {reason}")


@dataclass
class GuestRun:
    out: Path
    results: dict[str, str]
    seconds: float

    def log(self, name: str = "guest.log") -> str:
        path = self.out / name
        return path.read_text(errors="replace") if path.exists() else ""

    def __getitem__(self, key: str) -> str:
        if key not in self.results:
            raise AssertionError(f"guest did not record {key!r}; guest log tail:\n{self.log()[-4000:]}")
        return self.results[key]


def command(
    script: str,
    macs: Sequence[str],
    out: Path,
    env: Mapping[str, str] | None = None,
    share: Path | None = None,
    extra_qemu: str = "",
) -> list[str]:
    """The vng command line for one guest: NICs with the given permanent MACs on the guest's own
    qemu hub (plus `extra_qemu`), `share` (default `out`) mounted read-write at the same path."""
    nics = " ".join(
        f"-netdev hubport,id=p{i},hubid=0 -device virtio-net-pci,netdev=p{i},mac={mac}" for i, mac in enumerate(macs)
    )
    settings = {"LAB_OUT": str(out), "BONDHOOK_ROOT": str(REPO), **(env or {})}
    exports = " ".join(f"{key}={value}" for key, value in settings.items())
    return [
        "vng", "--run", str(kernel()), "--disable-kvm", "--force-9p", "--disable-microvm", "--memory", "1G",
        "--rwdir", str(share or out), f"--qemu-opts={nics} {extra_qemu}".strip(),
        "--exec", f"env {exports} bash {GUEST_DIR / script}",
    ]  # fmt: skip


def results(out: Path) -> dict[str, str]:
    """What a guest recorded in OUT/results.txt, as key=value lines."""
    found: dict[str, str] = {}
    results_file = out / "results.txt"
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            key, _, value = line.partition("=")
            found[key] = value
    return found


def boot(
    script: str, macs: Sequence[str], out: Path, env: Mapping[str, str] | None = None, timeout: float = BOOT_TIMEOUT
) -> GuestRun:
    """Boot one guest, run guest/SCRIPT in it, and return what it recorded."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    proc = subprocess.run(
        command(script, macs, out, env), capture_output=True, text=True, timeout=timeout, check=False, cwd=out
    )
    seconds = time.monotonic() - start
    (out / "vng.log").write_text(proc.stdout + proc.stderr)
    print(f"lab: {script} booted and ran in {seconds:.0f} s", file=sys.stderr)
    return GuestRun(out, results(out), seconds)
