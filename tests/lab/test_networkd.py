"""Two cloned hosts (same machine-id, NICs of their own), booted one after the other: first the
field report on the real stack, udev's persistent regime (no ifenslave .link) with ifupdown's bonds,
reproduced without bondhook and fixed with it; then systemd-networkd and netplan on the real
daemons, bonds networkd creates, without and with bondhook's unit command."""

import importlib.metadata
import json
from pathlib import Path

import pyroute2
import pytest

from .vm import boot_each, built

pytestmark = pytest.mark.lab

MACHINE_ID = "5eed0000c10ed0000000000000000043"
CLONES = {
    "clone1": ("52:54:00:c8:76:09", "52:54:00:c8:76:0a", "52:54:00:c8:76:0b", "52:54:00:c8:76:0c", "52:54:00:c8:76:0d"),
    "clone2": ("52:54:00:3e:11:01", "52:54:00:3e:11:02", "52:54:00:3e:11:03", "52:54:00:3e:11:04", "52:54:00:3e:11:05"),
}
ROLES = {"clone1": "netplan-nm", "clone2": "edges"}
BONDHOOK_LINE = "bondhook: "


def derived(mac: str) -> str:
    return "02" + mac[2:]


# The udev regime's hooks create bonds with pyroute2: clone1 with Debian's 0.7.2, clone2 with the
# newest from PyPI (this interpreter's).
PYROUTE2 = {"clone1": {}, "clone2": {"PYROUTE2_PYPI": str(Path(pyroute2.__file__).parent)}}
SEQUENCES = ("seq1", "seq2", "seq3", "seq4")


@pytest.fixture(scope="module")
def clones(lab_out, release):
    """Both clones boot, one after the other, and run the udev regime and networkd's common part;
    then clone1 brings netplan's bond up with the NetworkManager renderer and clone2 runs the edge
    cases."""
    guests = {
        f"networkd-{name}": (
            nics,
            {
                **{f"NIC_{letter}": mac for letter, mac in zip("ABCDE", nics, strict=True)},
                "CLONE_MACHINE_ID": MACHINE_ID,
                "LAB_ROLE": ROLES[name],
                "LAB_DEB": built("bondhook_*_all.deb", "make deb"),
                **PYROUTE2[name],
            },
        )
        for name, nics in CLONES.items()
    }
    runs = boot_each("networkd.sh", guests, lab_out / release.name, release)
    results = {name: runs[f"networkd-{name}"] for name in CLONES}
    for run in results.values():
        assert run["done"] == "1", run.log()[-3000:]
    return results


# --- the field report's udev regime, ifupdown's bonds (udev_persistent.sh) ----------------------


def test_udev_regime_clones_share_machine_id_and_collide_without_bondhook(clones):
    one, two = clones["clone1"], clones["clone2"]
    assert one["machine_id"] == two["machine_id"] == MACHINE_ID
    assert one["udev.without.rc"] == "0" and two["udev.without.rc"] == "0"
    assert one["udev.without.mac"] == two["udev.without.mac"]  # the report: one MAC on two hosts
    assert one["udev.without.mac"] not in CLONES["clone1"] and one["udev.without.assign"] == "3"


def test_udev_regime_with_bondhook_each_clone_derives_from_its_own_first_port(clones):
    for name, nics in CLONES.items():
        assert clones[name]["udev.with.rc"] == "0"
        assert clones[name]["udev.with.mac"] == derived(nics[0])
        assert clones[name]["udev.created.mac"] == derived(nics[0])
        assert clones[name]["udev.created.assign"] == "3"
        assert clones[name]["udev.created.retriggered"] == derived(nics[0])  # udev's persistent policy leaves it


def test_sequence_4_reproduces_the_shared_hashed_mac(clones):
    one, two = clones["clone1"], clones["clone2"]
    assert one["udev.seq4.before"] == two["udev.seq4.before"]
    assert one["udev.seq4.before"] not in CLONES["clone1"]


@pytest.mark.parametrize("seq", SEQUENCES)
def test_every_sequence_of_the_report_ends_on_the_derived_mac(clones, seq):
    for name, nics in CLONES.items():
        assert clones[name][f"udev.{seq}.apply_rc"] == "0", clones[name].log("sequences.txt")
        assert clones[name][f"udev.{seq}.after"] == derived(nics[0])


def test_hooks_created_bonds_with_both_pyroute2_generations(clones):
    assert clones["clone1"]["udev.pyroute2"] == "/usr/lib/python3/dist-packages/pyroute2/__init__.py"
    assert clones["clone2"]["udev.pyroute2"] == "/opt/pyroute2-pypi/pyroute2/__init__.py"
    assert importlib.metadata.version("pyroute2") != "0.7.2"  # what clone2 ran: this interpreter's


