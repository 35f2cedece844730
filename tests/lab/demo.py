"""`make demo`: the field report's collision and its fix, live, on two lab guests.

Two hosts cloned from one image (the same /etc/machine-id, two NICs each with permanent MACs of
their own), each a real machine with its own kernel and udev, on one L2 segment: each guest's
NICs sit on its qemu hub, and the two hubs are joined by a datagram link over two unix sockets
in a private temporary directory (no IP address on the host is involved). Each host brings up
bond0 (active-backup) with ifupdown and pings the other's IPv6 link-local address, which the
kernel derives from the bond's MAC: identical MACs mean identical addresses, and duplicate
address detection fails, as the kernel logs. After each act both hosts run `bondhook check` at
the same moment, and `bondhook status`. Then the same with a bridge over the bond (vmbr0, as on
KVM hosts), without and with bridge-utils' `bridge_hw bond0`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.lab.vm import (
    BOOKWORM,
    BOOT_TIMEOUT,
    RELEASES,
    REPO,
    Release,
    command,
    results,
    slots,
    unavailable_reason,
)

MACHINE_ID = "5eed0000c10ed0000000000000000042"
HOSTS = {
    "host1": ("52:54:00:c8:76:09", "52:54:00:c8:76:0a"),
    "host2": ("52:54:00:3e:11:01", "52:54:00:3e:11:02"),
}
ACTS = (
    ("persistent", "without bondhook, no ifenslave .link (udev hashes machine-id)"),
    ("stolen", "without bondhook, ifenslave's .link (bond takes a port's MAC)"),
    ("bondhook", "with bondhook, bond-derive-mac yes (and a VLAN on the bond)"),
    ("bridge", "with bondhook, vmbr0 over bond0 (udev hashes machine-id into the bridge's MAC)"),
    ("bridge_hw", "with bondhook, vmbr0 over bond0 with 'bridge_hw bond0'"),
)
DEVICE = {"bridge": "vmbr0", "bridge_hw": "vmbr0"}
CHECK = {"0": "no twin", "1": "TWIN", "2": "could not check"}


def _link(work: Path, me: str, peer: str) -> str:
    """qemu options joining this guest's hub to the other's: unix datagram sockets only."""
    return (
        f"-netdev dgram,id=link,local.type=unix,local.path={work / me}.sock,"
        f"remote.type=unix,remote.path={work / peer}.sock -netdev hubport,id=up,hubid=0,netdev=link"
    )


# The reaper: a process of its own that holds the read end of a pipe from the demo and learns each
# guest's process group from it. When the pipe closes without "done" (the demo died, even by
# SIGKILL), it kills those groups. It ignores the signals that stop the demo, so that it outlives it.
_REAPER = """
import os, signal, sys
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, signal.SIG_IGN)
groups = []
for line in sys.stdin:
    if line.strip() == "done":
        sys.exit(0)
    groups.append(int(line))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


