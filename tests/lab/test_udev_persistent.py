"""The field report on the real stack: two cloned hosts (same machine-id, their own NICs) in
udev's persistent regime (no ifenslave .link), reproduced without bondhook and fixed with it."""

import importlib.metadata
import json
from pathlib import Path

import pyroute2
import pytest

from .vm import boot_each

pytestmark = pytest.mark.lab

MACHINE_ID = "5eed0000c10ed0000000000000000042"
CLONES = {
    "clone1": ("52:54:00:c8:76:09", "52:54:00:c8:76:0a"),
    "clone2": ("52:54:00:3e:11:01", "52:54:00:3e:11:02"),
}
SEQUENCES = ("seq1", "seq2", "seq3", "seq4")


def derived(mac: str) -> str:
    return "02" + mac[2:]


@pytest.fixture(scope="module")
def clones(lab_out, release):
    """Both clones boot, one after the other. clone1's hooks create bonds with Debian's pyroute2
    0.7.2, clone2's with the newest from PyPI (this interpreter's)."""
    env = {"clone1": {}, "clone2": {"PYROUTE2_PYPI": str(Path(pyroute2.__file__).parent)}}
    guests = {
        name: (nics, {"NIC_A": nics[0], "NIC_B": nics[1], "CLONE_MACHINE_ID": MACHINE_ID, **env[name]})
        for name, nics in CLONES.items()
    }
    results = boot_each("persistent.sh", guests, lab_out / release.name, release)
    for run in results.values():
        assert run["done"] == "1"
    return results


def test_clones_share_machine_id(clones):
    assert clones["clone1"]["machine_id"] == clones["clone2"]["machine_id"] == MACHINE_ID


def test_without_bondhook_clones_collide(clones):
    one, two = clones["clone1"], clones["clone2"]
    assert one["without.rc"] == "0" and two["without.rc"] == "0"
    assert one["without.mac"] == two["without.mac"]  # the report: one MAC on two hosts
    assert one["without.mac"] not in CLONES["clone1"] and one["without.assign"] == "3"


def test_with_bondhook_each_clone_derives_from_its_own_first_port(clones):
    for name, nics in CLONES.items():
        assert clones[name]["with.rc"] == "0"
        assert clones[name]["with.mac"] == derived(nics[0])
        assert clones[name]["created.mac"] == derived(nics[0])
        assert clones[name]["created.assign"] == "3"
        assert clones[name]["created.retriggered"] == derived(nics[0])  # udev's persistent policy leaves it


def test_sequence_4_reproduces_the_shared_hashed_mac(clones):
    one, two = clones["clone1"], clones["clone2"]
    assert one["seq4.before"] == two["seq4.before"]
    assert one["seq4.before"] not in CLONES["clone1"]


@pytest.mark.parametrize("seq", SEQUENCES)
def test_every_sequence_ends_on_the_derived_mac(clones, seq):
    for name, nics in CLONES.items():
        assert clones[name][f"{seq}.apply_rc"] == "0", clones[name].log("sequences.txt")
        assert clones[name][f"{seq}.after"] == derived(nics[0])


def test_hooks_created_bonds_with_both_pyroute2_generations(clones):
    assert clones["clone1"]["pyroute2"] == "/usr/lib/python3/dist-packages/pyroute2/__init__.py"
    assert clones["clone2"]["pyroute2"] == "/opt/pyroute2-pypi/pyroute2/__init__.py"
    assert importlib.metadata.version("pyroute2") != "0.7.2"  # what clone2 ran: this interpreter's


def test_udev_applied_its_hashed_mac_before_enslavement(clones):
    """The race the field report is about, forced: each step waits for udev's outcome."""
    for name in CLONES:
        assert clones[name]["without.udev_assign"] == "3" and clones[name]["seq4.udev_assign"] == "3"


def test_status_in_the_persistent_regime(clones):
    status = {b["bond"]: b for b in json.loads(clones["clone2"].log("status.json"))}
    assert status["bond0"]["matches"] and status["bond0"]["origin"].startswith("derived by bondhook")
