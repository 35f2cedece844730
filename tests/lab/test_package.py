"""The built .deb, installed with apt in a lab guest, working through its installed hooks, then purged."""

import pytest

from . import ifupdown2_checks as check
from .vm import REPO, boot, built

pytestmark = pytest.mark.lab

A = check.A


PREVIOUS_VERSION = next(
    line.split()[0]
    for line in (REPO / "tests" / "lab" / "previous-revision").read_text().splitlines()
    if line[:1] != "#"
)


@pytest.fixture(scope="module")
def guest(lab_out, release):
    env = {
        "LAB_DEB": built("bondhook_*_all.deb", "make deb"),
        "LAB_PREVIOUS_DEB": built(f"previous/bondhook_{PREVIOUS_VERSION}_all.deb", "make deb-previous"),
    }
    out = lab_out / release.name / "package"
    env["IFUPDOWN2_DEB"] = release.handed_deb("ifupdown2", out)
    run = boot("package.sh", check.NICS, out, env, release)
    assert run["done"] == "1"
    return run


def test_apt_install_with_debians_own_libraries(guest):
    assert guest["install.rc"] == "0", guest.log("install.txt")
    assert guest["install.module"] == "/usr/lib/python3/dist-packages/bondhook/__init__.py"
    versions = dict(item.split("=") for item in guest["install.versions"].split())
    assert versions["python3-pyroute2"].startswith("0.7.") and versions["python3-dbus-next"].startswith("0.2.3")
    assert guest["install.status"] == "0"


def test_postinst_writes_existing_nm_bond_profiles(guest):
    """A bond profile made before the install carries the derived MAC from its next activation."""
    derived = "02:54:00:c8:76:09"
    assert guest["postinst.keyfile_mac"].lower() == derived, guest.log("install.txt")  # NM writes upper case
    assert guest["postinst.keyfile_owned"] == derived
    assert guest["postinst.nm_sees"].lower() == derived


def test_postinst_without_networkmanager_says_so_and_succeeds(guest):
    """The system bus is up, NetworkManager is not: one line, and the install goes on."""
    assert guest["postinst.no_nm_rc"] == "0"
    lines = guest.log("postinst-no-nm.txt").splitlines()
    assert len(lines) == 1 and "is NetworkManager running?" in lines[0], lines


def test_dep8_cli_test_passes_on_the_installed_package(guest):
    assert guest["dep8.cli"] == "0", guest.log("dep8-cli.txt")


def test_dep8_ifupdown_bond_test_passes_on_the_installed_package(guest):
    """The breaks-testbed DEP-8 test, run as autopkgtest would on a machine testbed: the guest."""
    assert guest["dep8.ifupdown_bond"] == "0", guest.log("dep8-ifupdown-bond.txt")
    assert "ifupdown-bond: ok" in guest.log("dep8-ifupdown-bond.txt")


def test_ifupdown_bond_through_installed_hook(guest):
    assert guest["ifup.rc"] == "0"
    assert guest["ifup.mac"] == "02:54:00:c8:76:09", guest.log("ifup.ifup")


def test_nm_bond_through_installed_dispatcher(guest):
    """NetworkManager 1.42 runs the script from /usr/lib (nothing in /etc): only the script writes
    bondhook's user data into a profile made after the install."""
    assert guest["nm.script_in_etc"] == "no"
    assert guest["nm.mac"] == "02:54:00:c8:76:0a"
    assert guest["nm.keyfile_owned"] == "02:54:00:c8:76:0a"
    # what the up/down script reads to put the MAC back (issue 22): this bond's ifindex and MAC
    assert guest["nm.events_script"] == "yes"
    assert guest["nm.record"] == f"{guest['nm.ifindex']} 02:54:00:c8:76:0a"


def test_purge_removes_every_file_and_leaves_config(guest):
    assert guest["purge.rc"] == "0", guest.log("purge.txt")
    assert guest["purge.left"] == "0", guest.log()
    assert guest["purge.module_dir"] == "gone"
    assert guest["purge.dpkg"] in ("not-installed", "")
    assert guest["purge.interfaces_untouched"] == "yes"
    assert guest["purge.profile_untouched"] == "yes"


def test_ifup_still_works_after_purge(guest):
    assert guest["after.rc"] == "0" and guest["after.bondhook_lines"] == "0"
    assert guest["after.mac"] == A  # ifenslave's .link: back to the kernel's behaviour


