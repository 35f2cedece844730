"""ifupdown2 as a manager: its ifquery's JSON read into stanzas, requests and views from them,
ifupdown standing aside where ifquery is ifupdown2's, and the fix for a bridge in its terms."""

import json
from dataclasses import replace

import pytest

from bondhook.cli import commands_io
from bondhook.ifupdown import ifquery_io
from bondhook.ifupdown2 import ifquery_io as ifupdown2_io
from bondhook.ifupdown2.stanzas import QueryError, master_ports, parse
from bondhook.kernel import rtnl_io, sysfs_io
from bondhook.networkd import files_io
from bondhook.nm import dbus_io
from bondhook.rules.mac import Mac
from bondhook.rules.plan import Link

from .facts import A, B, bond, facts, nic

# What Debian's ifupdown2 3.0.0 printed in the lab for `ifquery -a -o json` (a bridge over the bond).
LAB_JSON = json.dumps(
    [
        {"name": "lo", "addr_method": "loopback", "addr_family": "inet", "auto": True, "config": {}},
        {
            "name": "bond0",
            "addr_method": "manual",
            "addr_family": "inet",
            "auto": True,
            "config": {
                "bond-slaves": "eth0 eth1",
                "bond-mode": "802.3ad",
                "bond-miimon": "100",
                "bond-derive-mac": "yes",
            },
        },
        {
            "name": "vmbr0",
            "addr_method": "manual",
            "addr_family": "inet",
            "auto": True,
            "config": {"bridge-ports": "bond0", "bridge-stp": "off", "bridge-fd": "0"},
        },
    ]
)
DERIVED = Mac.parse("02:54:00:c8:76:09")
HASHED_BRIDGE = Mac.parse("0e:d4:3d:e9:ed:f4")


def test_parse_reads_each_stanza_and_the_first_of_a_repeated_option():
    text = json.dumps(
        [
            {"name": "bond0", "config": {"bond-slaves": "eth0", "address": ["192.0.2.1/24", "192.0.2.2/24"]}},
            {"name": "bond0", "config": {"bond-derive-mac": "yes", "bond-slaves": "eth9"}},
            {"name": 7, "config": {}},
            "noise",
        ]
    )
    assert parse(text) == {"bond0": {"bond-slaves": "eth0", "address": "192.0.2.1/24", "bond-derive-mac": "yes"}}
    assert parse("") == {}


@pytest.mark.parametrize("text", ["not json", '{"name": "bond0"}'])
def test_parse_refuses_what_is_not_its_list(text):
    with pytest.raises(QueryError):
        parse(text)


def test_master_ports():
    stanzas = {"bond0": {"bond-slaves": "none"}, "eth1": {"bond-master": "bond0"}, "eth0": {"bond-master": "bond0"}}
    assert sorted(master_ports("bond0", stanzas)) == ["eth0", "eth1"]


def test_a_bond_stanza_gives_the_request_and_the_view():
    stanzas = ifupdown2_io.Stanzas(parse(LAB_JSON), active=False)
    links = facts(bond(), nic("eth0", 2, A), nic("eth1", 3, B))
    request = stanzas.request("bond0", links)
    assert request is not None and request.choice.enabled and request.ports == ("eth0", "eth1")
    assert request.hold is None and not request.may_create
    view = stanzas.view("bond0")
    assert view is not None and view.line == "ifupdown2: iface bond0, bond-derive-mac yes"
    assert view.data == {"stanza": "bond0", "bond-derive-mac": "yes"}
    assert stanzas.request("bond9", links) is None and stanzas.view("bond9") is None


def test_hwaddress_beside_the_option_is_a_hold_and_bond_slaves_none_reads_bond_master():
    stanzas = ifupdown2_io.Stanzas(
        {
            "bond0": {"bond-slaves": "none", "bond-derive-mac": "yes", "hwaddress": "02:00:00:00:00:01"},
            "eth1": {"bond-master": "bond0"},
            "eth0": {"bond-master": "bond0"},
        },
        active=False,
    )
    request = stanzas.request("bond0", facts(bond()))
    assert request is not None and request.ports == ("eth0", "eth1")
    assert request.hold is not None and "both hwaddress and bond-derive-mac" in request.hold.what