def test_udev_applied_its_hashed_mac_before_enslavement(clones):
    """The race the field report is about, forced: each step waits for udev's outcome."""
    for name in CLONES:
        assert clones[name]["udev.without.udev_assign"] == "3" and clones[name]["udev.seq4.udev_assign"] == "3"


def test_status_in_the_persistent_regime(clones):
    status = {b["bond"]: b for b in json.loads(clones["clone2"].log("udev-status.json"))}
    assert status["bond0"]["matches"] and status["bond0"]["origin"].startswith("derived by bondhook")


# --- systemd-networkd and netplan ---------------------------------------------------------------


def test_netplan_renders_a_netdev_for_the_bond(clones):
    assert clones["clone1"]["netplan.netdev"] == "/run/systemd/network/10-netplan-bond2.netdev"


def test_without_bondhook_clones_collide(clones):
    """networkd hashes the machine-id and the name: one MAC on two hosts, for .netdev and netplan."""
    one, two = clones["clone1"], clones["clone2"]
    for bond in ("bond0", "bond2"):
        assert one[f"without.{bond}"] == two[f"without.{bond}"], bond
        assert not one[f"without.{bond}"].startswith("52:54:00"), bond


def test_with_bondhook_each_clone_carries_its_derived_mac(clones):
    for name, nics in CLONES.items():
        run = clones[name]
        assert run["with.rc"] == "0", run.log("with.txt")
        assert run["with.bond0"] == derived(nics[0]), run.log("networkd.log")[-2000:]
        assert run["with.bond2"] == derived(nics[3])
        assert len(run["with.bond0_slaves"].split()) == 2
    assert clones["clone1"]["with.bond0"] != clones["clone2"]["with.bond0"]


def test_the_drop_in_carries_value_marker_and_source(clones):
    run, nics = clones["clone1"], CLONES["clone1"]
    a = run["nics"].split(",")[0]
    text = run["dropin.bond0"].split("|")
    assert f"MACAddress={derived(nics[0])}" in text and f"MAC={derived(nics[0])}" in text
    assert f"Source={a}={nics[0]}" in text and "[X-Bondhook]" in text
    assert run["dropin.bond2"] == derived(nics[3])
    assert run.log("with.txt").count(BONDHOOK_LINE) == 2  # one line per drop-in written


def test_a_persons_macaddress_is_left_alone(clones):
    run = clones["clone2"]
    assert run["with.bond1"] == "02:aa:bb:cc:dd:01"
    assert "No such file" in run["dropin.bond1"]
    assert run["person.rc"] == "0" and run["person.lines"] == "1", run.log("person.txt")
    assert run["person.dropin"] == "50-mine.conf"  # bondhook's own drop-in removed
    assert run["person.bond0"] == "02:aa:bb:cc:dd:00"


def test_opt_out_removes_bondhooks_drop_in(clones):
    run = clones["clone2"]
    assert run["back.rc"] == "0" and run["back.lines"] == "1", run.log("back.txt")  # written again
    assert run["optout.rc"] == "0" and run["optout.lines"] == "1", run.log("optout.txt")
    assert run["optout.dropin"] == "50-mine.conf"
    assert run["back_again.lines"] == "1"


def test_a_steady_boot_changes_nothing_and_says_nothing(clones):
    for name, nics in CLONES.items():
        run = clones[name]
        assert (run["steady.rc"], run["steady.lines"]) == ("0", "0"), run.log("steady.txt")
        assert run["steady.bond0"] == derived(nics[0])
    print({name: run["steady.ms"] for name, run in clones.items()})


def test_a_file_first_on_a_key_bondhook_cannot_evaluate_is_one_line_and_changes_nothing(clones):
    run = clones["clone2"]
    # One line per bond whose ports the file could take: bond0 and netplan's bond2; not bond1, whose
    # MAC a person set (which port networkd enslaves does not change it).
    assert run["unsure.rc"] == "1" and run["unsure.lines"] == "2", run.log("unsure.txt")
    text = run.log("unsure.txt")
    for bond in ("bond0", "bond2"):
        assert f"{bond}: /etc/systemd/network/05-virtio.network may take" in text, text
    assert "bond1" not in text
    assert "matches on Driver=" in text
    assert run["unsure.unchanged"] == "yes"


def test_a_missing_nic_delays_the_unit_by_its_bound_only(clones):
    """The unit waits at most 5 s for the NICs its bonds' ports name (ghost0 never comes); the
    run's total (Python's start included, noisy under TCG) is printed for the record."""
    run = clones["clone2"]
    assert run["missing.rc"] == "1", run.log("missing.txt")
    assert "bond3: no port with a usable permanent MAC (port ghost0 is absent)" in run.log("missing.txt")
    assert 5.0 <= float(run["missing.waited"]) < 6.0, run.log("missing.txt")
    print(f"missing NIC: {run['missing.ms']} ms in all, steady boot {run['steady.ms']} ms")


