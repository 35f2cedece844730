"""The fast decision (NetworkManager's files and sysfs, no D-Bus) never says "steady" where the
full decision (D-Bus profiles) would write, log or set anything else."""

from __future__ import annotations

import uuid as uuidlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bondhook.nm import keyfile_io, steady
from bondhook.nm.keyfile import Doubt
from bondhook.nm.profile import decide_profile
from bondhook.rules.mac import Mac
from bondhook.rules.options import NM_DERIVE_MAC, NM_OWNED_MAC, NM_SCHEME, NM_SOURCE
from bondhook.rules.plan import Facts, Link

from .nmworlds import BOND_INDEX, FakeKernel, Spec, dbus_profile, worlds, write_keyfiles


def fast_and_full(directory, bond, ports, facts):
    write_keyfiles(directory, [bond, *ports])
    path = str(directory / f"{bond.uuid}{keyfile_io.SUFFIX}")
    try:
        fast = steady.target(bond.uuid, "bond0", path, keyfile_io.load([str(directory)]), FakeKernel(facts))
    except Doubt:
        fast = None  # as the dispatcher takes it: ask NetworkManager
    everyone = [dbus_profile(spec) for spec in [bond, *ports]]
    return fast, decide_profile(everyone[0], everyone, facts)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_steady_implies_what_the_full_decision_concludes(tmp_path_factory, world):
    fast, full = fast_and_full(tmp_path_factory.mktemp("system-connections"), *world)
    if fast is not None:
        assert full.write is None and full.messages == () and str(full.link_mac) == fast


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    perms=st.lists(st.integers(0, 2**40 - 1), min_size=2, max_size=2, unique=True),
    enslaved=st.booleans(),
    by_controller=st.booleans(),
)
def test_a_synced_profile_is_steady(tmp_path_factory, perms, enslaved, by_controller):
    """The case every activation after the first is in: the fast decision must see it."""
    macs = [Mac((0x52, *int.to_bytes(perm, 5, "big"))) for perm in perms]
    links = [Link(f"eth{i}", i + 2, None, mac, mac, BOND_INDEX if enslaved else None) for i, mac in enumerate(macs)]
    facts = Facts((*links, Link("bond0", BOND_INDEX, "bond", None, None)))
    bond_uuid = str(uuidlib.UUID(int=7))
    ports = [Spec(str(uuidlib.UUID(int=i + 1)), f"p{i}", "802-3-ethernet", f"eth{i}", "bond0",
                  controller_keys=by_controller) for i in range(2)]  # fmt: skip
    bond = Spec(bond_uuid, "bond0", "bond", "bond0")
    _, first = fast_and_full(tmp_path_factory.mktemp("first"), bond, ports, facts)
    synced = Spec(bond_uuid, "bond0", "bond", "bond0", cloned=first.cloned_mac, user=dict(first.write or {}))
    fast, full = fast_and_full(tmp_path_factory.mktemp("synced"), synced, ports, facts)
    assert fast == str(first.link_mac) == str(full.link_mac) == "02" + str(macs[0])[2:]


def test_the_keys_are_the_option_tables():
    assert (steady.DERIVE_MAC, steady.SCHEME, steady.OWNED_MAC, steady.SOURCE) == (
        NM_DERIVE_MAC.key,
        NM_SCHEME.key,
        NM_OWNED_MAC.key,
        NM_SOURCE.key,
    )
