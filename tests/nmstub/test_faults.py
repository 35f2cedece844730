"""NetworkManager misbehaving, on a stub NetworkManager on a private dbus-daemon: what real
NetworkManager cannot be made to do on demand. Each test is a row of docs/reliability.md."""

from __future__ import annotations

import time

import pytest
from dbus_next import Variant

from bondhook.kernel import sysfs_io
from bondhook.nm import dbus_io, dispatcher_io
from bondhook.rules.mac import Mac
from bondhook.rules.plan import Facts, Link
from bondhook.runtime import deadline_io, logsetup_io

from .stub import Stub, bond_settings, data, port_settings, private_bus, running

pytestmark = pytest.mark.system

BOND_UUID = "e270b33e-d05a-477a-92c2-f2af10494168"
A, B = Mac.parse("52:54:00:c8:76:09"), Mac.parse("52:54:00:c8:76:0a")
DERIVED = "02:54:00:c8:76:09"
PERSON = "02:aa:bb:cc:dd:ee"
FACTS = Facts((Link("eth0", 2, None, A, A), Link("eth1", 3, None, B, B), Link("bond0", 20, "bond", A, None)))


@pytest.fixture(scope="module")
def bus(tmp_path_factory):
    with private_bus(tmp_path_factory.mktemp("bus")) as address:
        yield address


@pytest.fixture(autouse=True)
def budget(bus, monkeypatch):
    """Every test is a process of its own as far as bondhook knows: its own budget and bus."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus)
    deadline_io.start(deadline_io.HOOK_SECONDS)
    logsetup_io.setup()


def world(stub: Stub) -> str:
    path = stub.add(bond_settings(BOND_UUID, "bond0"))
    stub.add(port_settings("00000001-0000-0000-0000-000000000000", "eth0", "bond0"))
    stub.add(port_settings("00000002-0000-0000-0000-000000000000", "eth1", "bond0"))
    return path


def activate(monkeypatch) -> list[tuple[str, Mac]]:
    """The dispatcher's entry for bond0's pre-up, as the script starts it; the kernel is faked
    (this host has no bond): its address changes are recorded, not made."""
    changes: list[tuple[str, Mac]] = []
    monkeypatch.setattr(sysfs_io, "read_facts", lambda: FACTS)
    monkeypatch.setattr(sysfs_io, "is_bond", lambda name: name == "bond0")
    monkeypatch.setattr(sysfs_io, "address", lambda name: str(FACTS.get(name).address))
    monkeypatch.setattr(sysfs_io, "set_address", lambda name, mac: changes.append((name, Mac.parse(mac))))
    monkeypatch.setattr("sys.argv", ["dispatcher", "bond0", "pre-up"])
    monkeypatch.setenv("CONNECTION_UUID", BOND_UUID)
    assert dispatcher_io.main() == 0
    return changes


def test_first_activation_writes_the_profile_and_sets_the_device(bus, monkeypatch, capsys):
    with running(Stub(), bus) as stub:
        path = world(stub)
        changes = activate(monkeypatch)
    assert stub.cloned(path).lower() == DERIVED and stub.user_data(path)["bondhook.mac"] == DERIVED
    assert changes == [("bond0", Mac.parse(DERIVED))]
    assert "cloned-mac-address set to 02:54:00:c8:76:09" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("filename", "flags"),
    [
        ("/etc/NetworkManager/system-connections/bond0.nmconnection", dbus_io.UPDATE2_TO_DISK),
        ("/run/NetworkManager/system-connections/netplan-bond0.nmconnection", dbus_io.UPDATE2_IN_MEMORY),
    ],
)
def test_a_profile_is_written_where_it_lives(bus, monkeypatch, filename, flags):
    """netplan (NetworkManager renderer) generates profiles in /run at every boot: bondhook's
    write keeps such a profile in memory instead of persisting a copy to /etc that would outlive
    netplan's configuration (measured on NetworkManager 1.52 before this: a copy in /etc)."""
    with running(Stub(), bus) as stub:
        path = world(stub)
        stub.filenames[path] = filename
        activate(monkeypatch)
    assert stub.update_flags == [flags] and stub.cloned(path).lower() == DERIVED


def test_slow_answers_end_within_the_budget_in_one_line(bus, monkeypatch, capsys):
    """Issue 9, item 4: NetworkManager answering each call after 9.5 s."""
    with running(Stub(delay=9.5), bus) as stub:
        path = world(stub)
        start = time.monotonic()
        changes = activate(monkeypatch)
        took = time.monotonic() - start
    assert took < deadline_io.HOOK_SECONDS + 1.0, took
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("bondhook: bond0: gave up after 15 s waiting for NetworkManager's answer to GetSettings")
    assert line.endswith("MAC left unchanged")
    assert changes == [] and stub.cloned(path) is None