def test_a_replaced_nic_gives_the_new_derived_mac_and_one_line(clones):
    run, nics = clones["clone2"], CLONES["clone2"]
    assert run["replaced.rc"] == "0" and run["replaced.lines"] == "1", run.log("replaced.txt")
    assert "source changed" in run.log("replaced.txt")
    assert run["replaced.bond0"] == derived(nics[4])


def test_status_shows_networkd_bonds_and_their_owner(clones):
    run, nics = clones["clone1"], CLONES["clone1"]
    rows = {row["bond"]: row for row in json.loads(run.log("status.json"))}
    assert rows["bond0"]["networkd"]["owner"] == "bondhook" and rows["bond0"]["matches"]
    assert rows["bond1"]["networkd"]["owner"] == "a person" and rows["bond1"]["held_by"]
    assert rows["bond2"]["networkd"]["netdev"] == "/run/systemd/network/10-netplan-bond2.netdev"
    assert rows["bond2"]["mac"] == derived(nics[3])
    assert "(owner: bondhook)" in run.log("status.txt"), run.log("status.txt")


def test_release_removes_only_bondhooks_drop_ins(clones):
    run = clones["clone2"]
    assert run["release.rc"] == "0"
    assert run["release.left"].split() == ["/etc/systemd/network/25-bond0.netdev.d/50-mine.conf"]


def test_netplan_with_the_networkmanager_renderer_gets_the_derived_mac(clones):
    """netplan renders NetworkManager profiles into /run; bondhook's NetworkManager path gives the
    bond its MAC and writes the profile where it lives, leaving no copy in /etc that would
    outlive netplan's configuration."""
    run, nics = clones["clone1"], CLONES["clone1"]
    assert "netplan-bond2.nmconnection" in run["nm_netplan.profiles"]
    assert run["nm_netplan.bond2"] == derived(nics[3]), run.log("nm.log")[-3000:]
    assert run["nm_netplan.run_mac"].lower() == derived(nics[3])
    assert run["nm_netplan.etc"] == ""


def test_a_bridge_over_the_bond_collides_until_status_fix_gives_it_the_bonds_mac(clones):
    """networkd hashes the machine-id into a bridge's MAC as into a bond's; bondhook leaves the
    bridge alone, `status` names the fix, and networkd applies it."""
    one, two = clones["clone1"], clones["clone2"]
    assert one["without.br0"] == two["without.br0"] and one["with.br0"] == two["with.br0"]
    for name, nics in CLONES.items():
        run = clones[name]
        rows = {row["bond"]: row for row in json.loads(run.log("status.json"))}
        [bridge] = rows["bond0"]["uppers"]
        assert (bridge["name"], bridge["kind"], bridge["traceable"]) == ("br0", "bridge", False)
        netdev = "/etc/systemd/network/25-br0.netdev"
        assert run["bridge.fix"] == f"set MACAddress={derived(nics[0])} in [NetDev] of {netdev}"
        assert run["bridge_fixed.br0"] == run["bridge_fixed.bond0"] == derived(nics[0])
        fixed = {row["bond"]: row for row in json.loads(run.log("status-bridge-fixed.json"))}
        assert [upper["traceable"] for upper in fixed["bond0"]["uppers"]] == [True]


def _shown(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


def test_a_systemd_boot_gives_the_bonds_their_derived_macs_and_a_first_boots_netplan_bond_too(clones):
    """systemd as PID 1 (of a PID namespace), the .deb installed with dpkg and its unit enabled by
    its postinst, networkd started by systemd; bond2's netplan YAML rendered only by a unit ordered
    before network-pre.target, six seconds into the boot (as cloud-init-local on a first boot)."""
    run, nics = clones["clone1"], CLONES["clone1"]
    why = run.log("boot-unit.txt") + run.log("boot-systemd.txt")[-3000:]
    assert run["boot.dpkg"] == "0", run.log("boot-dpkg.txt")
    assert run["boot.wants"] == "/usr/lib/systemd/system/bondhook-networkd.service"
    assert (run["boot.bond0"], run["boot.bond1"]) == (derived(nics[0]), "02:aa:bb:cc:dd:01"), why
    assert run["boot.bond2"] == run["boot.dropin.bond2"] == derived(nics[3]), why
    cloud, unit, networkd = (
        _shown(run[f"boot.{name}"]) for name in ("lab-cloud-init-local", "bondhook-networkd", "systemd-networkd")
    )
    assert (unit["Result"], unit["ExecMainStatus"]) == ("success", "0"), why
    assert int(cloud["InactiveEnterTimestampMonotonic"]) <= int(unit["InactiveExitTimestampMonotonic"])
    assert int(unit["InactiveEnterTimestampMonotonic"]) <= int(networkd["InactiveExitTimestampMonotonic"])
    print(f"\nsystemd boot: dpkg -i {run['boot.dpkg_s']} s, systemd-analyze security {run['boot.security']}")
    assert float(run["boot.security"]) <= 1.5
