"""ifupdown + ifenslave + bondhook on Debian's real kernel, udev and bonding driver (one boot)."""

import json

import pytest

from .vm import boot

pytestmark = pytest.mark.lab

A, B, C, D = "52:54:00:c8:76:09", "52:54:00:c8:76:0a", "02:54:00:c8:76:0b", "a0:36:9f:12:34:56"
DERIVED_A, DERIVED_B = "02:54:00:c8:76:09", "02:54:00:c8:76:0a"


@pytest.fixture(scope="module")
def guest(lab_out, release):
    run = boot("ifupdown.sh", [A, B, C, D], lab_out / release.name / "ifupdown", {}, release=release)
    assert run["done"] == "1"
    return run


@pytest.mark.parametrize("mode", ["active-backup", "802.3ad", "balance-alb"])
def test_ifup_gives_derived_mac_in_every_mode(guest, mode):
    assert guest[f"{mode}.rc"] == "0"
    assert guest[f"{mode}.mode"] == mode
    assert guest[f"{mode}.mac"] == DERIVED_A, guest.log(f"{mode}.ifup")
    assert guest[f"{mode}.assign"] == "3"  # set from userspace: neither udev nor enslavement overrides it
    nics = guest["nics"].split(",")
    assert guest[f"{mode}.slaves"].split() == nics[:2]


@pytest.mark.parametrize("mode", ["active-backup", "802.3ad", "balance-alb"])
def test_vlan_on_the_bond_carries_the_derived_mac(guest, mode):
    assert guest[f"{mode}.vlan"] == DERIVED_A


@pytest.mark.parametrize("mode", ["active-backup", "802.3ad", "balance-alb"])
def test_ifdown_ifup_cycle_keeps_it(guest, mode):
    assert guest[f"{mode}.cycle.rc"] == "0"
    assert guest[f"{mode}.cycle.mac"] == DERIVED_A


def test_bond_slaves_none_with_bond_master_ports_and_ifup_all(guest):
    assert guest["masters.rc"] == "0"
    assert guest["masters.mac"] == DERIVED_A  # name order, not the order of the auto lines
    assert len(guest["masters.slaves"].split()) == 2


def test_existing_bond_with_another_mac_is_set_in_place_and_logged(guest):
    assert guest["existing.mac"] == DERIVED_A
    assert "existing bond's MAC changed from 3a:11:22:33:44:55 to 02:54:00:c8:76:09" in guest.log("existing.ifup")


def test_named_port(guest):
    assert guest["named.mac"] == DERIVED_B


def test_port_with_locally_administered_mac_never_collides(guest):
    assert guest["local.mac"] == "06:54:00:c8:76:0b"


def test_ul_bit_scheme_keeps_the_vendor_oui(guest):
    assert guest["ulbit.rc"] == "0"
    assert guest["ulbit.mac"] == "a2:36:9f:12:34:56", guest.log("ulbit.ifup")


def test_absent_source_port_falls_back_with_one_warning(guest):
    assert guest["absent.rc"] == "0"
    assert guest["absent.mac"] == DERIVED_B
    assert "bondhook: bond0: port enp9s9 is absent; deriving from" in guest.log("absent.ifup")


def test_opt_out_leaves_kernel_behaviour(guest):
    assert guest["optout.mac"] == A  # ifenslave's .link: the bond steals its first port's MAC
    assert guest["optout.bondhook_lines"] == "0"


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("badvalue", "bond0: bond-derive-mac value 'maybe so' is not one of yes | no | <port>"),
        ("badport", "bond0: port eno9 named in bond-derive-mac is not a port of this bond"),
        ("hwaddr", "bond0: both hwaddress and bond-derive-mac are set"),
    ],
)
def test_bad_input_is_one_line_and_ifup_still_works(guest, case, text):
    assert guest[f"{case}.rc"] == "0"
    assert guest[f"{case}.bondhook_lines"] == "1"
    assert text in guest.log(f"{case}.ifup")
    assert guest[f"{case}.mac"] != DERIVED_A
    assert guest[f"{case}.up"] in ("up", "unknown", "down")  # the bond exists: ifenslave carried on


