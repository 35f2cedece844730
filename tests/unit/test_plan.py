import logging

from bondhook.rules.mac import Mac
from bondhook.rules.names import name_order
from bondhook.rules.options import AUTO, OFF, Choice
from bondhook.rules.plan import ADDR_RANDOM, ADDR_SET, Hold, Request, decide, describe

from .facts import HASHED, LOCAL, A, B, bond, facts, nic

DERIVED_A = Mac.parse("02:54:00:c8:76:09")
DERIVED_B = Mac.parse("02:54:00:c8:76:0a")


def texts(plan, level):
    return [m.text for m in plan.messages if m.level == level]


def test_no_bond_yet_creates_it_with_first_port_derivation():
    plan = decide(
        Request("bond0", AUTO, ("eth0", "eth1"), may_create=True), facts(nic("eth0", 2, A), nic("eth1", 3, B))
    )
    assert (plan.action, plan.target, plan.source) == ("create", DERIVED_A, "eth0")
    assert texts(plan, logging.INFO) == [
        "bond0: created with MAC 02:54:00:c8:76:09, derived from eth0 (permanent 52:54:00:c8:76:09)"
    ]


def test_order_of_bond_slaves_decides_not_enslave_order():
    snapshot = facts(bond(), nic("eth0", 2, A, master=10), nic("eth1", 3, B, master=10))
    assert decide(Request("bond0", AUTO, ("eth1", "eth0")), snapshot).target == DERIVED_B


def test_enslaved_port_current_mac_is_never_the_source():
    # Enslaved ports usually carry the bond's MAC; only the permanent one counts.
    snapshot = facts(bond(address=HASHED), nic("eth0", 2, A, master=10, address=HASHED))
    assert decide(Request("bond0", AUTO, ("eth0",)), snapshot).target == DERIVED_A


def test_existing_bond_with_other_mac_is_set_and_said_so():
    plan = decide(Request("bond0", AUTO, ("eth0",)), facts(bond(), nic("eth0", 2, A)))
    assert plan.action == "set"
    assert "existing bond's MAC changed from 3a:8e:1c:5f:00:42 to 02:54:00:c8:76:09" in texts(plan, logging.INFO)[0]


def test_bond_already_right_is_kept():
    assert decide(Request("bond0", AUTO, ("eth0",)), facts(bond(address=DERIVED_A), nic("eth0", 2, A))).action == "keep"


def test_named_port():
    plan = decide(
        Request("bond0", Choice(True, "eth1"), ("eth0", "eth1")), facts(bond(), nic("eth0", 2, A), nic("eth1", 3, B))
    )
    assert (plan.target, plan.source) == (DERIVED_B, "eth1")


def test_named_port_not_of_this_bond_is_refused_in_one_line():
    plan = decide(Request("bond0", Choice(True, "eno9"), ("eth0",)), facts(bond(), nic("eth0", 2, A)))
    assert plan.action == "none"
    assert texts(plan, logging.ERROR) == [
        "bond0: port eno9 named in bond-derive-mac is not a port of this bond (ports: eth0); "
        "MAC left as 3a:8e:1c:5f:00:42; fix the name or use 'yes'"
    ]


def test_absent_first_port_falls_back_with_warning():
    plan = decide(Request("bond0", AUTO, ("eth0", "eth1"), may_create=True), facts(nic("eth1", 3, B)))
    assert plan.target == DERIVED_B
    assert texts(plan, logging.WARNING) == ["bond0: port eth0 is absent; deriving from eth1 instead"]


def test_absent_named_port_falls_back_to_the_others_in_order():
    plan = decide(Request("bond0", Choice(True, "eth1"), ("eth0", "eth1"), may_create=True), facts(nic("eth0", 2, A)))
    assert plan.source == "eth0" and texts(plan, logging.WARNING)


def test_unusable_permanent_macs_are_skipped():
    zero = Mac.parse("00:00:00:00:00:00")
    plan = decide(
        Request("bond0", AUTO, ("eth0", "eth1", "eth2"), may_create=True),
        facts(nic("eth0", 2, zero), nic("eth1", 3, None), nic("eth2", 4, B)),
    )
    assert plan.source == "eth2"
    assert "port eth1 has no usable permanent MAC (none)" in texts(plan, logging.WARNING)[0]


