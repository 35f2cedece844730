"""ifupdown2 in place of ifupdown, with bondhook's hook and the policy its package installs (one
boot): the release's ifupdown2, then upstream's over it on a Proxmox VE-like host (trixie), its
bond's ports as an ifupdown2 glob. The package boot runs the same scenario on bookworm with the
installed package."""

import shutil

import pytest

from . import ifupdown2_checks as check
from .vm import LAB_CACHE, boot, cannot_run

pytestmark = pytest.mark.lab

UPSTREAM = LAB_CACHE / "upstream" / "ifupdown2" / "ifupdown2"  # make setup extracts it
# Upstream runs on trixie only: its Python dependencies are in the trixie root (.ci/trixie-packages).
UPSTREAM_RELEASE = "trixie"
ON_UPSTREAM_RELEASE = pytest.mark.releases(UPSTREAM_RELEASE)
LABELS = [pytest.param("if2", id="debian"), pytest.param("if2up", id="upstream", marks=ON_UPSTREAM_RELEASE)]


@pytest.fixture(scope="module")
def guest(lab_out, release):
    """The guest is handed copies in its shared directory: Debian's .deb and upstream's tree."""
    out = lab_out / release.name / "ifupdown2"
    env = {"IFUPDOWN2_DEB": release.handed_deb("ifupdown2", out)}
    if release.name == UPSTREAM_RELEASE:
        if not UPSTREAM.is_dir():
            cannot_run(f"no upstream ifupdown2 in {UPSTREAM} (make setup extracts ../shared/third_party's)")
        env["IFUPDOWN2_UPSTREAM"] = str(shutil.copytree(UPSTREAM, out / "upstream", dirs_exist_ok=True))
    run = boot("ifupdown2.sh", check.NICS, out, env, release=release)
    assert run["done"] == "1"
    return run


@pytest.fixture(params=LABELS)
def label(request):
    """Which ifupdown2's part of the boot: the release's own, or upstream's (trixie only)."""
    return request.param


def test_the_guest_ran_the_ifupdown2_it_was_given(guest, label):
    assert guest["ifupdown2.dpkg_rc"] == "0", guest.log("ifupdown2.dpkg")
    if label == "if2up":
        assert guest["ifupdown2_upstream.version"] == "3.9.0"
        # Its bond0 names its ports with a glob: ifupdown2 expands it, bondhook derives from the first.
        assert guest["if2up.ports"].startswith("glob "), guest["if2up.ports"]


@pytest.mark.parametrize("phase", ["up", "boot"])
def test_ifup_gives_the_bond_its_derived_mac_in_one_change_before_it_is_up(guest, label, phase):
    check.one_change_before_up(guest, f"{label}-{phase}")


def test_three_reloads_change_nothing_on_the_bonds(guest, label):
    check.reloads_change_nothing(guest, label)


def test_a_bond_that_did_not_opt_in_is_left_to_the_kernel(guest, label):
    check.bond_not_opted_in_left_alone(guest, label)


def test_status_names_ifupdown2_and_its_bridge_fix_works(guest, label):
    check.status_names_it_and_the_bridge_fix_works(guest, label)


@ON_UPSTREAM_RELEASE
def test_without_the_policy_upstream_takes_the_bond_back_to_its_first_ports_mac(guest):
    """The control: what the package's policy prevents, in the same boot (one reload without it)."""
    assert guest["if2up-nopolicy.rc"] == "0", guest.log("if2up-nopolicy.log")
    events = check.link_events(guest.log("if2up-nopolicy.monitor"), "bond0")
    assert check.A in {mac for _, mac in events}, events


@ON_UPSTREAM_RELEASE
def test_the_policy_is_global_a_bond_not_opted_in_keeps_a_removed_ports_mac(guest):
    """What the README says the package's policy changes for every bond: upstream would reset
    bond1 to its remaining port's MAC; with the reset off it keeps the removed port's, which that
    port carries again."""
    assert guest["if2up-port-out.rc"] == "0", guest.log("if2up-port-out.log")
    assert guest["if2up-port-out.bond1"] == guest["if2up-port-out.port"] == check.C