def test_the_installed_hook_ignores_the_callers_directory(guest):
    assert guest["trojan.pwned"] == "no" and guest["trojan.mac"] == "02:54:00:c8:76:09"


def test_the_postinst_in_a_chroot_leaves_networkmanager_alone(guest):
    assert guest["chroot.rc"] == "0" and guest["chroot.untouched"] == "yes"
    assert "in a chroot: NetworkManager profiles not written" in guest.log("postinst-chroot.txt")


def test_apt_remove_releases_what_bondhook_wrote_and_the_hooks_go_quiet(guest):
    assert guest["remove.rc"] == "0", guest.log("remove.txt")
    assert (guest["remove.bond2_mac"], guest["remove.bond2_owned"], guest["remove.bond2_source"]) == ("", "", "")
    assert guest["remove.bond6_untouched"] == "yes"  # a person's cloned MAC
    assert guest["remove.hook_left"] == "yes"  # the ifupdown hook: a conffile, until purge
    assert guest["remove.nm_script_left"] == "no"  # NetworkManager's: in /usr/lib, goes with the package
    assert (guest["remove.nm_events_left"], guest["remove.run_records"]) == ("no", "no")
    assert guest["removed.rc"] == "0" and guest["removed.bondhook_lines"] == "0" and guest["removed.tracebacks"] == "0"
    assert guest["removed.mac"] == A


def test_the_networkd_unit_is_enabled_valid_and_works_as_installed(guest):
    """Enabled by the package (wanted by systemd-networkd.service), accepted by systemd-analyze,
    and its ExecStart, run as systemd runs it, writes a bond's drop-in; removal takes the drop-in
    out and purge the enablement."""
    assert guest["unit.wants"] == "/usr/lib/systemd/system/bondhook-networkd.service", guest["unit.wants"]
    assert guest["unit.verify_rc"] == "0", guest.log("unit-verify.txt")
    assert guest["unit.run_rc"] == "0" and guest["unit.dropin"] == "02:54:00:c8:76:09", guest.log("unit-run.txt")
    assert guest["remove.networkd_dropin"] == ""
    assert guest["purge.unit_wants"] == "gone"


def test_the_upgrade_from_the_previous_revision_leaves_no_stale_module(guest):
    """The previous revision's modules (another layout) are gone, every module is compiled, and
    both hooks' entry points work."""
    assert (guest["upgrade.previous_rc"], guest["upgrade.rc"]) == ("0", "0"), guest.log("upgrade.txt")
    assert guest["upgrade.from"] == PREVIOUS_VERSION
    assert guest["upgrade.to"] != PREVIOUS_VERSION
    assert guest["upgrade.stale"] == "0", guest.log("upgrade-stale.txt")
    assert guest["upgrade.compiled"] == guest["upgrade.modules"]
    assert guest["upgrade.version"] == f"bondhook {guest['upgrade.to'].rsplit('-', 1)[0]}"
    assert guest["upgrade.dispatcher_import"] == "0", guest.log("upgrade-dispatcher.txt")
    assert guest["upgrade.events_script"] == "yes"  # new in 0.6.0-1
    assert guest["upgraded.rc"] == "0" and guest["upgraded.mac"] == "02:54:00:c8:76:09", guest.log("upgraded.ifup")


# Last in the boot: ifupdown2 in place of ifupdown, and the package installed there with apt.
def test_apt_installs_the_package_where_ifupdown2_replaced_ifupdown(guest):
    assert guest["ifupdown2.dpkg_rc"] == "0", guest.log("ifupdown2.dpkg")
    assert guest["if2-install.rc"] == "0", guest.log("if2-install.txt")
    assert guest["if2-install.policy"] == "bondhook: /var/lib/ifupdown2/policy.d/bondhook.json"


@pytest.mark.parametrize("phase", ["if2-up", "if2-boot"])
def test_under_ifupdown2_the_installed_hook_gives_the_derived_mac_in_one_change(guest, phase):
    check.one_change_before_up(guest, phase)


def test_under_ifupdown2_reloads_change_nothing_and_a_bond_not_opted_in_is_left_alone(guest):
    check.reloads_change_nothing(guest, "if2")
    check.bond_not_opted_in_left_alone(guest, "if2")


def test_under_ifupdown2_the_installed_status_gives_the_bridge_fix_and_it_works(guest):
    check.status_names_it_and_the_bridge_fix_works(guest, "if2")