def test_no_usable_port_changes_nothing():
    plan = decide(Request("bond0", AUTO, ("eth0",)), facts(bond(), nic("eth0", 2, Mac.parse("01:00:5e:00:00:01"))))
    assert plan.action == "none" and plan.target is None
    [line] = texts(plan, logging.ERROR)
    assert line.startswith("bond0: no port with a usable permanent MAC") and "check bond-slaves" in line


def test_no_ports_at_all():
    [line] = texts(decide(Request("bond0", AUTO, (), may_create=True), facts()), logging.ERROR)
    assert "no ports configured or enslaved" in line and "MAC left to the kernel" in line


def test_derived_never_equals_any_ports_permanent_mac():
    other = Mac.parse("02:54:00:c8:76:09")  # a port whose permanent MAC is A's 02-variant
    plan = decide(
        Request("bond0", AUTO, ("eth0", "eth1"), may_create=True), facts(nic("eth0", 2, A), nic("eth1", 3, other))
    )
    assert str(plan.target) == "06:54:00:c8:76:09"


def test_source_already_locally_administered():
    plan = decide(Request("bond0", AUTO, ("eth2",), may_create=True), facts(nic("eth2", 4, LOCAL)))
    assert str(plan.target) == "06:54:00:c8:76:0b"


def test_opt_out_does_nothing_and_says_nothing():
    assert decide(Request("bond0", OFF, ("eth0",)), facts(bond(), nic("eth0", 2, A))).messages == ()


def test_a_persons_hold_wins():
    hold = Hold("both hwaddress and bond-derive-mac are set", "remove one of them from its stanza")
    plan = decide(Request("bond0", AUTO, ("eth0",), hold), facts(nic("eth0", 2, A)))
    assert plan.action == "none"
    assert texts(plan, logging.ERROR) == [
        "bond0: both hwaddress and bond-derive-mac are set; MAC left to the kernel; remove one of them from its stanza"
    ]


def test_not_a_bond_and_missing_bond_for_cli():
    assert "not a bond" in texts(decide(Request("eth0", AUTO), facts(nic("eth0", 2, A))), logging.ERROR)[0]
    assert "ifup bond0" in texts(decide(Request("bond0", AUTO, ("eth0",)), facts(nic("eth0", 2, A))), logging.ERROR)[0]


def test_enslaved_ports_follow_configured_ones_in_name_order():
    snapshot = facts(bond(), nic("eth10", 2, A, master=10), nic("eth2", 3, B, master=10))
    assert decide(Request("bond0", AUTO), snapshot).source == "eth2"


def test_name_order_is_natural():
    assert sorted(["eth10", "eth2", "eno1"], key=name_order) == ["eno1", "eth2", "eth10"]


def test_status_explains_each_origin():
    ports = (nic("eth0", 2, A, master=10), nic("eth1", 3, B, master=10))
    derived = describe(bond(address=DERIVED_A, assign=ADDR_SET), facts(bond(address=DERIVED_A), *ports), None)
    assert derived.origin == "derived by bondhook from eth0" and derived.matches and derived.traceable
    stolen = describe(bond(address=A), facts(bond(address=A), *ports), None)
    assert stolen.origin == "taken from port eth0" and not stolen.matches and stolen.traceable
    hashed = describe(bond(assign=ADDR_SET), facts(bond(), *ports), None)
    assert hashed.origin.startswith("set by userspace") and not hashed.traceable
    random = describe(bond(assign=ADDR_RANDOM), facts(bond(), *ports), None)
    assert random.origin == "kernel random" and random.derived == DERIVED_A and random.ports == ("eth0", "eth1")


def test_status_uses_configured_choice():
    snapshot = facts(bond(address=DERIVED_B), nic("eth0", 2, A, master=10), nic("eth1", 3, B, master=10))
    status = describe(snapshot.get("bond0"), snapshot, Request("bond0", Choice(True, "eth1"), ("eth0", "eth1")))
    assert status.configured and status.matches and status.source == "eth1"
