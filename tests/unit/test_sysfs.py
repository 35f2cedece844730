"""The facts sysfs and ethtool give agree with a netlink dump (pyroute2 as the oracle), read-only
on this host; the lab compares them on bonds and their ports."""

import pytest
from pyroute2 import IPRoute

from bondhook.kernel import sysfs_io
from bondhook.rules.mac import parse_optional


@pytest.mark.system
def test_sysfs_agrees_with_a_netlink_dump_on_this_host():
    with IPRoute() as ipr:
        dump = {
            msg.get_attr("IFLA_IFNAME"): (
                msg["index"],
                parse_optional(msg.get_attr("IFLA_ADDRESS")),
                parse_optional(msg.get_attr("IFLA_PERM_ADDRESS")),
                msg.get_attr("IFLA_MASTER"),
            )
            for msg in ipr.get_links()
        }
    facts = sysfs_io.read_facts()
    assert {link.name for link in facts.links} == set(dump)
    for link in facts.links:
        index, address, perm, master = dump[link.name]
        assert (link.index, link.address, link.master) == (index, address, master)
        assert link.perm_address == (perm if perm is not None and not perm.is_zero else None)


def test_the_cause_named_when_a_bond_keeps_its_mac():
    assert sysfs_io.kept_cause("active-backup", "active").startswith("fail_over_mac is active")
    assert sysfs_io.kept_cause("active-backup", "follow").startswith("fail_over_mac is follow")
    assert sysfs_io.kept_cause("802.3ad", "active") == "the driver ignored the change; see dmesg"
    assert sysfs_io.kept_cause("active-backup", "none") == "the driver ignored the change; see dmesg"


def test_an_absent_link_has_no_address():
    assert sysfs_io.address("no-such-link0") is None
