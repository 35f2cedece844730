"""The systemd-networkd edge: read its configuration directories as networkd does, wait (bounded)
for the NICs the bonds' port files name, and write or remove bondhook's drop-ins, read back.

udev decides: networkd itself waits for udev to have processed a link before it configures it,
and udev renames NICs while it does. A link is ready when udev's database holds it
(/run/udev/data/nIFINDEX), which udev writes when it has finished the link's event.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bondhook.kernel import rtnl_io, sysfs_io
from bondhook.kernel.sysfs_io import KernelError
from bondhook.networkd import steady_io
from bondhook.networkd.config import (
    DROPIN_NAME,
    NETWORK_DIRS,
    ConfigProblem,
    Netdev,
    Network,
    NotLoaded,
    Own,
    Text,
    bonds,
    expected,
    netdev,
    network,
)
from bondhook.networkd.dropin import DropinPlan, plans
from bondhook.networkd.dropin_io import WriteError, apply, own_dropins
from bondhook.networkd.manager import Netdevs
from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.plan import Facts, Message
from bondhook.rules.text import CONFIG_LIMIT, config_text
from bondhook.runtime import deadline_io, logsetup_io

log = logging.getLogger("bondhook")

UDEV_DATA = "/run/udev/data"
_LINKS = "the kernel's list of links"
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Config:
    """networkd's configuration as bondhook reads it, and every file it could not read."""

    netdevs: tuple[Netdev, ...]
    networks: tuple[Network, ...]
    own: tuple[Own, ...]
    problems: tuple[str, ...]


def _read(path: str) -> Text | None:
    """A file's text; None when masked (a link to /dev/null, or empty), as networkd skips it."""
    try:
        if os.path.realpath(path) == os.devnull:
            return None
        with open(path, "rb") as handle:
            raw = handle.read(CONFIG_LIMIT)
    except OSError as exc:
        return Text(path, None, exc.strerror or str(exc))
    text = config_text(raw)
    if text is None:
        return Text(path, None, "not a configuration file bondhook can read (too large, or not UTF-8)")
    return Text(path, text) if text.strip() else None


def _unique_dirs(dirs: Sequence[str]) -> list[str]:
    """The search path with a directory that is a link to an earlier one (/lib on merged /usr)
    read once."""
    seen: set[str] = set()
    unique = []
    for directory in dirs:
        real = os.path.realpath(directory)
        if real not in seen:
            seen.add(real)
            unique.append(directory)
    return unique


def _listing(directory: str, suffixes: tuple[str, ...]) -> list[str]:
    try:
        return [name for name in os.listdir(directory) if name.endswith(suffixes)]
    except OSError:
        return []


def _winners(dirs: Sequence[str], suffixes: tuple[str, ...]) -> dict[str, str]:
    """File name -> path of the copy networkd reads: the first directory that has the name."""
    found: dict[str, str] = {}
    for directory in dirs:
        for name in _listing(directory, suffixes):
            found.setdefault(name, os.path.join(directory, name))
    return found


def _dropins(dirs: Sequence[str], name: str) -> list[Text]:
    """NAME.d/*.conf across the directories, by file name; an earlier directory's file hides a
    later one's of the same name; masked ones are skipped."""
    paths = _winners([os.path.join(d, f"{name}.d") for d in dirs], (".conf",))
    return [text for key in sorted(paths) if (text := _read(paths[key])) is not None]


def load(dirs: Sequence[str] = NETWORK_DIRS) -> Config:
    """Every .netdev and .network networkd would read, with drop-ins, and bondhook's drop-ins."""
    dirs = _unique_dirs(dirs)
    netdevs: list[Netdev] = []
    networks: list[Network] = []
    problems: list[str] = []
    for name, path in sorted(_winners(dirs, (".netdev", ".network")).items()):
        main = _read(path)
        if main is None:
            continue
        try:
            if name.endswith(".netdev"):
                ours = os.path.join(dirs[0], f"{name}.d")
                linked = os.path.islink(ours) or os.path.islink(os.path.join(ours, DROPIN_NAME))
                netdevs.append(netdev(main, _dropins(dirs, name), dirs[0], linked))
            else:
                networks.append(network(main, _dropins(dirs, name)))
        except NotLoaded as exc:
            log.warning("%s", exc)
        except ConfigProblem as exc:
            problems.append(str(exc))
    return Config(tuple(netdevs), tuple(networks), tuple(own_dropins(dirs[0])), tuple(problems))


def _ready(name: str) -> bool:
    index = sysfs_io.read(f"{sysfs_io.SYS_NET}/{name}/ifindex")
    return index is not None and os.path.exists(f"{UDEV_DATA}/n{index}")


def facts() -> Facts:
    """The fact snapshot with each link's alternative names, which networkd's Name= matches too
    (the snapshot already holds the permanent address as ethtool gave it, all-zero on a virtual
    link, which PermanentMACAddress=00:00:00:00:00:00 matches); KernelError when the kernel does
    not list the names."""
    snapshot = sysfs_io.read_facts()
    alternative = rtnl_io.read_altnames(deadline_io.remaining(_LINKS))
    return Facts(tuple(replace(link, altnames=alternative.get(link.index, ())) for link in snapshot.links))


