"""The NetworkManager edge: bond profiles over D-Bus (dbus-next, system bus), written with
Settings.Connection.Update2; `python3 -m bondhook.nm IFACE ACTION` is the dispatcher entry.

Low-level messages rather than introspected proxies: one call per profile read or written,
no Introspect round trips, and the same code on dbus-next 0.2.3 and newer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from bondhook import logsetup, netlink
from bondhook.nmprofile import BOND, Profile, ProfilePlan, decide_profile, profile_from_settings
from bondhook.options import is_ifname
from bondhook.plan import Facts

log = logging.getLogger("bondhook")
T = TypeVar("T")

NM = "org.freedesktop.NetworkManager"
SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
SETTINGS_IFACE = f"{NM}.Settings"
CONNECTION_IFACE = f"{NM}.Settings.Connection"
UPDATE2_TO_DISK = 0x1
# Bounded: a dispatcher script NM waits for must give up quickly when D-Bus or NM does not answer.
# Per call, not per session: nm-sync over many profiles makes many calls that each answer quickly.
TIMEOUT_SECONDS = 10.0
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

Raw = dict[str, dict[str, Any]]


_calls = 0  # D-Bus calls this process made: `nm-sync -v` reports it, so its cost stays O(profiles)


def calls_made() -> int:
    return _calls


class NMError(Exception):
    """D-Bus or NetworkManager is unavailable or refused a call; str() says which."""


async def _call(
    bus: Any, path: str, interface: str, member: str, signature: str = "", body: list[Any] | None = None
) -> Any:
    from dbus_next import Message, MessageType

    global _calls
    _calls += 1
    message = Message(
        destination=NM, path=path, interface=interface, member=member, signature=signature, body=body or []
    )
    reply = await asyncio.wait_for(bus.call(message), TIMEOUT_SECONDS)
    if reply.message_type == MessageType.ERROR:
        raise NMError(f"{member} failed: {reply.error_name}: {reply.body[0] if reply.body else ''}")
    return reply.body


def _unwrap(raw: Raw) -> dict[str, dict[str, Any]]:
    return {section: {key: variant.value for key, variant in props.items()} for section, props in raw.items()}


async def _load(bus: Any) -> list[tuple[Profile, Raw]]:
    [paths] = await _call(bus, SETTINGS_PATH, SETTINGS_IFACE, "ListConnections")
    replies = await asyncio.gather(*(_call(bus, path, CONNECTION_IFACE, "GetSettings") for path in paths))
    return [(profile_from_settings(_unwrap(raw), path), raw) for path, [raw] in zip(paths, replies, strict=True)]


async def _write(bus: Any, plan: ProfilePlan, raw: Raw) -> None:
    """Write the derived MAC and bondhook's user data into the profile, persisted to disk."""
    from dbus_next import Variant

    assert plan.write is not None and plan.link_mac is not None
    settings = {section: dict(props) for section, props in raw.items()}
    wired = settings.setdefault("802-3-ethernet", {})
    wired.pop("cloned-mac-address", None)
    wired["assigned-mac-address"] = Variant("s", str(plan.link_mac))
    settings["user"] = {"data": Variant("a{ss}", dict(plan.write))}
    await _call(bus, plan.profile.path, CONNECTION_IFACE, "Update2", "a{sa{sv}}ua{sv}", [settings, UPDATE2_TO_DISK, {}])


SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket"


def _on_bus(work: Callable[[Any], Awaitable[T]]) -> T:
    async def session() -> T:
        from dbus_next import BusType
        from dbus_next.aio import MessageBus

        bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SYSTEM).connect(), TIMEOUT_SECONDS)
        try:
            return await work(bus)
        finally:
            bus.disconnect()

    if "DBUS_SYSTEM_BUS_ADDRESS" not in os.environ and not os.path.exists(SYSTEM_BUS_SOCKET):
        raise NMError(f"system D-Bus unavailable: no {SYSTEM_BUS_SOCKET}")  # without importing dbus-next
    try:
        return asyncio.run(session())
    except ImportError as exc:
        raise NMError(f"dbus-next is not importable ({exc}); install python3-dbus-next") from exc
    except TimeoutError as exc:
        raise NMError(f"a D-Bus call got no answer within {TIMEOUT_SECONDS:.0f} s") from exc
    except OSError as exc:
        raise NMError(f"system D-Bus unavailable: {exc}") from exc


def is_bond_profile(uuid: str) -> bool:
    """Two D-Bus calls: enough to let every non-bond activation go without loading pyroute2."""

    async def work(bus: Any) -> bool:
        try:
            [path] = await _call(bus, SETTINGS_PATH, SETTINGS_IFACE, "GetConnectionByUuid", "s", [uuid])
        except NMError:
            return False
        [raw] = await _call(bus, path, CONNECTION_IFACE, "GetSettings")
        return profile_from_settings(_unwrap(raw)).type == BOND

    return _on_bus(work)


def profiles() -> list[Profile]:
    """Every NM profile, read-only (for status)."""

    async def work(bus: Any) -> list[Profile]:
        return [profile for profile, _ in await _load(bus)]

    return _on_bus(work)


def sync(facts: Facts, dry_run: bool = False, only_uuid: str | None = None) -> list[ProfilePlan]:
    """Decide for every bond profile (or one) and write what bondhook owns, unless dry_run."""

    async def work(bus: Any) -> list[ProfilePlan]:
        loaded = await _load(bus)
        everyone = [profile for profile, _ in loaded]
        plans = []
        for profile, raw in loaded:
            if profile.type != BOND or (only_uuid and profile.uuid != only_uuid):
                continue
            plan = decide_profile(profile, everyone, facts)
            if plan.write is not None and not dry_run:
                await _write(bus, plan, raw)
            plans.append(plan)
        return plans

    return _on_bus(work)


def log_plans(plans: Sequence[ProfilePlan], dry_run: bool = False) -> None:
    for plan in plans:
        logsetup.emit(plan.messages, dry_run=dry_run and plan.write is not None)


def dispatch(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """pre-up of a bond: make the profile carry the derived MAC, and the device too, now.

    NetworkManager 1.42 does not always apply a profile's cloned MAC (a bond brought up through a
    port profile takes the port's MAC), and a profile written now only helps the next
    activation: so the device's address is set here as well, before NM reports the bond up.
    """
    iface, action = [*argv, "", ""][:2]
    uuid = env.get("CONNECTION_UUID", "")
    if action != "pre-up" or not is_ifname(iface) or not _UUID_RE.match(uuid) or not is_bond_profile(uuid):
        return
    facts = netlink.read_facts()
    link = facts.get(iface)
    if link is None or link.kind != BOND:
        return
    plans = sync(facts, only_uuid=uuid)
    log_plans(plans)
    for plan in plans:
        if plan.link_mac is not None and link.address != plan.link_mac:
            netlink.set_address(iface, plan.link_mac)
            log.info("%s: device MAC changed from %s to %s for this activation", iface, link.address, plan.link_mac)


def main() -> int:
    """Never fails an activation: problems are one line each, the exit status is always 0."""
    logsetup.setup(syslog=True)
    iface = sys.argv[1] if len(sys.argv) > 1 and is_ifname(sys.argv[1]) else "?"
    try:
        dispatch(sys.argv[1:], os.environ)
    except (NMError, netlink.KernelError) as exc:
        log.error("%s: %s; MAC left unchanged", iface, exc)
    except Exception as exc:  # noqa: BLE001 - networking comes first; the line says what broke
        log.error("%s: internal error %s: %s; MAC left unchanged; please report it", iface, type(exc).__name__, exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
