"""networkd's [Match] rules, case by case (the native differential test holds them against
networkd itself over generated files; these name each case the field met)."""

import struct

import pytest

from bondhook.kernel.rtnl import IFLA_ALT_IFNAME, IFLA_PERM_ADDRESS, IFLA_PROP_LIST, NLMSG_DONE, RTM_NEWLINK, links
from bondhook.networkd.config import Text, decision, network
from bondhook.networkd.match import hw_addr, read_match, words
from bondhook.networkd.unitfile import parse
from bondhook.rules.glob import fnmatch
from bondhook.rules.mac import Mac
from tests.unit.facts import nic

ETH0 = nic("eth0", 2, Mac.parse("52:54:00:00:00:01"))
ETH1 = nic("eth1", 3, Mac.parse("52:54:00:00:00:02"))


def chosen(text: str, link, dropin: str | None = None) -> bool:
    drops = [Text("/etc/10-a.network.d/x.conf", dropin)] if dropin is not None else []
    net = network(Text("/etc/10-a.network", text), drops)
    return decision([net], link)[0] is net


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("eth[^0]", "eth1", True),
        ("eth[^0]", "eth0", False),
        ("eth[!0]", "eth1", True),
        ("eth[[:digit:]]", "eth1", True),
        ("we\\*rd", "we*rd", True),
        ("we\\*rd", "weird", False),
        ("a[b", "a[b", True),
    ],
)
def test_globs_are_libc_fnmatch(pattern, name, expected):
    assert fnmatch(pattern, name) is expected


def test_name_with_a_negated_class_picks_the_link_networkd_picks():
    text = "[Match]\nName=eth[^0]\n[Network]\nBond=bond0\n"
    assert (chosen(text, ETH0), chosen(text, ETH1)) == (False, True)


def test_a_leading_bang_negates_every_word_of_its_line_only():
    assert chosen("[Match]\nName=!eth1 eth0\n", ETH0) is False
    assert chosen("[Match]\nName=!eth1 !eth0\n", ETH0) is True  # the second '!' is part of a name
    assert chosen("[Match]\nName=!eth1\nName=eth0\n", ETH0) is True


def test_an_empty_name_in_a_drop_in_leaves_the_file_without_a_condition_so_it_matches_nothing():
    assert chosen("[Match]\nName=eth*\n", ETH0, dropin="[Match]\nName=\n") is False


def test_name_matches_an_alternative_name():
    link = nic("enp1s0", 4, Mac.parse("52:54:00:00:00:03"))
    text = "[Match]\nName=eno1\n"
    assert chosen(text, link) is False
    assert chosen(text, link.__class__(**{**link.__dict__, "altnames": ("eno1",)})) is True


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("52:54:00:00:00:01", True),
        ("52-54-00-00-00-01", True),
        ("5254.0000.0001", True),
        ("52:54:0:0:0:1", True),
        ("52:54:00:00:00:01:", None),
        ("525400000001", None),
        ("52:54-00:00:00:01", None),
    ],
)
def test_mac_spellings_as_systemd_parses_them(spelling, expected):
    parsed = hw_addr(spelling)
    assert (parsed == bytes.fromhex("525400000001") if parsed is not None else None) == expected


def test_an_unparsable_mac_is_dropped_so_the_other_conditions_decide():
    assert chosen("[Match]\nName=eth0\nMACAddress=525400000001\n", ETH0) is True
    assert chosen("[Match]\nName=eth0\nMACAddress=1.2.3.4\n", ETH0) is False  # an IPv4 tunnel address


def test_a_byte_order_mark_is_read_past():
    assert chosen("\ufeff[Match]\nName=eth0\n", ETH0) is True


def test_words_take_a_backslashed_character_as_it_is_and_quotes_as_characters():
    assert words('a\\ b  "c') == ["a b", '"c']
    assert read_match(parse("[Match]\nName=eth0 \\\\\n")).names == ("eth0", "\\")


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + bytes(-length % 4)


def test_alternative_names_and_permanent_address_from_an_rtnetlink_dump():
    prop = _attr(IFLA_PROP_LIST | 0x8000, _attr(IFLA_ALT_IFNAME, b"eno1\0") + _attr(IFLA_ALT_IFNAME, b"enx52\0"))
    perm = _attr(IFLA_PERM_ADDRESS, bytes.fromhex("525400c87609"))
    body = struct.pack("=BxHiII", 0, 1, 7, 0, 0) + _attr(3, b"enp1s0\0") + prop + perm
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, 2, 9, 0) + body
    done = struct.pack("=IHHII", 20, NLMSG_DONE, 2, 9, 0) + bytes(4)
    assert links(msg + done, 9) == ({7: (("eno1", "enx52"), bytes.fromhex("525400c87609"))}, True)
    assert links(msg, 8) == ({}, False)


def test_ipv4_addresses_from_an_rtnetlink_dump_take_the_local_address():
    from bondhook.kernel.rtnl import IFA_ADDRESS, IFA_LOCAL, RTM_NEWADDR, ipv4

    def message(index: int, family: int, attrs: bytes) -> bytes:
        body = struct.pack("=BBBBI", family, 24, 0, 0, index) + attrs
        return struct.pack("=IHHII", 16 + len(body), RTM_NEWADDR, 2, 4, 0) + body

    ptp = _attr(IFA_ADDRESS, bytes((10, 0, 0, 2))) + _attr(IFA_LOCAL, bytes((10, 0, 0, 1)))
    done = struct.pack("=IHHII", 20, NLMSG_DONE, 2, 4, 0) + bytes(4)
    chunk = message(3, 2, _attr(IFA_ADDRESS, bytes((192, 0, 2, 1)))) + message(5, 2, ptp) + message(6, 10, b"")
    assert ipv4(chunk + done, 4) == ([(3, bytes((192, 0, 2, 1))), (5, bytes((10, 0, 0, 1)))], True)
