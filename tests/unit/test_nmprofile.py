import logging

import pytest

from bondhook.nm.profile import decide_profile, owner, ports_of, profile_from_settings, profile_request
from bondhook.rules.mac import Mac
from bondhook.rules.options import OptionError

from .facts import A, B, facts, nic

SNAPSHOT = facts(nic("eth0", 2, A), nic("eth1", 3, B))


def settings(uuid, name, kind, ifname=None, master=None, cloned=None, user=None, mac=None):
    connection = {"uuid": uuid, "id": name, "type": kind}
    if ifname:
        connection["interface-name"] = ifname
    if master:
        connection.update({"master": master, "slave-type": "bond"})
    result = {"connection": connection}
    if cloned or mac:
        result["802-3-ethernet"] = {
            **({"assigned-mac-address": cloned} if cloned else {}),
            **({"mac-address": mac} if mac else {}),
        }
    if user is not None:
        result["user"] = {"data": user}
    return profile_from_settings(result, f"/org/freedesktop/NetworkManager/Settings/{name}")


def bond_profile(**kwargs):
    return settings("11111111-1111-1111-1111-111111111111", "bond0", "bond", ifname="bond0", **kwargs)


PORTS = [
    settings("22222222-2222-2222-2222-222222222222", "p-b", "802-3-ethernet", ifname="eth1", master="bond0"),
    settings(
        "33333333-3333-3333-3333-333333333333",
        "p-a",
        "802-3-ethernet",
        ifname="eth0",
        master="11111111-1111-1111-1111-111111111111",
    ),
    settings("44444444-4444-4444-4444-444444444444", "other", "802-3-ethernet", ifname="eth9", master="bond9"),
]


def test_ports_by_name_or_uuid_in_name_order():
    assert ports_of(bond_profile(), PORTS, SNAPSHOT) == ("eth0", "eth1")


def test_port_matched_by_permanent_mac_when_it_names_no_interface():
    port = settings("55555555-5555-5555-5555-555555555555", "p", "802-3-ethernet", master="bond0", mac=bytes(B.octets))
    assert ports_of(bond_profile(), [port], SNAPSHOT) == ("eth1",)


def test_profile_request_reads_the_user_data_once_for_sync_and_status():
    request = profile_request(
        bond_profile(user={"bondhook.derive-mac": "eth1", "bondhook.derive-mac-scheme": "ul-bit"}), PORTS, SNAPSHOT
    )
    assert (request.bond, request.ports, request.scheme) == ("bond0", ("eth0", "eth1"), "ul-bit")
    assert request.choice.port == "eth1"
    with pytest.raises(OptionError):
        profile_request(bond_profile(user={"bondhook.derive-mac-scheme": "rot13"}), PORTS, SNAPSHOT)


def test_fresh_profile_gets_value_and_marker():
    plan = decide_profile(bond_profile(), PORTS, SNAPSHOT)
    assert str(plan.link_mac) == "02:54:00:c8:76:09"
    assert plan.write == {"bondhook.mac": "02:54:00:c8:76:09", "bondhook.source": "eth0=52:54:00:c8:76:09"}
    assert "cloned-mac-address set to 02:54:00:c8:76:09, derived from eth0" in plan.messages[-1].text


def test_user_data_is_kept_alongside():
    plan = decide_profile(bond_profile(user={"site.rack": "r12"}), PORTS, SNAPSHOT)
    assert plan.write["site.rack"] == "r12"


def test_already_right_writes_nothing_but_still_names_the_mac():
    user = {"bondhook.mac": "02:54:00:c8:76:09", "bondhook.source": "eth0=52:54:00:c8:76:09"}
    plan = decide_profile(bond_profile(cloned="02:54:00:C8:76:09", user=user), PORTS, SNAPSHOT)
    assert plan.write is None and str(plan.link_mac) == "02:54:00:c8:76:09"


def test_hand_set_value_is_never_overwritten():
    for cloned in ("02:aa:bb:cc:dd:ee", "stable", "preserve"):
        plan = decide_profile(bond_profile(cloned=cloned), PORTS, SNAPSHOT)
        assert plan.write is None and plan.link_mac is None
        assert "was set by a person; left alone" in plan.messages[0].text


