"""The NetworkManager edge: bond profiles over D-Bus (dbus-next, system bus), written with
Settings.Connection.Update2.

Low-level messages rather than introspected proxies: one call per profile read or written,
no Introspect round trips, and the same code on dbus-next 0.2.3 and newer. One D-Bus session
per command, bounded as a whole by the process's time budget (`deadline_io`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bondhook.errors import OutsideError
from bondhook.kernel import sysfs_io
from bondhook.nm.manager import Profiles
from bondhook.nm.profile import BOND, Profile, ProfilePlan, decide_profile, profile_from_settings, release_plan
from bondhook.rules.plan import Facts
from bondhook.runtime import deadline_io, logsetup_io

log = logging.getLogger("bondhook")
T = TypeVar("T")

NM = "org.freedesktop.NetworkManager"
SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
SETTINGS_IFACE = f"{NM}.Settings"
CONNECTION_IFACE = f"{NM}.Settings.Connection"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
UPDATE2_TO_DISK = 0x1
UPDATE2_IN_MEMORY = 0x2
# Profiles NetworkManager keeps in memory live here, netplan's generated ones among them.
IN_MEMORY_PREFIX = "/run/"
SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket"
# A profile removed between ListConnections and GetSettings answers with one of these: skip it.
GONE = ("UnknownObject", "UnknownMethod", "InvalidConnection")
VERSION_MISMATCH = "VersionIdMismatch"  # Update2's version-id guard (NetworkManager 1.44 and newer)
WRITE_ATTEMPTS = 2

Raw = dict[str, dict[str, Any]]

_calls = 0  # D-Bus calls this process made: `nm-sync -v` reports it, so its cost stays O(profiles)
_waiting = "the system bus"  # what the session waits for now: the line said when the budget runs out


def calls_made() -> int:
    return _calls


class NMError(OutsideError):
    """D-Bus or NetworkManager is unavailable or refused a call; str() says which."""

    def __init__(self, text: str, error_name: str = "") -> None:
        super().__init__(text)
        self.error_name = error_name


async def _call(
    bus: Any, path: str, interface: str, member: str, signature: str = "", body: list[Any] | None = None
) -> Any:
    from dbus_next import Message, MessageType

    global _calls, _waiting
    _calls += 1
    _waiting = f"NetworkManager's answer to {member}"
    message = Message(
        destination=NM, path=path, interface=interface, member=member, signature=signature, body=body or []
    )
    reply = await bus.call(message)
    if reply.message_type == MessageType.ERROR:
        detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        raise NMError(f"{member} failed: {reply.error_name}: {detail}", reply.error_name or "")
    return reply.body


def _gone(exc: NMError) -> bool:
    return exc.error_name.rsplit(".", 1)[-1] in GONE


def _unwrap(raw: Raw) -> dict[str, dict[str, Any]]:
    return {section: {key: variant.value for key, variant in props.items()} for section, props in raw.items()}


async def _settings(bus: Any, path: str) -> Raw | None:
    """One profile's settings; None when it was removed meanwhile."""
    try:
        [raw] = await _call(bus, path, CONNECTION_IFACE, "GetSettings")
    except NMError as exc:
        if _gone(exc):
            return None
        raise
    return raw  # type: ignore[no-any-return]


async def _load(bus: Any) -> list[tuple[Profile, Raw]]:
    [paths] = await _call(bus, SETTINGS_PATH, SETTINGS_IFACE, "ListConnections")
    replies = await asyncio.gather(*(_settings(bus, path) for path in paths))
    return [(profile_from_settings(_unwrap(raw), path), raw) for path, raw in zip(paths, replies, strict=True) if raw]


