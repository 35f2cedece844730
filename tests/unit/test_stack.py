"""Devices stacked on a bond: origin, fix line, duplicate address detection."""

from dataclasses import replace
from functools import partial

import pytest

from bondhook.ifupdown import stanza
from bondhook.networkd import config
from bondhook.nm import profile
from bondhook.rules import stack
from bondhook.rules.mac import Mac
from bondhook.rules.plan import ADDR_RANDOM, ADDR_SET, Link

from .facts import HASHED, A, B, facts, nic

DERIVED = Mac.parse("02:54:00:c8:76:09")
RANDOM = Mac.parse("e6:a8:2a:99:65:04")


def world(*uppers: Link, bond_uppers: tuple[str, ...] = ()):
    bond = Link("bond0", 10, "bond", DERIVED, None, None, ADDR_SET, bond_uppers or tuple(u.name for u in uppers))
    return bond, facts(nic("eth0", 2, A, 10), nic("eth1", 3, B, 10), bond, *uppers)


def test_a_vlan_inherits_the_bonds_traceable_mac():
    bond, f = world(Link("bond0.100", 11, "vlan", DERIVED, None, None, ADDR_SET))
    [vlan] = stack.uppers(bond, f, True, A)
    assert (vlan.kind, vlan.lower, vlan.origin, vlan.traceable, vlan.fix) == (
        "vlan",
        "bond0",
        "the same as bond0's",
        True,
        None,
    )


def test_a_vlan_on_an_untraceable_bond_is_untraceable_too():
    bond, f = world(Link("bond0.100", 11, "vlan", DERIVED, None, None, ADDR_SET))
    assert not stack.uppers(bond, f, False, A)[0].traceable


@pytest.mark.parametrize(
    ("fixer", "fix"),
    [
        (
            stanza.fix,
            "add 'bridge_hw bond0' to the 'iface vmbr0' stanza (bridge-utils copies its MAC)",
        ),
        (partial(profile.fix, "'br'"), "nmcli connection modify 'br' ethernet.cloned-mac-address 02:54:00:c8:76:09"),
        (
            partial(config.fix, "/etc/systemd/network/br.netdev"),
            "set MACAddress=02:54:00:c8:76:09 in [NetDev] of /etc/systemd/network/br.netdev",
        ),
        (None, "give vmbr0 the MAC 02:54:00:c8:76:09 where it is created"),
    ],
)
def test_a_bridge_with_udevs_hash_is_untraceable_and_told_to_take_the_bonds_mac(fixer, fix):
    bond, f = world(Link("vmbr0", 12, "bridge", HASHED, None, None, ADDR_SET))
    [bridge] = stack.uppers(bond, f, True, A, {"vmbr0": fixer} if fixer else {})
    assert bridge.origin == "set by userspace (udev MACAddressPolicy or an admin)"
    assert not bridge.traceable and bridge.fix == fix


def test_a_bridge_with_bridge_hw_is_traceable():
    bond, f = world(Link("vmbr0", 12, "bridge", DERIVED, None, None, ADDR_SET))
    assert stack.uppers(bond, f, True, A)[0].traceable


def test_a_macvlan_is_told_the_next_free_derivation():
    bond, f = world(Link("mv0", 13, "macvlan", RANDOM, None, None, ADDR_RANDOM))
    [mv] = stack.uppers(bond, f, True, A, {"mv0": stanza.fix})
    assert mv.origin == "kernel random"
    assert mv.fix == "add 'hwaddress 06:54:00:c8:76:09' to the 'iface mv0' stanza"


def test_a_macvlan_with_a_derivation_is_traceable():
    bond, f = world(Link("mv0", 13, "macvlan", Mac.parse("06:54:00:c8:76:09"), None, None, ADDR_SET))
    [mv] = stack.uppers(bond, f, True, A)
    assert mv.traceable and mv.origin == "derived from eth0 (another rule or port set)"


def test_uppers_of_uppers_are_walked_depth_first_each_once():
    vlan = Link("bond0.100", 11, "vlan", DERIVED, None, None, ADDR_SET, ("vmbr1",))
    bridge = Link("vmbr1", 12, "bridge", HASHED, None, None, ADDR_SET, ("bond0",))  # a loop is not followed
    bond, f = world(vlan, bridge, bond_uppers=("bond0.100", "vmbr1"))
    found = stack.uppers(bond, f, True, A)
    assert [(u.name, u.lower, u.depth) for u in found] == [("bond0.100", "bond0", 1), ("vmbr1", "bond0.100", 2)]
    assert stack.addresses(f.get("bond0"), f) == {DERIVED, HASHED}


def test_a_missing_upper_is_left_out():
    bond, f = world(bond_uppers=("gone0",))
    assert stack.uppers(bond, f, True, A) == ()


IF_INET6 = """\
fe80000000000000005400fffec87609 00000005 40 20 c8     bond0
fe80000000000000005400fffec8760a 00000006 40 20 80     vmbr0
20010db8000000000000000000000001 00000006 40 00 c8     vmbr0
00000000000000000000000000000001 00000001 80 10 80        lo
garbage line
zz80000000000000005400fffec87609 00000005 40 20 c8     bond1
"""


def test_dad_failures_are_link_local_addresses_with_the_dadfailed_flag():
    assert stack.dad_failures(IF_INET6) == {"bond0": ("fe80::54:ff:fec8:7609",)}


def test_dad_failures_are_shown_on_the_upper_they_belong_to():
    bond, f = world(Link("vmbr0", 12, "bridge", DERIVED, None, None, ADDR_SET))
    [bridge] = stack.uppers(bond, f, True, A, dad={"vmbr0": ("fe80::1",)})
    assert bridge.dad_failed == ("fe80::1",)


def test_no_address_is_untraceable():
    bond, f = world(replace(Link("vmbr0", 12, "bridge"), address=None))
    assert stack.uppers(bond, f, True, A)[0].origin == "no address"


def test_carriers_follow_vlans_from_the_bond_and_stop_at_an_unknown_one():
    vlans = stack.vlan_ids(
        "VLAN Dev name  | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\nbond0.100      | 100  | bond0\n"
    )
    assert vlans == {"bond0.100": 100}
    bond0 = Link("bond0", 10, "bond", DERIVED, uppers=("bond0.100", "bond0.7"))
    vlan = Link("bond0.100", 11, "vlan", DERIVED, uppers=("vmbr100",))
    bridge = Link("vmbr100", 12, "bridge", RANDOM)
    unknown = Link("bond0.7", 13, "vlan", DERIVED)
    ipv4 = {"vmbr100": (bytes((192, 0, 2, 1)),), "bond0.7": (bytes((192, 0, 2, 7)),)}
    assert stack.carriers(bond0, facts(bond0, vlan, bridge, unknown), vlans, ipv4) == (
        stack.Carrier(DERIVED),
        stack.Carrier(DERIVED, (100,)),
        stack.Carrier(RANDOM, (100,), (bytes((192, 0, 2, 1)),)),
    )