@pytest.mark.parametrize("member", ["ListConnections", "GetSettings", "Update2"])
def test_an_error_reply_is_one_line_and_nothing_changes(bus, monkeypatch, capsys, member):
    """Issue 9, item 12: NetworkManager refusing (AccessDenied) a call, whichever."""
    with running(Stub(errors={member: "org.freedesktop.DBus.Error.AccessDenied"}), bus) as stub:
        path = world(stub)
        changes = activate(monkeypatch)
    [line] = capsys.readouterr().err.splitlines()
    assert f"{member} failed: org.freedesktop.DBus.Error.AccessDenied" in line and line.endswith("MAC left unchanged")
    assert changes == [] and stub.cloned(path) is None


def test_networkmanager_not_on_the_bus_is_one_line(bus, monkeypatch, capsys):
    """Issue 9, item 12: the dispatcher used to exit silently."""
    activate(monkeypatch)
    [line] = capsys.readouterr().err.splitlines()
    assert "ServiceUnknown" in line and line.endswith("MAC left unchanged")


def test_a_profile_that_vanishes_is_skipped(bus, monkeypatch, capsys):
    """Issue 9, item 5: an unrelated profile deleted between ListConnections and GetSettings."""
    with running(Stub(), bus) as stub:
        path = world(stub)
        stub.vanish_after_list = {stub.add(port_settings("00000009-0000-0000-0000-000000000000", "eth9", "x"))}
        changes = activate(monkeypatch)
    assert stub.cloned(path).lower() == DERIVED and changes == [("bond0", Mac.parse(DERIVED))]
    assert "UnknownObject" not in capsys.readouterr().err


def person_sets_cloned_mac(target: str, on_get: int):
    """A person's `nmcli connection modify bond0 ethernet.cloned-mac-address ...`, landing right
    after bondhook's GetSettings number `on_get` of the bond's profile."""

    def edit(path: str, settings: dict, count: int) -> None:
        if count == on_get and settings["connection"]["uuid"].value == BOND_UUID:
            wired = {**settings.get("802-3-ethernet", {}), "assigned-mac-address": Variant("s", target)}
            stub_ref[0].edit(path, {**settings, "802-3-ethernet": wired})

    stub_ref: list[Stub] = []
    return edit, stub_ref


@pytest.mark.parametrize("version_ids", [False, True], ids=["nm-1.42", "nm-1.44+"])
def test_a_persons_edit_after_bondhooks_first_read_is_kept(bus, monkeypatch, version_ids):
    """Issue 9, item 6: bondhook re-reads right before writing, so it sees the edit and leaves
    the person's MAC alone (both generations)."""
    edit, ref = person_sets_cloned_mac(PERSON, on_get=1)
    stub = Stub(version_ids=version_ids, edit_after_get=edit)
    ref.append(stub)
    with running(stub, bus):
        path = world(stub)
        changes = activate(monkeypatch)
    assert stub.cloned(path) == PERSON and "bondhook.mac" not in stub.user_data(path)
    assert changes == []


def test_an_edit_between_the_reread_and_the_write_is_refused_by_version_id(bus, monkeypatch):
    """NetworkManager 1.44+: the write carries the version it was based on; NetworkManager
    refuses it after a concurrent change, and bondhook reads and decides once more."""
    edit, ref = person_sets_cloned_mac(PERSON, on_get=2)
    stub = Stub(version_ids=True, edit_after_get=edit)
    ref.append(stub)
    with running(stub, bus):
        path = world(stub)
        activate(monkeypatch)
    assert stub.cloned(path) == PERSON
    assert stub.calls.count("Update2") == 1 and stub.gets[path] == 3  # refused once, then left alone


def test_an_unrelated_edit_survives_bondhooks_write(bus, monkeypatch):
    def edit(path: str, settings: dict, count: int) -> None:
        if count == 1 and settings["connection"]["uuid"].value == BOND_UUID:
            stub.edit(path, {**settings, "bond": {"options": Variant("a{ss}", {"mode": "802.3ad"})}})

    stub = Stub(edit_after_get=edit)
    with running(stub, bus):
        path = world(stub)
        activate(monkeypatch)
    assert stub.cloned(path).lower() == DERIVED
    assert data(stub, path)["bond"]["options"] == {"mode": "802.3ad"}


def test_nm_release_takes_out_exactly_what_bondhook_wrote(bus):
    owned = {"bondhook.mac": DERIVED, "bondhook.source": "eth0=52:54:00:c8:76:09", "bondhook.derive-mac": "eth0"}
    with running(Stub(), bus) as stub:
        ours = stub.add(bond_settings(BOND_UUID, "bond0", owned, DERIVED.upper()))
        persons = stub.add(bond_settings("11111111-1111-1111-1111-111111111111", "bond1", {}, PERSON))
        stale = stub.add(
            bond_settings("22222222-2222-2222-2222-222222222222", "bond2", {"bondhook.mac": DERIVED}, PERSON)
        )
        before = data(stub, persons)
        plans = dbus_io.release()
    assert stub.cloned(ours) is None and stub.user_data(ours) == {"bondhook.derive-mac": "eth0"}
    assert data(stub, persons) == before
    assert stub.cloned(stale) == PERSON and stub.user_data(stale) == {}
    assert len(plans) == 2 and stub.calls.count("Update2") == 2
