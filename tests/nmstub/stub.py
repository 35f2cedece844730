"""A stub NetworkManager on a private dbus-daemon: the settings part of its D-Bus API, with the
faults real NetworkManager cannot be made to show on demand (slow answers, error replies, a
profile vanishing, a person's edit between bondhook's read and its write).

It answers at the message level (no introspection), in a thread with its own event loop, as
NetworkManager 1.42 does, or 1.44+ with `version_ids` (the VersionId property and Update2's
version-id guard).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus

NM = "org.freedesktop.NetworkManager"
SETTINGS = "/org/freedesktop/NetworkManager/Settings"
CONNECTION = f"{NM}.Settings.Connection"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"


def bond_settings(uuid: str, name: str, user: dict[str, str] | None = None, cloned: str | None = None) -> dict:
    wired = {"assigned-mac-address": Variant("s", cloned)} if cloned else {}
    settings = {
        "connection": {"id": Variant("s", name), "uuid": Variant("s", uuid), "type": Variant("s", "bond"),
                       "interface-name": Variant("s", name)},
        "bond": {"options": Variant("a{ss}", {"mode": "active-backup"})},
        "802-3-ethernet": wired,
    }  # fmt: skip
    if user:
        settings["user"] = {"data": Variant("a{ss}", user)}
    return settings


def port_settings(uuid: str, name: str, master: str) -> dict:
    return {
        "connection": {"id": Variant("s", f"{master}-{name}"), "uuid": Variant("s", uuid),
                       "type": Variant("s", "802-3-ethernet"), "interface-name": Variant("s", name),
                       "master": Variant("s", master), "slave-type": Variant("s", "bond")},
    }  # fmt: skip


@dataclass
class Stub:
    """What the stub holds and how it misbehaves; tests set the fields, then read `calls`."""

    profiles: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    version_ids: bool = False
    delay: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    vanish_after_list: set[str] = field(default_factory=set)
    edit_after_get: Callable[[str, dict, int], None] | None = None
    calls: list[str] = field(default_factory=list)
    gets: dict[str, int] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)  # default: a keyfile in /etc
    update_flags: list[int] = field(default_factory=list)

    def add(self, settings: dict) -> str:
        path = f"{SETTINGS}/{len(self.profiles) + 1}"
        self.profiles[path] = settings
        self.versions[path] = 1
        return path

    def user_data(self, path: str) -> dict[str, str]:
        return dict(self.profiles[path].get("user", {}).get("data", Variant("a{ss}", {})).value)

    def cloned(self, path: str) -> str | None:
        variant = self.profiles[path].get("802-3-ethernet", {}).get("assigned-mac-address")
        return variant.value if variant else None

    def edit(self, path: str, settings: dict) -> None:
        """A change made through NetworkManager, e.g. by a person with nmcli."""
        self.profiles[path] = settings
        self.versions[path] += 1

    def answer(self, msg: Message) -> Message | None:
        """The reply to one method call (None: the call was handled with no reply yet)."""
        self.calls.append(msg.member)
        if msg.member in self.errors:
            return Message.new_error(msg, self.errors[msg.member], "stub says no")
        if msg.path == SETTINGS and msg.member == "ListConnections":
            paths = list(self.profiles)
            for gone in self.vanish_after_list:
                self.profiles.pop(gone, None)
            return Message.new_method_return(msg, "ao", [paths])
        if msg.path not in self.profiles:
            return Message.new_error(msg, UNKNOWN_OBJECT, f"no object {msg.path}")
        if msg.member == "GetSettings":
            reply = Message.new_method_return(msg, "a{sa{sv}}", [self.profiles[msg.path]])
            self.gets[msg.path] = self.gets.get(msg.path, 0) + 1
            if self.edit_after_get:
                self.edit_after_get(msg.path, self.profiles[msg.path], self.gets[msg.path])
            return reply
        if msg.member == "GetAll" and msg.body == [CONNECTION]:
            props = {"Unsaved": Variant("b", False), "Flags": Variant("u", 0)}
            keyfile = f"/etc/NetworkManager/system-connections/{msg.path.rsplit('/', 1)[-1]}.nmconnection"
            props["Filename"] = Variant("s", self.filenames.get(msg.path, keyfile))
            if self.version_ids:
                props["VersionId"] = Variant("t", self.versions[msg.path])
            return Message.new_method_return(msg, "a{sv}", [props])
        if msg.member == "Update2":
            settings, flags, args = msg.body
            self.update_flags.append(flags)
            if args and not self.version_ids:
                return Message.new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs", "unknown argument")
            if "version-id" in args and args["version-id"].value != self.versions[msg.path]:
                return Message.new_error(msg, f"{NM}.Settings.VersionIdMismatch", "version-id mismatch")
            self.profiles[msg.path] = settings
            self.versions[msg.path] += 1
            return Message.new_method_return(msg, "a{sv}", [{}])
        return Message.new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", msg.member)


def _serve(stub: Stub, address: str, ready: threading.Event, stop: threading.Event) -> None:
    async def main() -> None:
        bus = await MessageBus(bus_address=address).connect()
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[None]] = set()

        def handler(msg: Message) -> Message | bool | None:
            if msg.message_type != MessageType.METHOD_CALL or msg.destination != NM:
                return None
            if not stub.delay:
                return stub.answer(msg)

            async def later() -> None:
                await asyncio.sleep(stub.delay)
                reply = stub.answer(msg)
                if reply is not None:
                    bus.send(reply)

            task = loop.create_task(later())
            pending.add(task)
            task.add_done_callback(pending.discard)
            return True

        bus.add_message_handler(handler)
        await bus.request_name(NM)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        bus.disconnect()

    asyncio.run(main())


@contextmanager
def private_bus(tmp: Path) -> Iterator[str]:
    """A dbus-daemon of our own (session policy: anyone may own any name) at TMP/bus."""
    daemon = shutil.which("dbus-daemon")
    assert daemon, "dbus-daemon not installed (apt-get install dbus)"
    address = f"unix:path={tmp / 'bus'}"
    proc = subprocess.Popen(
        [daemon, "--session", "--nofork", "--nopidfile", f"--address={address}", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@contextmanager
def running(stub: Stub, address: str) -> Iterator[Stub]:
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=_serve, args=(stub, address, ready, stop), daemon=True)
    thread.start()
    assert ready.wait(10), "the stub NetworkManager did not start"
    try:
        yield stub
    finally:
        stop.set()
        thread.join(10)


def data(stub: Stub, path: str) -> dict[str, Any]:
    """A profile's settings with variants unwrapped, as bondhook reads them."""
    return {s: {k: v.value for k, v in props.items()} for s, props in stub.profiles[path].items()}
