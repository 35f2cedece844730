"""Boot a lab guest: a Debian release's own kernel under qemu TCG via virtme-ng, that release's
root file system (read-only, with a writable overlay), virtio NICs with chosen permanent MACs on a
qemu-internal hub. A guest script writes key=value results to a shared directory.

Two releases: bookworm is this host's own root; trixie is a root that `.ci/lab-root` builds from
Debian's archive. Every host path a guest is handed (the repository, its output directory, paths
in its environment) is visible in the guest at the same path, so guest scripts never translate."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypeVar

import pytest

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
GUEST_DIR = Path(__file__).resolve().parent / "guest"
# Tools the guest runs from its root; the project's set-up (.ci/setup) installs them.
GUEST_TOOLS = ("ifup", "ifquery", "udevadm", "modprobe", "ip", "ping", "bash", "NetworkManager", "busctl")
GUEST_FILES = ("etc/network/if-pre-up.d/ifenslave", "usr/lib/python3/dist-packages/pyroute2")
TOOL_DIRS = ("usr/sbin", "usr/bin", "sbin", "bin")
BOOT_TIMEOUT = 1200
BOOT_ATTEMPTS = 3
# One vCPU a guest: its TCG thread keeps one core busy, and a single guest ran as fast on one as on
# two (test_ifupdown on bookworm: 403 s against 401 s). vng gives each of its six virtio-serial
# devices qemu's default 31 ports: 470 descriptors that qemu's main loop polled at every wakeup, 27%
# of a core beside the vCPU's; with two ports each (the console's and vng's own) 125, and 9%. Two
# guests side by side then took 266 s each for what one alone ran in 210 s (309 s with 31 ports).
GUEST_CPUS = 1
GUEST_QEMU = "-global virtio-serial-pci.max_ports=2"


@dataclass(frozen=True)
class Release:
    """A Debian release the lab boots: its root file system, with its kernel in /boot."""

    name: str
    root: Path
    set_up_by: str
    debs: Path  # packages a guest installs in place of the root's own (ifupdown2), on the host

    def handed_deb(self, package: str, out: Path) -> str:
        """A copy, in OUT/debs (a guest's share), of the release's .deb of `package` that
        `make setup` fetched; without one, the test cannot run (cannot_run)."""
        found = sorted(self.debs.glob(f"{package}_*.deb"))
        if not found:
            cannot_run(f"no {package} .deb for {self.name} in {self.debs} ({self.set_up_by} fetches it)")
        (out / "debs").mkdir(parents=True, exist_ok=True)
        return str(shutil.copy(found[-1], out / "debs" / found[-1].name))

    @property
    def own_root(self) -> bool:
        """True for a root of its own; False for this host's root."""
        return self.root != Path("/")

    def kernel(self) -> str | None:
        found = sorted(glob.glob(str(self.root / "boot" / "vmlinuz-*-amd64")))
        return found[-1] if found else None

    def has(self, relative: str) -> bool:
        return os.path.lexists(self.root / relative)


LAB_CACHE = Path("/var/cache/bondhook-lab")
BOOKWORM = Release("bookworm", Path("/"), "apt-get install (.ci/setup)", LAB_CACHE / "debs" / "bookworm")
TRIXIE = Release("trixie", LAB_CACHE / "trixie", ".ci/lab-root", LAB_CACHE / "trixie" / "opt" / "lab-debs")
RELEASES = (BOOKWORM, TRIXIE)

# What `make test` (and so CI) boots: each lab module on one release, the modules split between
# the two so that each release's kernel, udev, ifupdown and daemons are booted. The whole matrix,
# every module on both (`make lab-all`, LAB_MATRIX=all), took about twice CI's 45-minute target on
# this workplace's machines (a TCG guest there ran about 2x slower than the run that set it).
# NetworkManager runs on trixie here: bookworm's 1.42 has an open intermittent failure (a bond
# brought up through its port profile), which lab-all still shows.
CI_RELEASE = {
    "test_demo": BOOKWORM.name,  # make demo's default release
    "test_ifupdown": BOOKWORM.name,
    "test_ifupdown2": TRIXIE.name,  # upstream's on trixie; Debian's bookworm one in the package boot
    "test_package": BOOKWORM.name,  # the .deb is built here; the upgrade from the previous revision
    "test_networkd": TRIXIE.name,
    "test_networkmanager": TRIXIE.name,
    "test_nm_through_port": BOOKWORM.name,  # issue 22: NetworkManager 1.42 with 01-ifupdown
}


def in_ci_matrix(module: str, release: str) -> bool:
    """Whether `make test` boots this lab module on this release (every pair with LAB_MATRIX=all)."""
    return os.environ.get("LAB_MATRIX") == "all" or CI_RELEASE.get(module, release) == release


def unavailable_reason(release: Release = BOOKWORM) -> str | None:
    """Why the lab cannot boot `release` here, or None when it can."""
    where = f"{release.name} root {release.root}"
    if not release.root.is_dir():
        return f"no {where} (make setup runs {release.set_up_by})"
    if release.kernel() is None:
        return f"no Debian kernel in /boot of the {where} (linux-image-amd64)"
    for tool in ("vng", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            return f"{tool} not found (pip install virtme-ng; apt-get install qemu-system-x86)"
    for tool in GUEST_TOOLS:
        if not any(release.has(f"{directory}/{tool}") for directory in TOOL_DIRS):
            return f"{tool} not found in the {where} ({release.set_up_by} installs it)"
    for path in GUEST_FILES:
        if not release.has(path):
            return f"/{path} missing in the {where} (ifenslave, python3-pyroute2)"
    return None


def cannot_run(message: str) -> NoReturn:
    """Skip a test that cannot run here, but in CI (CI=true) such a test is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a test that cannot run fails)")
    pytest.skip(message)


def built(pattern: str, how: str) -> str:
    """A package `make deb` or `make deb-previous` built into dist/, for a guest to install."""
    found = sorted(glob.glob(str(REPO / "dist" / pattern)))
    if not found:
        pytest.fail(f"no dist/{pattern}: `{how}` (make test builds it first)")
    return found[-1]


def require_lab(release: Release = BOOKWORM) -> None:
    """A lab test needs its release's guest; see cannot_run."""
    reason = unavailable_reason(release)
    if reason is not None:
        cannot_run(f"lab unavailable: {reason}")


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
            name = "guest.log" if (self.out / "guest.log").exists() else "vng.log"
            raise AssertionError(f"guest did not record {key!r}; {name} tail:\n{self.log(name)[-4000:]}")
        return self.results[key]


def _mounts(release: Release, rw: Path, env: Mapping[str, str]) -> list[str]:
    """vng options that show the guest `rw` (read-write), the repository and every existing
    absolute path in `env` (read-only) at their host paths. The host's own root shows them all
    already; a root of its own gets a mount point for each (it is the lab's, built for this)."""
    if not release.own_root:
        return ["--rwdir", str(rw)]
    shown = [rw]
    options = ["--root", str(release.root), "--rwdir", f"{rw}={rw}"]
    paths = [REPO, *(Path(value) for value in env.values() if value.startswith("/"))]
    for path in paths:
        if path.exists() and not any(path.is_relative_to(done) for done in shown):
            path = path if path.is_dir() else path.parent
            shown.append(path)
            options += ["--rodir", f"{path}={path}"]
    for path in shown:
        (release.root / path.relative_to("/")).mkdir(parents=True, exist_ok=True)
    return options


def command(
    script: str,
    macs: Sequence[str],
    out: Path,
    env: Mapping[str, str] | None = None,
    share: Path | None = None,
    extra_qemu: str = "",
    release: Release = BOOKWORM,
) -> list[str]:
    """The vng command line for one guest of `release`: NICs with the given permanent MACs on the
    guest's own qemu hub (plus `extra_qemu`), `share` (default `out`) mounted read-write."""
    nics = " ".join(
        f"-netdev hubport,id=p{i},hubid=0 -device virtio-net-pci,netdev=p{i},mac={mac}" for i, mac in enumerate(macs)
    )
    settings = {"LAB_OUT": str(out), "BONDHOOK_ROOT": str(REPO), **(env or {})}
    exports = " ".join(f"{key}={value}" for key, value in settings.items())
    return [
        "vng", "--run", str(release.kernel()), "--disable-kvm", "--force-9p", "--disable-microvm", "--memory", "1G",
        "--cpus", str(GUEST_CPUS), *_mounts(release, share or out, settings),
        f"--qemu-opts={GUEST_QEMU} {nics} {extra_qemu}".strip(),
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


# Where guests take their slots: lock files shared by every process of this user on the host.
SLOTS = Path("/run/lock") / f"bondhook-lab-{os.getuid()}"


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding `path`'s exclusive lock, or None when another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _wait_for(take: Callable[[], T | None], what: str, deadline: float) -> T:
    """What `take` returns once it returns something, polled each second until `deadline`."""
    while (got := take()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} free in {BOOT_TIMEOUT} s (another lab run holding {SLOTS}?)")
        time.sleep(1)
    return got


@contextlib.contextmanager
def slots(count: int = 1) -> Iterator[None]:
    """Hold `count` guest slots, one per host CPU, while guests run. Every lab process on the host
    shares them (make test runs two lanes of lab modules side by side, and boot_each boots at
    once), so one-vCPU guests never outnumber the cores. A waiter holds the gate until it has all
    it asked for: the demo's two guests, which must run together, are not starved by single ones."""
    SLOTS.mkdir(mode=0o700, exist_ok=True)
    names = [SLOTS / f"slot{i}" for i in range(max(os.cpu_count() or 1, count))]
    deadline = time.monotonic() + BOOT_TIMEOUT
    held: list[int] = []

    def take() -> list[int] | None:
        for name in names:
            if len(held) < count and (fd := _try_lock(name)) is not None:
                held.append(fd)
        return held if len(held) == count else None

    try:
        gate = _wait_for(lambda: _try_lock(SLOTS / "gate"), "gate", deadline)
        try:
            _wait_for(take, f"{count} guest slot(s)", deadline)
        finally:
            os.close(gate)
        yield
    finally:
        for fd in held:
            os.close(fd)


def _boot_once(argv: list[str], script: str, out: Path, release: Release, timeout: float) -> GuestRun:
    for stale in out.iterdir():
        if stale.is_file():
            stale.unlink()
    with slots():
        start = time.monotonic()  # the guest's own time, not the wait for its slot
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=out)
        seconds = time.monotonic() - start
    (out / "vng.log").write_text(f"{proc.stdout}{proc.stderr}vng exit status {proc.returncode}\n")
    print(f"lab: {script} on {release.name} booted and ran in {seconds:.0f} s", file=sys.stderr)
    return GuestRun(out, results(out), seconds)


def boot(
    script: str,
    macs: Sequence[str],
    out: Path,
    env: Mapping[str, str] | None = None,
    release: Release = BOOKWORM,
    timeout: float = BOOT_TIMEOUT,
) -> GuestRun:
    """Boot one guest of `release`, run guest/SCRIPT in it, and return what it recorded. Files a
    guest wrote into `out` before (a reused LAB_OUT) are removed first, since guests append to
    theirs; directories are the caller's inputs and stay.

    A guest that never started its script (no guest.log: nothing of bondhook's ran) is booted
    again, up to BOOT_ATTEMPTS in all, and said: CI runs on this machine saw it, twice in a row
    once (qemu up and down in 5-10 s, no output, vng's log only qemu's hub warning), and the same
    boot by hand right after ran normally."""
    out.mkdir(parents=True, exist_ok=True)
    argv = command(script, macs, out, env, release=release)
    for attempt in range(1, BOOT_ATTEMPTS + 1):
        run = _boot_once(argv, script, out, release, timeout)
        if (out / "guest.log").exists():
            break
        print(f"lab: {script} on {release.name} never started its script (attempt {attempt})", file=sys.stderr)
    return run


def boot_each(
    script: str, guests: Mapping[str, tuple[Sequence[str], Mapping[str, str]]], out: Path, release: Release
) -> dict[str, GuestRun]:
    """Boot several guests of `release` at once as slots allow, each NAME with its NICs and
    environment, writing to OUT/NAME; what each recorded, by name."""
    with ThreadPoolExecutor(max_workers=len(guests)) as pool:
        runs = {name: pool.submit(boot, script, macs, out / name, env, release) for name, (macs, env) in guests.items()}
        return {name: run.result() for name, run in runs.items()}
