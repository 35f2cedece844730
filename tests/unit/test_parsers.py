"""Every parser of outside input, under generated input: it answers or refuses with a
ValueError whose text names the fix; it never raises anything else and never accepts junk."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bondhook.ifupdown.stanza import parse_ifquery
from bondhook.rules.mac import Mac, parse_optional
from bondhook.rules.names import is_ifname, name_order
from bondhook.rules.options import parse_choice, parse_ports, parse_scheme

anything = st.text() | st.sampled_from(["bond0\n", "bond0 ", "-bond0", "tap1²", "eth٣", "a" * 15, "a" * 16])


@given(anything)
def test_is_ifname_is_a_full_match_of_what_linux_and_argv_accept(text):
    if is_ifname(text):
        assert 1 <= len(text) <= 15 and text.isascii() and text not in (".", "..")
        assert not re.search(r"[\s/:\x00]", text)


def test_is_ifname_examples():
    assert is_ifname("bond0") and is_ifname("bond0.100") and is_ifname("-x")
    for bad in ("bond0\n", "bond0 ", "", ".", "..", "a/b", "a:b", "tap1²", "a" * 16):
        assert not is_ifname(bad)


@given(anything)
def test_parse_choice_accepts_or_names_the_fix(text):
    try:
        choice = parse_choice(text)
    except ValueError as exc:
        assert "write e.g. 'bond-derive-mac yes'" in str(exc) and "\n" not in str(exc)
    else:
        assert choice.port is None or is_ifname(choice.port)


@given(anything)
def test_parse_scheme_accepts_or_names_the_fix(text):
    try:
        assert parse_scheme(text) in ("02", "ul-bit")
    except ValueError as exc:
        assert "write e.g. 'bond-derive-mac-scheme ul-bit'" in str(exc)


@given(anything)
def test_parse_ports_accepts_names_or_names_the_bad_one(text):
    try:
        ports = parse_ports("bond-slaves", text)
    except ValueError as exc:
        assert str(exc).startswith("bond-slaves names '") and str(exc).endswith("fix the stanza")
    else:
        assert all(is_ifname(port) for port in ports)


@pytest.mark.parametrize(
    ("text", "named"),
    [("glob swp[1-4]", ()), ("eno1 regex ens.*", ("eno1",)), ("eno2 eno1 glob swp1-2 eno3", ("eno2", "eno1"))],
)
def test_ifupdown2_port_patterns_end_the_ports_named_outright(text, named):
    """What a glob or regex matches, ifupdown2 has enslaved by the hook's turn; those come after."""
    assert parse_ports("bond-slaves", text) == named


def test_a_typo_in_bond_slaves_is_reported_not_dropped():
    with pytest.raises(ValueError, match=r"bond-slaves names 'eth0;', which is not an interface name"):
        parse_ports("bond-slaves", "eth0; eth1")


@given(st.lists(anything, max_size=6))
def test_name_order_sorts_any_names(names):
    """A link named with a non-ASCII digit anywhere on the host must not break the sort."""
    ordered = sorted(names, key=name_order)
    assert sorted(ordered, key=name_order) == ordered


def test_name_order_examples():
    assert sorted(["eth10", "eth2", "tap1²", "eth1a"], key=name_order) == ["eth1a", "eth2", "eth10", "tap1²"]


@given(st.text() | st.binary())
def test_mac_parsers_answer_or_refuse(value):
    mac = parse_optional(value)
    if mac is not None:
        assert len(mac.octets) == 6
    if isinstance(value, str):
        try:
            Mac.parse(value)
        except ValueError as exc:
            assert str(exc).startswith("not a MAC address")


@given(st.text())
def test_parse_ifquery_reads_any_text(text):
    for key, value in parse_ifquery(text).items():
        assert ":" not in key and value == value.strip()
