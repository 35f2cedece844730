import pytest

from bondhook.rules.mac import LOCAL_UNICAST_FIRST_OCTETS, Mac, derivations, derive, parse_optional

PORT = Mac.parse("52:54:00:c8:76:09")


def test_rule_replaces_first_octet_with_02():
    assert str(derive(PORT)) == "02:54:00:c8:76:09"


@pytest.mark.parametrize("text", ["52:54:00:C8:76:09", "52-54-00-c8-76-09", "525400c87609", " 52:54:00:c8:76:09\n"])
def test_parse_accepts_common_spellings(text):
    assert Mac.parse(text) == PORT


@pytest.mark.parametrize(
    "text", ["", "52:54:00:c8:76", "52:54:00:c8:76:0g", "52:54-00:c8:76:09", "52:54:00:c8:76:09:00"]
)
def test_parse_rejects_garbage(text):
    with pytest.raises(ValueError):
        Mac.parse(text)


def test_port_mac_already_02_moves_to_06():
    port = Mac.parse("02:54:00:c8:76:0b")
    assert str(derive(port)) == "06:54:00:c8:76:0b"


def test_collision_with_another_port_skips_to_next_free_octet():
    avoid = [Mac.parse("02:54:00:c8:76:09"), Mac.parse("06:54:00:c8:76:09")]
    assert str(derive(PORT, avoid)) == "0a:54:00:c8:76:09"


def test_derived_is_always_local_unicast_and_never_a_port():
    for first in range(256):
        port = Mac((first, 1, 2, 3, 4, 5))
        got = derive(port, [port])
        assert got.is_local and not got.is_multicast and got != port


def test_candidate_octets_are_all_local_unicast():
    assert LOCAL_UNICAST_FIRST_OCTETS[:4] == (0x02, 0x06, 0x0A, 0x0E)
    assert len(LOCAL_UNICAST_FIRST_OCTETS) == 64
    assert all(o & 0x03 == 0x02 for o in LOCAL_UNICAST_FIRST_OCTETS)


def test_exhausted_variants_raise():
    with pytest.raises(ValueError):
        derive(PORT, derivations(PORT))


@pytest.mark.parametrize(
    ("text", "usable"),
    [("00:00:00:00:00:00", False), ("ff:ff:ff:ff:ff:ff", False), ("01:00:5e:00:00:01", False), (str(PORT), True)],
)
def test_usable_source(text, usable):
    assert Mac.parse(text).is_usable_source is usable


def test_parse_optional_reads_netlink_values():
    assert parse_optional(None) is None
    assert parse_optional("junk") is None
    assert parse_optional(b"\x52\x54\x00\xc8\x76\x09") == PORT
    assert parse_optional("52:54:00:c8:76:09") == PORT


def test_ul_bit_scheme_keeps_the_oui_readable():
    assert str(derive(Mac.parse("a0:36:9f:12:34:56"), scheme="ul-bit")) == "a2:36:9f:12:34:56"


def test_ul_bit_scheme_on_a_locally_administered_port_falls_back_to_02():
    assert derive(PORT, scheme="ul-bit") == derive(PORT)  # 52 already has the U/L bit


def test_ul_bit_scheme_avoids_ports_too():
    port = Mac.parse("a0:36:9f:12:34:56")
    assert str(derive(port, [Mac.parse("a2:36:9f:12:34:56")], scheme="ul-bit")) == "02:36:9f:12:34:56"