def test_a_bond_not_among_the_auto_stanzas_is_asked_for_by_name(monkeypatch):
    calls = []

    def run(*args):
        calls.append(args)
        return (0, json.dumps([{"name": "bond1", "config": {"bond-slaves": "eth0"}}])) if "bond1" in args else (1, "")

    monkeypatch.setattr(ifquery_io, "run_ifquery", run)
    stanzas = ifupdown2_io.Stanzas({})
    assert stanzas.request("bond1", facts(bond("bond1"), nic("eth0", 2, A))).ports == ("eth0",)
    assert stanzas.request("bond2", facts(bond("bond2"))) is None
    assert stanzas.request("bond1", facts(bond("bond1"), nic("eth0", 2, A))) is not None
    assert stanzas.view("bond2") is None  # asked once
    assert calls == [("--", "bond1", "-o", "json"), ("--", "bond2", "-o", "json")]


def test_each_edge_reads_only_its_own_ifquery(monkeypatch):
    calls = []
    monkeypatch.setattr(ifquery_io, "run_ifquery", lambda *args: calls.append(args) or (0, LAB_JSON))
    monkeypatch.setattr(ifquery_io, "is_ifupdown2", lambda: True)
    assert ifquery_io.read_config().known == frozenset()
    assert set(ifupdown2_io.read_config().stanzas) == {"lo", "bond0", "vmbr0"}
    assert calls == [("-a", "-o", "json")]
    monkeypatch.setattr(ifquery_io, "is_ifupdown2", lambda: False)
    assert ifupdown2_io.read_config().stanzas == {}


def test_an_ifquery_that_fails_reads_as_no_stanzas(monkeypatch):
    monkeypatch.setattr(ifquery_io, "is_ifupdown2", lambda: True)
    monkeypatch.setattr(ifquery_io, "run_ifquery", lambda *args: (1, ""))
    assert ifupdown2_io.read_config().stanzas == {}


def test_is_ifupdown2_follows_ifquery_to_its_program(tmp_path, monkeypatch):
    program = tmp_path / "ifupdown2"
    program.write_text("")
    monkeypatch.setattr(ifquery_io, "IFUPDOWN2_PROGRAM", str(program))
    monkeypatch.setattr(ifquery_io.shutil, "which", lambda name, path: str(tmp_path / "ifquery"))
    (tmp_path / "ifquery").symlink_to(program)
    assert ifquery_io.is_ifupdown2()
    (tmp_path / "ifquery").unlink()
    (tmp_path / "ifquery").write_text("")
    assert not ifquery_io.is_ifupdown2()


def test_status_names_ifupdown2_and_gives_the_bridge_fix_in_its_terms(monkeypatch, capsys):
    bond0 = replace(bond(address=DERIVED, assign=3), uppers=("vmbr0",))
    bridge = Link("vmbr0", 12, "bridge", HASHED_BRIDGE, None, None, 3)
    links = facts(bond0, nic("eth0", 2, A, 10), nic("eth1", 3, B, 10), bridge)
    monkeypatch.setattr(sysfs_io, "read_facts", lambda: links)
    monkeypatch.setattr(sysfs_io, "operstate", lambda name: "up")
    monkeypatch.setattr(sysfs_io, "if_inet6", lambda: "")
    monkeypatch.setattr(sysfs_io, "vlan_config", lambda: "")
    monkeypatch.setattr(rtnl_io, "read_ipv4", lambda timeout: {})
    monkeypatch.setattr(ifquery_io, "is_ifupdown2", lambda: True)
    monkeypatch.setattr(ifquery_io, "run_ifquery", lambda *args: (0, LAB_JSON))
    monkeypatch.setattr(dbus_io, "profiles", lambda: [])
    monkeypatch.setattr(files_io, "load", lambda: files_io.Config((), (), (), ()))
    assert commands_io.main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  bond-derive-mac: on" in out
    assert "  ifupdown2: iface bond0, bond-derive-mac yes" in out
    assert (
        "      warning: not traceable to any port; clones may share it; fix: add 'hwaddress 02:54:00:c8:76:09' to "
        "the 'iface vmbr0' stanza (ifupdown2 has no bridge_hw)" in out
    )
    assert commands_io.main(["status", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["configured"] and row["ifupdown2"] == {"stanza": "bond0", "bond-derive-mac": "yes"}