def _missing(names: Sequence[str], macs: Sequence[Mac]) -> list[str]:
    try:
        present = {name for name in os.listdir(sysfs_io.SYS_NET) if _ready(name)}
    except OSError:
        present = set()
    if set(names) - present:
        # A name may be an alternative name of a link that is there (and ready).
        try:
            indexes = {sysfs_io.read(f"{sysfs_io.SYS_NET}/{name}/ifindex") for name in present}
            for index, alternative in rtnl_io.read_altnames(deadline_io.remaining(_LINKS)).items():
                if str(index) in indexes:
                    present.update(alternative)
        except KernelError as exc:
            log.debug("%s", exc)
    perms = {parse_optional(sysfs_io.perm_address(name)) for name in present} if macs else set()
    return [n for n in names if n not in present] + [str(m) for m in macs if m not in perms]


def wait_for(names: Sequence[str], macs: Sequence[Mac], seconds: float) -> list[str]:
    """Wait until udev has processed every named link and every link with one of `macs` as its
    permanent address, at most `seconds`; return what is still missing."""
    end = time.monotonic() + seconds
    while True:
        missing = _missing(names, macs)
        if not missing or time.monotonic() >= end:
            return missing
        time.sleep(POLL_SECONDS)


def sync(
    wait_seconds: float, dry_run: bool = False, dirs: Sequence[str] = NETWORK_DIRS, state_dir: str | None = None
) -> bool:
    """networkd-sync: bring every bond's drop-in in line with the hardware present. Waits at
    most `wait_seconds` for the ports' NICs; changes nothing when a configuration file cannot be
    read. False when a line at error level was logged. With `state_dir`, a run that found
    nothing to change records its inputs there for the next boot's steady check (`steady_io`)."""
    before = steady_io.inputs(tuple(dirs)) if state_dir else None
    config = load(dirs)
    for problem in config.problems:
        log.error("%s; no drop-in changed", problem)
    if config.problems:
        _remember(state_dir, None)
        return False
    chosen = bonds(config.netdevs)
    names, macs = expected([dev.name for dev in chosen if dev.name and (dev.own or not dev.mac)], config.networks)
    began = time.monotonic()
    missing = wait_for(names, macs, wait_seconds)
    if missing:
        log.debug("waited %.1f s for udev; not seen: %s", time.monotonic() - began, " ".join(missing))
    try:
        snapshot = facts()
    except KernelError as exc:
        log.error("%s; no drop-in changed", exc)
        return False
    ok = True
    found = plans(config.netdevs, config.networks, config.own, snapshot, missing)
    for plan in found:
        if plan.action != "none" and not dry_run:
            try:
                apply(plan, dirs[0])
            except WriteError as exc:
                logsetup_io.emit(m for m in plan.messages if m.level >= logging.WARNING)
                log.error("%s: %s; drop-in left as it was", plan.bond or plan.path, exc)
                ok = False
                continue
        logsetup_io.emit(plan.messages, dry_run=dry_run and plan.action != "none")
        ok = ok and all(m.level < logging.ERROR for m in plan.messages)
    steady = not dry_run and not missing and all(p.action == "none" and not p.messages for p in found)
    _remember(state_dir, before if steady and before == steady_io.inputs(tuple(dirs)) else None)
    return ok


def _remember(state_dir: str | None, record: bytes | None) -> None:
    if state_dir is None:
        return
    try:
        steady_io.record(record, state_dir)
    except OSError as exc:
        log.debug("%s: %s; the next boot runs in full", state_dir, exc.strerror or exc)


def release(dry_run: bool = False, dirs: Sequence[str] = NETWORK_DIRS) -> tuple[int, int]:
    """networkd-release: remove every drop-in that is bondhook's, each on its own; (removed,
    failed), with one line per file."""
    done = failed = 0
    for item in own_dropins(dirs[0]):
        if not dry_run:
            try:
                apply(DropinPlan(None, "remove", item.path), dirs[0])
            except WriteError as exc:
                log.error("%s; left in place", exc)
                failed += 1
                continue
        logsetup_io.emit([Message(logging.INFO, f"removed {item.path} (MAC {item.mac}, from {item.source})")], dry_run)
        done += 1
    return done, failed


def read_config() -> Netdevs:
    """networkd's bonds for `status` and `apply`; a file bondhook cannot read is said once."""
    config = load()
    for problem in config.problems:
        log.warning("systemd-networkd configuration not fully read: %s", problem)
    by_name = {dev.name: dev for dev in bonds(config.netdevs) if dev.name}
    return Netdevs(by_name, config.networks, tuple(config.netdevs))


def run_sync(dry_run: bool, wait: float = 0.0) -> bool:
    """networkd-sync; a steady run is recorded for the boot unit's fast path."""
    return sync(wait, dry_run=dry_run, state_dir=steady_io.STATE_DIR)


def run_release(dry_run: bool) -> bool:
    """networkd-release; False when a drop-in could not be removed."""
    done, failed = release(dry_run=dry_run)
    if not done and not failed:
        log.info("networkd-release: no drop-in of bondhook's found")
    return not failed