async def _storage(bus: Any, path: str) -> tuple[int | None, int]:
    """The profile's VersionId (NetworkManager 1.44 and newer bump it on every change; None where
    NetworkManager does not offer one, bookworm's 1.42) and the Update2 flag that keeps the
    profile where it lives: in memory for a profile from /run (netplan generates them there at
    every boot; persisting one to /etc would outlive netplan's configuration), else on disk."""
    try:
        [props] = await _call(bus, path, PROPERTIES_IFACE, "GetAll", "s", [CONNECTION_IFACE])
    except NMError as exc:
        if _gone(exc):
            return None, UPDATE2_TO_DISK
        raise
    version = props.get("VersionId")
    filename = props.get("Filename")
    in_memory = filename is not None and str(filename.value).startswith(IN_MEMORY_PREFIX)
    return (int(version.value) if version else None), (UPDATE2_IN_MEMORY if in_memory else UPDATE2_TO_DISK)


async def _update(bus: Any, path: str, raw: Raw, plan: ProfilePlan, version: int | None, flags: int) -> None:
    """Write bondhook's part into `raw` (the profile as just re-read) where the profile lives
    (`flags`); with a version id, NetworkManager refuses the write if anything changed since."""
    from dbus_next import Variant

    assert plan.write is not None
    settings = {section: dict(props) for section, props in raw.items()}
    wired = settings.setdefault("802-3-ethernet", {})
    wired.pop("cloned-mac-address", None)
    wired.pop("assigned-mac-address", None)
    if plan.cloned_mac:
        wired["assigned-mac-address"] = Variant("s", plan.cloned_mac)
    settings.pop("user", None)
    if plan.write:
        settings["user"] = {"data": Variant("a{ss}", dict(plan.write))}
    args = {"version-id": Variant("t", version)} if version is not None else {}
    await _call(bus, path, CONNECTION_IFACE, "Update2", "a{sa{sv}}ua{sv}", [settings, flags, args])


Decide = Callable[[Profile], "ProfilePlan | None"]


async def _write(bus: Any, path: str, decide: Decide) -> ProfilePlan | None:
    """Re-read the profile right before writing it and decide again on what was read, so that a
    person's edit made meanwhile is never reverted. NetworkManager 1.44+ then refuses the write
    if the profile changed after that read (version-id): read, decide and write once more.
    On 1.42 the window left is one D-Bus round trip. None when the profile vanished."""
    for _ in range(WRITE_ATTEMPTS):
        version, flags = await _storage(bus, path)
        raw = await _settings(bus, path)
        if raw is None:
            return None
        plan = decide(profile_from_settings(_unwrap(raw), path))
        if plan is None or plan.write is None:
            return plan
        try:
            await _update(bus, path, raw, plan, version, flags)
            return plan
        except NMError as exc:
            if _gone(exc):
                return None
            if not exc.error_name.endswith(VERSION_MISMATCH):
                raise
    raise NMError(f"profile at {path} kept changing while bondhook wrote it; left as it is; run bondhook nm-sync")


def _redecide(others: list[Profile], facts: Facts) -> Decide:
    """The decision for a bond profile re-read right before its write, among the others."""
    return lambda fresh: decide_profile(fresh, [*others, fresh], facts)


def _bus_address() -> str | None:
    """The system bus: DBUS_SYSTEM_BUS_ADDRESS for a person's command (the D-Bus convention);
    the hooks run with a minimal environment, so for them it is always the default socket."""
    return os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")


