from subprocess import CompletedProcess

import pytest

from bondhook.ifupdown import ifquery_io
from bondhook.rules.options import AUTO, OFF, Choice
from bondhook.runtime import deadline_io

from .facts import A, B, bond, facts, nic


def test_options_from_env_reads_only_stanza_keys():
    env = {"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "IF_BOND_SLAVES": "eth0 eth1", "IF_BOND_MODE": "4"}
    assert ifquery_io.options_from_env(env) == {"bond-derive-mac": "yes", "bond-slaves": "eth0 eth1"}


def test_request_keeps_bond_slaves_order():
    request = ifquery_io.request_from_options(
        "bond0", {"bond-derive-mac": "yes", "bond-slaves": "eth1 eth0"}, facts(), True
    )
    assert (request.choice, request.ports, request.may_create) == (AUTO, ("eth1", "eth0"), True)


def test_deprecated_slaves_option_and_hwaddress():
    request = ifquery_io.request_from_options(
        "bond0", {"bond-derive-mac": "eth0", "slaves": "eth0", "hwaddress": "x"}, facts(), False
    )
    assert request.choice == Choice(True, "eth0") and request.ports == ("eth0",)
    assert request.hold is not None and request.hold.what == "both hwaddress and bond-derive-mac are set"


def test_bond_slaves_none_takes_bond_master_stanzas_in_name_order(monkeypatch):
    stanzas = {"eth10": {"bond-master": "bond0"}, "eth2": {"bond-master": "bond0"}, "eth3": {"bond-master": "bond1"}}
    monkeypatch.setattr(ifquery_io, "listed_ifaces", lambda bond: ["lo", "eth10", "bond0"])
    monkeypatch.setattr(ifquery_io, "query", stanzas.get)
    snapshot = facts(bond(), nic("eth2", 2, A), nic("eth3", 3, B))
    request = ifquery_io.request_from_options(
        "bond0", {"bond-derive-mac": "yes", "bond-slaves": "none"}, snapshot, True
    )
    assert request.ports == ("eth2", "eth10")


def test_bad_option_value_raises_with_the_fix():
    with pytest.raises(ValueError, match=r"write e\.g\. 'bond-derive-mac yes'"):
        ifquery_io.request_from_options("bond0", {"bond-derive-mac": "a b"}, facts(), True)


def test_opt_out_request():
    assert ifquery_io.request_from_options("bond0", {"bond-slaves": "eth0"}, facts(), True).choice == OFF


def test_query_refuses_names_that_are_not_interface_names():
    assert ifquery_io.query("../../etc/passwd") is None
    assert ifquery_io.query("$(reboot)") is None


def test_scheme_option():
    request = ifquery_io.request_from_options(
        "bond0", {"bond-derive-mac": "yes", "bond-derive-mac-scheme": "ul-bit", "bond-slaves": "eth0"}, facts(), True
    )
    assert request.scheme == "ul-bit"
    with pytest.raises(ValueError, match=r"bond-derive-mac-scheme value 'md5' is not one of 02 \| ul-bit"):
        ifquery_io.request_from_options("bond0", {"bond-derive-mac-scheme": "md5"}, facts(), True)


def test_ifquery_gets_its_options_ended_before_a_name(monkeypatch):
    """A stanza name starting with '-' is a name, never an option of ifquery's."""
    seen = []
    monkeypatch.setattr(deadline_io, "run", lambda argv, what: seen.append(argv) or CompletedProcess(argv, 1, b"", b""))
    assert ifquery_io.query("-x") is None
    assert seen == [["ifquery", "--", "-x"]]


def test_ifquery_output_that_is_not_utf8_is_refused_with_the_fix(monkeypatch):
    out = b"bond-derive-mac: ye\xffs\nbond-slaves: eth0\n"
    monkeypatch.setattr(deadline_io, "run", lambda argv, what: CompletedProcess(argv, 0, out, b""))
    options = ifquery_io.query("bond0")
    with pytest.raises(ValueError, match=r"bond-derive-mac value 'ye\ufffds' is not one of .*; write e\.g\."):
        ifquery_io.request_from_options("bond0", options, facts(), False)