def test_status_tells_the_truth(guest):
    assert guest["status.rc"] == "0" and guest["status.json_rc"] == "0"
    bonds = {b["bond"]: b for b in json.loads(guest.log("status.json"))}
    assert bonds["bond0"]["mac"] == DERIVED_A and bonds["bond0"]["matches"] and bonds["bond0"]["configured"]
    assert bonds["bond0"]["origin"].startswith("derived by bondhook")
    assert bonds["bond1"]["mac"] == B and bonds["bond1"]["origin"].startswith("taken from port")
    assert bonds["bond1"]["derived_mac"] == DERIVED_B and not bonds["bond1"]["matches"]
    assert bonds["bond2"]["origin"] == "kernel random" and not bonds["bond2"]["traceable"]
    text = guest.log("status.txt")
    assert "warning: " in text and "not traceable" in text


def test_apply_by_hand(guest):
    assert guest["apply_dry.mac"] == B
    assert "dry run, not done" in guest.log("apply-dry.txt")
    assert guest["apply.rc"] == "0" and guest["apply.mac"] == DERIVED_B
    assert guest["apply_bad.rc"] == "1"
    assert guest.log("apply-bad.txt").count("\n") == 1
    after = {b["bond"]: b for b in json.loads(guest.log("status-after.json"))}
    assert after["bond1"]["matches"]


def test_a_bad_name_in_bond_slaves_is_one_line_naming_it(guest):
    assert guest["badslaves.bondhook_lines"] == "1" and guest["badslaves.mac"] != DERIVED_A
    assert "bond-slaves names '$(reboot)', which is not an interface name; fix the stanza" in guest.log(
        "badslaves.ifup"
    )


def test_a_link_named_with_a_non_ascii_digit_breaks_nothing(guest):
    assert guest["odd_name.rc"] == "0" and guest["odd_name.mac"] == DERIVED_A
    assert guest["odd_name.tracebacks"] == "0"


def test_a_mac_the_kernel_does_not_keep_is_said_never_claimed(guest):
    """fail_over_mac active: the bonding driver accepts the change and keeps the old MAC."""
    text = guest.log("kept.ifup")
    assert guest["kept.before"] == A and guest["kept.mac"] != DERIVED_A  # it follows the active port
    assert f"could not apply the derived MAC: the kernel kept {A} instead of {DERIVED_A}" in text
    assert "fail_over_mac is active" in text
    assert "changed from" not in text and "created with" not in text
    assert guest["kept.bondhook_lines"] == "1" and guest["kept.tracebacks"] == "0"


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("no_modprobe", "bond0: could not apply the derived MAC: modprobe not found; install kmod; MAC left as it was"),
        ("no_ifquery", "bond0: ifquery not found; install ifupdown; MAC left unchanged"),
    ],
)
def test_a_missing_tool_is_named_with_its_package(guest, case, text):
    assert text in guest.log(f"{case}.ifup")
    assert guest[f"{case}.bondhook_lines"] == "1" and guest[f"{case}.tracebacks"] == "0"


def test_a_hung_syslog_daemon_does_not_hold_up_ifup(guest):
    """Its queue full, it reads nothing: the hook's lines are dropped there, kept on stderr."""
    assert guest["hung_syslog.rc"] == "0" and guest["hung_syslog.mac"] == DERIVED_A
    assert int(guest["hung_syslog.ms"]) < 60_000  # under TCG; natively well under a second
    assert "bond0: created with MAC 02:54:00:c8:76:09" in guest.log("hung_syslog.ifup")


def test_ifup_from_a_directory_holding_a_package_named_bondhook_runs_the_real_one(guest):
    assert guest["trojan.pwned"] == "no"
    assert guest["trojan.mac"] == DERIVED_A