def _on_bus(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work` in one D-Bus session, bounded by what is left of the process's budget."""
    address = _bus_address()
    if address is None and not os.path.exists(SYSTEM_BUS_SOCKET):
        raise NMError(f"system D-Bus unavailable: no {SYSTEM_BUS_SOCKET}")  # without importing dbus-next
    try:
        with deadline_io.paused():
            from dbus_next import BusType
            from dbus_next.aio import MessageBus
            from dbus_next.errors import AuthError
    except ImportError as exc:
        raise NMError(f"dbus-next is not importable ({exc}); install python3-dbus-next") from exc

    async def session() -> T:
        global _waiting
        _waiting = "the system bus"
        bus = await MessageBus(bus_address=address, bus_type=BusType.SYSTEM).connect()
        try:
            return await work(bus)
        finally:
            bus.disconnect()

    budget = deadline_io.remaining("the system bus")
    try:
        return asyncio.run(asyncio.wait_for(session(), budget))
    except TimeoutError as exc:
        raise deadline_io.Expired(f"gave up after {deadline_io.budget():.0f} s waiting for {_waiting}") from exc
    except (OSError, EOFError, ValueError, TypeError, AuthError) as exc:
        raise NMError(f"system D-Bus unavailable: {type(exc).__name__}: {exc}") from exc


def profiles() -> list[Profile]:
    """Every NM profile, read-only (for status and apply)."""

    async def work(bus: Any) -> list[Profile]:
        return [profile for profile, _ in await _load(bus)]

    return _on_bus(work)


def sync(facts: Facts, dry_run: bool = False, only_uuid: str | None = None) -> list[ProfilePlan]:
    """Decide for every bond profile (or one) and write what bondhook owns, unless dry_run."""

    async def work(bus: Any) -> list[ProfilePlan]:
        loaded = await _load(bus)
        everyone = [profile for profile, _ in loaded]
        plans = []
        for profile, _ in loaded:
            if profile.type != BOND or (only_uuid and profile.uuid != only_uuid):
                continue
            plan: ProfilePlan | None = decide_profile(profile, everyone, facts)
            if plan is not None and plan.write is not None and not dry_run:
                plan = await _write(
                    bus, profile.path, _redecide([p for p in everyone if p.path != profile.path], facts)
                )
            if plan is not None:
                plans.append(plan)
        return plans

    return _on_bus(work)


def release(dry_run: bool = False) -> list[ProfilePlan]:
    """Take out of every profile what bondhook wrote in it (profile.release_plan)."""

    async def work(bus: Any) -> list[ProfilePlan]:
        plans = []
        for profile, _ in await _load(bus):
            plan = release_plan(profile)
            if plan is not None and not dry_run:
                plan = await _write(bus, profile.path, release_plan)
            if plan is not None:
                plans.append(plan)
        return plans

    return _on_bus(work)


def log_plans(plans: Sequence[ProfilePlan], dry_run: bool = False) -> None:
    for plan in plans:
        logsetup_io.emit(plan.messages, dry_run=dry_run and plan.write is not None)


# NetworkManager is not there: normal on a host without it, said only with -v.
_NO_NM = ("no /run/dbus", "ServiceUnknown", "NameHasNoOwner")


def read_config() -> Profiles:
    """NM's profiles when NM answers; none on hosts without it (said with -v), and one warning line
    when it is there but fails."""
    try:
        return Profiles(tuple(profiles()))
    except OutsideError as exc:
        level = logging.DEBUG if any(mark in str(exc) for mark in _NO_NM) else logging.WARNING
        log.log(level, "NetworkManager not consulted: %s", exc)
        return Profiles(())


def _command(name: str, work: Callable[[], list[ProfilePlan]], dry_run: bool, nothing: str) -> bool:
    """nm-sync and nm-release: one D-Bus session, each profile's lines, one line on failure."""
    try:
        plans = work()
    except OutsideError as exc:
        log.error("%s: %s; no profile changed; is NetworkManager running?", name, exc)
        return False
    log_plans(plans, dry_run=dry_run)
    if not plans:
        log.info("%s: %s", name, nothing)
    log.debug("%s: %d profiles, %d D-Bus calls", name, len(plans), calls_made())
    return True


def run_sync(dry_run: bool, wait: float = 0.0) -> bool:
    """nm-sync (NetworkManager shows its profiles at once: nothing to wait for)."""
    return _command("nm-sync", lambda: sync(sysfs_io.read_facts(), dry_run=dry_run), dry_run, "no bond profiles")


def run_release(dry_run: bool) -> bool:
    """nm-release."""
    nothing = "no profile holds anything bondhook wrote"
    return _command("nm-release", lambda: release(dry_run=dry_run), dry_run, nothing)
