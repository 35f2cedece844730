"""NetworkManager 1.42 + bondhook's dispatcher script on a real system D-Bus (two boots)."""

import json

import pytest

from .vm import boot, require_lab

pytestmark = pytest.mark.lab

A, B, C, D = "52:54:00:c8:76:09", "52:54:00:c8:76:0a", "52:54:00:c8:76:0b", "52:54:00:c8:76:0c"
A_REPLACED = "52:54:00:c8:76:19"


@pytest.fixture(scope="module")
def first(lab_out):
    require_lab()
    run = boot("networkmanager.sh", [A, B, C, D], lab_out / "nm-first", {"LAB_BOOT": "first", "NIC_A": A})
    assert run["done"] == "1"
    return run


@pytest.fixture(scope="module")
def replaced(first, lab_out):
    env = {"LAB_BOOT": "replaced", "NIC_A": A_REPLACED, "LAB_KEYFILES": str(first.out / "keyfiles")}
    run = boot("networkmanager.sh", [A_REPLACED, B, C, D], lab_out / "nm-replaced", env)
    assert run["done"] == "1"
    return run


def test_first_activation_after_install_carries_the_derived_mac(first):
    assert first["bond0.up_rc"] == "0"
    assert first["bond0.first"] == "02:54:00:c8:76:09", first.log("nm.log")[-3000:]
    assert len(first["bond0.slaves"].split()) == 2


def test_keyfile_holds_value_and_marker(first):
    assert first["bond0.keyfile_mac"].lower() == "02:54:00:c8:76:09"
    assert first["bond0.keyfile_owned"] == "02:54:00:c8:76:09"
    assert first["bond0.keyfile_source"] == f"{first['nics'].split(',')[0]}={A}"


def test_hand_set_cloned_mac_is_untouched(first):
    assert first["bond1.first"] == "02:aa:bb:cc:dd:ee"
    assert first["bond1.keyfile_mac"].lower() == "02:aa:bb:cc:dd:ee" and first["bond1.keyfile_owned"] == ""


def test_opt_out(first):
    assert first["bond2.keyfile_mac"] == ""
    assert first["bond2.first"] != "02:54:00:c8:76:0c"


def test_restart_of_nm_keeps_it(first):
    assert first["bond0.restart"] == "02:54:00:c8:76:09"


def test_status_shows_profile_owner(first):
    bonds = {b["bond"]: b for b in json.loads(first.log("status.json"))}
    assert bonds["bond0"]["networkmanager"]["owner"] == "bondhook" and bonds["bond0"]["matches"]
    assert bonds["bond1"]["networkmanager"]["owner"] == "a person"
    assert bonds["bond2"]["networkmanager"]["owner"] == "none"


def test_nm_sync_dry_run_has_nothing_left_to_do(first):
    assert "dry run, not done" not in first.log("nm-sync-dry.txt")


def test_replaced_source_nic_yields_new_derived_mac(replaced):
    assert replaced["bond0.replaced"] == "02:54:00:c8:76:19"
    assert replaced["bond0.keyfile_mac"].lower() == "02:54:00:c8:76:19"
    assert replaced["bond0.keyfile_source"].endswith(f"={A_REPLACED}")
    assert "source changed" in replaced.log("syslog.log")