class Guests:
    """Guest processes (vng, virtme-run and qemu, one process group each) that never outlive the
    demo: stopped on the way out of the `with` (SIGTERM, then SIGKILL after `grace` seconds), and
    by the reaper if the demo itself is killed."""

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.procs: list[subprocess.Popen[bytes]] = []
        self._reaper: subprocess.Popen[str] | None = None

    def __enter__(self) -> Guests:
        self._reaper = subprocess.Popen(
            [sys.executable, "-I", "-c", _REAPER], stdin=subprocess.PIPE, text=True, start_new_session=True
        )
        return self

    def start(self, argv: list[str], **kwargs) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self.procs.append(proc)
        assert self._reaper is not None and self._reaper.stdin is not None
        self._reaper.stdin.write(f"{proc.pid}\n")
        self._reaper.stdin.flush()
        return proc

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        end = time.monotonic() + self.grace
        for proc in self.procs:
            try:
                proc.wait(timeout=max(end - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # what qemu started and left behind, too
            proc.wait()
        if self._reaper is not None and self._reaper.stdin is not None:
            self._reaper.stdin.write("done\n")
            self._reaper.stdin.close()
            self._reaper.wait(timeout=30)


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def _compiled_src(work: Path) -> Path:
    """bondhook's source compiled here by the guests' own interpreter (bookworm's guests run this
    host's root): under TCG the copy and compile took each guest half a minute. A trixie guest
    compiles for its own Python on first import (the share is writable)."""
    src = work / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"), dirs_exist_ok=True)
    subprocess.run(["/usr/bin/python3", "-m", "compileall", "-q", str(src)], check=True, stdout=subprocess.DEVNULL)
    return src


def run(work: Path, progress=print, release: Release = BOOKWORM, series: int = 0) -> dict[str, dict[str, str]]:
    """Boot both hosts of `release` at once, wait for both, and return what each recorded. With
    `series`, each host also runs that many checks in a row in two acts (the lab's, not the
    demo's: they take minutes).

    One vCPU each (vm.GUEST_CPUS): each guest then keeps one of a two-core machine's cores busy and
    the two work side by side. With vng's default, a vCPU per host CPU, their four vCPU threads
    stalled each other: the demo took 4 min 24 s with boots and `ifup`s taken in turns, against
    2 min 27 s at once on one vCPU each (same machine, same hour), with half the CPU time."""
    names = list(HOSTS)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    src = _compiled_src(work)
    with slots(len(names)), Guests() as guests:
        for me in names:
            peer = next(n for n in names if n != me)
            out = work / me
            out.mkdir(parents=True)
            env = {
                "NIC_A": HOSTS[me][0],
                "NIC_B": HOSTS[me][1],
                "CLONE_MACHINE_ID": MACHINE_ID,
                "DEMO_HOST": me,
                "DEMO_PEER": peer,
                "LAB_SRC": str(src),
                **({"SERIES": str(series)} if series else {}),
            }
            argv = command("demo.sh", HOSTS[me], out, env, work, _link(work, me, peer), release)
            with (out / "vng.log").open("wb") as log:
                procs[me] = guests.start(argv, stdout=log, stderr=subprocess.STDOUT, cwd=out)
        _follow(work, procs, progress)
    return {me: results(work / me) for me in names}


def _follow(work: Path, procs: dict[str, subprocess.Popen[bytes]], progress) -> None:
    """Progress lines as each host reaches each step, until both guests power off."""
    seen: set[tuple[str, str]] = set()
    start = time.monotonic()
    while any(proc.poll() is None for proc in procs.values()):
        if time.monotonic() - start > BOOT_TIMEOUT:
            raise TimeoutError("the demo guests did not finish")
        for me in procs:
            got = results(work / me)
            for key, text in (("booted", "booted"), *((f"{a}.ping_rc", f"act '{a}' done") for a, _ in ACTS)):
                if key in got and (me, key) not in seen:
                    seen.add((me, key))
                    progress(f"  {me}: {text} ({time.monotonic() - start:.0f} s)")
        time.sleep(1)


def origin(host: str, got: dict[str, str], act: str) -> str:
    """Where the address the host is known by (its bond's, or its bridge's) came from."""
    mac = got.get(f"{act}.dev_mac", "?")
    nics = HOSTS[host]
    if act in DEVICE and mac == got.get(f"{act}.mac"):
        return "bond0's (bridge_hw)"
    if mac in nics:
        return f"NIC {nics.index(mac) + 1}'s own MAC"
    if mac[3:] in (nic[3:] for nic in nics) and mac.startswith("02"):
        return "derived: 02 + NIC 1"
    return "udev hash of machine-id" if got.get(f"{act}.assign") == "3" else "kernel random"


def ping_verdict(got: dict[str, str], act: str) -> str:
    """Whether this host reached the other: with one MAC on both, the 'peer' address is its own."""
    if got.get(f"{act}.ll_state") == "dadfailed":
        return "FAILS (DAD failed)"
    if got.get(f"{act}.ping_rc") in ("126", "127"):
        return "not measured: no ping in the guest"
    if got.get(f"{act}.ping_rc") != "0":
        return "FAILS"
    mine = got.get(f"{act}.dev_mac", got.get(f"{act}.mac"))
    return "only itself answers" if got.get(f"{act}.peer_mac") == mine else "ok"


def table(found: dict[str, dict[str, str]]) -> list[str]:
    """The before/after table a person reads at a glance."""
    header = ("act", "host", "device", "its MAC", "where it came from", "ping the other", "unique?", "bondhook check")
    row_format = "{:<10} {:<6} {:<7} {:<18} {:<24} {:<20} {:<13} {}"
    lines = [row_format.format(*header)]
    for act, _ in ACTS:
        macs = [found[h].get(f"{act}.dev_mac") for h in HOSTS]
        unique = "yes" if len(set(macs)) == len(macs) else "NO: same MAC"
        for host, got in found.items():
            check = CHECK.get(got.get(f"{act}.check_rc", ""), "not run")
            mac, where, ping = got.get(f"{act}.dev_mac", "?"), origin(host, got, act), ping_verdict(got, act)
            lines.append(row_format.format(act, host, DEVICE.get(act, "bond0"), mac, where, ping, unique, check))
    return lines


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    # Once: a second signal (`timeout` signals its whole process group, and make passes it on)
    # must not break off the clean-up the first one started.
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C, a closed terminal or a kill all end in the same clean-up; a shell that started us in
    the background may have left SIGINT ignored, so set it explicitly."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def main() -> int:
    stop_on_signals()
    names = {release.name: release for release in RELEASES}
    release = names.get(os.environ.get("DEMO_RELEASE", BOOKWORM.name))
    if release is None:
        print(f"demo: DEMO_RELEASE must be one of {', '.join(names)}", file=sys.stderr)
        return 1
    reason = unavailable_reason(release)
    if reason:
        print(f"demo: cannot run: {reason}; run `make setup` first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="bondhook-demo-"))
    try:
        print("Two hosts cloned from one image (same machine-id), two NICs each, one L2 segment.")
        for act, text in ACTS:
            print(f"  act '{act}': {text}")
        print(f"Booting both guests (Debian {release.name}'s kernel and root under qemu; about 3 min in all) ...")
        found = run(work, release=release)
        print()
        print("\n".join(table(found)))
        dups = sum(int(got.get("persistent.dmesg_dup", "0")) for got in found.values())
        print()
        print("persistent: the guests mask ifenslave's 98-net-bonding.link, as the reporter's machines")
        print("            (and NetworkManager-only hosts) lack it; udev hashes the shared machine-id into one MAC,")
        print(f"            so one IPv6 link-local address; the kernel logged {dups} 'duplicate address' line(s).")
        print("stolen:     unique, but each bond reuses NIC 1's own MAC: with 802.3ad, when the active aggregator")
        print("            moves, that MAC shows up on two switches (the hazard in the field report).")
        print("bondhook:   unique, locally administered, traceable: 02 + NIC 1's last five octets.")
        print("bridge:     the bond is fine, but udev hashes the machine-id into vmbr0's MAC: the clones collide")
        print("            again; `bondhook status` says so with the fix, `bondhook check` finds the twin.")
        print("bridge_hw:  with `bridge_hw bond0` the bridge carries the bond's derived MAC: unique and traceable.")
        ok = all(found[h].get("bondhook.ping_rc") == "0" for h in HOSTS)
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("demo: interrupted; guests stopped", file=sys.stderr)
        return 130
    finally:
        if not os.environ.get("DEMO_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