def test_marker_that_no_longer_matches_means_a_person_changed_it():
    plan = decide_profile(
        bond_profile(cloned="02:aa:bb:cc:dd:ee", user={"bondhook.mac": "02:54:00:c8:76:09"}), PORTS, SNAPSHOT
    )
    assert plan.write is None


def test_replaced_nic_updates_what_bondhook_owns_and_says_so():
    user = {"bondhook.mac": "02:54:00:c8:76:19", "bondhook.source": "eth0=52:54:00:c8:76:19"}
    plan = decide_profile(bond_profile(cloned="02:54:00:c8:76:19", user=user), PORTS, SNAPSHOT)
    assert str(plan.link_mac) == "02:54:00:c8:76:09"
    assert "source changed (eth0=52:54:00:c8:76:19 -> eth0=52:54:00:c8:76:09)" in plan.messages[-1].text


def test_opt_out_and_named_port():
    assert decide_profile(bond_profile(user={"bondhook.derive-mac": "no"}), PORTS, SNAPSHOT).write is None
    plan = decide_profile(bond_profile(user={"bondhook.derive-mac": "eth1"}), PORTS, SNAPSHOT)
    assert str(plan.link_mac) == "02:54:00:c8:76:0a"


def test_bad_user_data_value_is_one_error_line():
    plan = decide_profile(bond_profile(user={"bondhook.derive-mac": "maybe so"}), PORTS, SNAPSHOT)
    [message] = plan.messages
    assert message.level == logging.ERROR and plan.write is None
    assert "user data bondhook.derive-mac value 'maybe so' is not one of yes | no | <port>; profile left unchanged" in (
        message.text
    )


def test_profile_without_ports_is_one_error_line():
    plan = decide_profile(bond_profile(), [], SNAPSHOT)
    assert plan.write is None and [m.level for m in plan.messages] == [logging.ERROR]


def test_owner():
    assert owner(bond_profile()) == "none"
    assert owner(bond_profile(cloned="02:aa:bb:cc:dd:ee")) == "a person"
    assert owner(bond_profile(cloned="02:54:00:C8:76:09", user={"bondhook.mac": "02:54:00:c8:76:09"})) == "bondhook"


def test_byte_array_cloned_mac_is_read():
    profile = profile_from_settings(
        {
            "connection": {"uuid": "u", "id": "b", "type": "bond"},
            "802-3-ethernet": {"cloned-mac-address": bytes(A.octets)},
        }
    )
    assert profile.cloned_mac == "52:54:00:c8:76:09"


def test_dispatcher_without_dbus_is_one_line_and_exit_0(monkeypatch, capsys):
    from bondhook.kernel import sysfs_io
    from bondhook.nm import dispatcher_io

    from .facts import bond

    monkeypatch.setattr(sysfs_io, "read_facts", lambda: facts(bond()))
    monkeypatch.setattr(sysfs_io, "is_bond", lambda name: name == "bond0")
    monkeypatch.setattr("sys.argv", ["dispatcher", "bond0", "pre-up"])
    monkeypatch.setenv("CONNECTION_UUID", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert dispatcher_io.main() == 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("bondhook: bond0: system D-Bus unavailable") and line.endswith("MAC left unchanged")


def test_scheme_from_user_data_and_its_errors():
    port = settings("66666666-6666-6666-6666-666666666666", "p", "802-3-ethernet", ifname="eth5", master="bond0")
    snapshot = facts(nic("eth5", 7, Mac.parse("a0:36:9f:12:34:56")))
    plan = decide_profile(bond_profile(user={"bondhook.derive-mac-scheme": "ul-bit"}), [port], snapshot)
    assert str(plan.link_mac) == "a2:36:9f:12:34:56"
    bad = decide_profile(bond_profile(user={"bondhook.derive-mac-scheme": "md5"}), [port], snapshot)
    assert "user data bondhook.derive-mac-scheme value 'md5' is not one of 02 | ul-bit" in bad.messages[0].text
