"""A bond that lost the MAC its activation's pre-up left it with (issue 22): the record, the rule
for acting again, and the edge that acts, on a kernel as sysfs_io answers it."""

from __future__ import annotations

import os

import pytest

from bondhook.kernel import sysfs_io
from bondhook.kernel.errors import KernelError
from bondhook.nm import again, again_io, record_io

A, B, DERIVED, RANDOM_MAC = "52:54:00:c8:76:09", "52:54:00:c8:76:0a", "02:54:00:c8:76:09", "3a:e0:ce:ef:2b:72"


@pytest.mark.parametrize(
    ("record", "ifindex", "address", "assigned", "expected"),
    [
        ((7, DERIVED), 7, A, again.STOLEN, DERIVED),
        ((7, DERIVED), 7, RANDOM_MAC, again.RANDOM, DERIVED),
        ((7, DERIVED), 7, DERIVED, "3", None),  # as left
        ((7, DERIVED), 7, "02:aa:bb:cc:dd:ee", "3", None),  # a program set it: its choice
        ((7, DERIVED), 8, A, again.STOLEN, None),  # another bond of the same name
        (None, 7, A, again.STOLEN, None),  # not bondhook's to keep
        ((7, DERIVED), None, None, None, None),  # gone
    ],
)
def test_only_what_the_kernel_chose_by_itself_on_the_same_bond_is_undone(record, ifindex, address, assigned, expected):
    assert again.again(record, ifindex, address, assigned) == expected


def test_the_line_says_what_the_mac_was_and_why():
    stolen = again.line("bond0", A, DERIVED, again.cause(again.STOLEN, "enp0s10"))
    assert stolen == (
        f"bond0: MAC was {A}, not the {DERIVED} its activation's pre-up left it with (port enp0s10 gave it its "
        f"own when it joined the bond with no other port); set {DERIVED} again"
    )
    assert "random" in again.cause(again.RANDOM, None) and "a port" in again.cause(again.STOLEN, None)


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(record_io, "RUN_DIR", str(tmp_path / "run-bondhook"))
    return tmp_path / "run-bondhook"


def test_a_record_is_written_once_read_back_and_forgotten(run_dir):
    assert record_io.recall("bond0") is None
    record_io.remember("bond0", 7, DERIVED)
    assert (run_dir / "nm" / "bond0").read_text() == f"7 {DERIVED}\n"
    written = os.stat(run_dir / "nm" / "bond0").st_ino
    record_io.remember("bond0", 7, DERIVED)
    assert os.stat(run_dir / "nm" / "bond0").st_ino == written  # the same: not written again
    assert record_io.recall("bond0") == (7, DERIVED)
    record_io.forget("bond0")
    record_io.forget("bond0")
    assert record_io.recall("bond0") is None and os.listdir(run_dir / "nm") == []


@pytest.mark.parametrize("where", ["run", "nm", "record"])
def test_nothing_is_written_or_read_through_a_link(run_dir, tmp_path, where):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "bond0").write_text(f"7 {A}\n")
    if where == "run":
        run_dir.symlink_to(elsewhere)
    else:
        (run_dir / "nm").mkdir(parents=True) if where == "record" else run_dir.mkdir()
        link = run_dir / "nm" / "bond0" if where == "record" else run_dir / "nm"
        link.symlink_to(elsewhere / "bond0" if where == "record" else elsewhere)
    with pytest.raises(OSError):
        record_io.recall("bond0")
    with pytest.raises(OSError):
        record_io.remember("bond0", 7, DERIVED)
    assert (elsewhere / "bond0").read_text() == f"7 {A}\n" and os.listdir(elsewhere) == ["bond0"]


@pytest.fixture
def kernel(run_dir, monkeypatch):
    """bond0 (ifindex 7) over enp0s10 and enp0s11, its address and how it got it the test's to set."""
    state = {"bond0": A, "assigned": again.STOLEN, "ifindex": 7}
    monkeypatch.setattr(sysfs_io, "is_bond", lambda name: name == "bond0")
    monkeypatch.setattr(sysfs_io, "ifindex", lambda name: state["ifindex"] if name == "bond0" else None)
    monkeypatch.setattr(sysfs_io, "address", state.get)
    monkeypatch.setattr(sysfs_io, "addr_assign_type", lambda name: state["assigned"])
    monkeypatch.setattr(sysfs_io, "ports", lambda bond: ["enp0s10", "enp0s11"])
    monkeypatch.setattr(sysfs_io, "perm_address", {"enp0s10": A, "enp0s11": B}.get)

    def set_address(name: str, mac: str) -> None:
        state[name], state["assigned"] = mac, "3"

    monkeypatch.setattr(sysfs_io, "set_address", set_address)
    return state


def test_a_bond_that_took_its_ports_mac_gets_the_recorded_one_back_in_one_line(kernel, caplog):
    record_io.remember("bond0", 7, DERIVED)
    again_io.restore_all()
    assert kernel["bond0"] == DERIVED
    assert [r.getMessage() for r in caplog.records] == [again.line("bond0", A, DERIVED, again.cause("2", "enp0s10"))]
    caplog.clear()
    again_io.restore_all()  # the next event: nothing left to do, nothing said
    assert caplog.records == []


def test_a_record_of_an_earlier_bond_is_dropped_and_the_new_bond_left_to_its_pre_up(kernel, caplog, run_dir):
    record_io.remember("bond0", 6, DERIVED)
    again_io.restore_all()
    assert kernel["bond0"] == A and caplog.records == [] and os.listdir(run_dir / "nm") == []


def test_a_refused_change_is_one_line_and_the_next_bond_is_still_seen(kernel, caplog, monkeypatch):
    record_io.remember("bond0", 7, DERIVED)
    record_io.remember("bond1", 9, "02:54:00:c8:76:0b")

    def refuse(name: str, mac: str) -> None:
        raise KernelError("the kernel refused MAC 02:54:00:c8:76:09: Operation not permitted")

    monkeypatch.setattr(sysfs_io, "set_address", refuse)
    seen = []
    monkeypatch.setattr(sysfs_io, "ifindex", lambda name: seen.append(name) or {"bond0": 7}.get(name))
    again_io.restore_all()
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("bond0: could not give it back the MAC its activation's pre-up left it with: the kernel")
    assert line.endswith("; not tried again")
    assert seen == ["bond0"]  # bond1 is gone (no bond of that name): its record is dropped unread
    assert record_io.recall("bond0") is None and record_io.recall("bond1") is None


def test_a_record_bondhook_did_not_write_is_dropped(kernel, caplog, run_dir):
    (run_dir / "nm").mkdir(parents=True)
    (run_dir / "nm" / "bond0").write_text("garbage\n")
    again_io.restore_all()
    assert kernel["bond0"] == A and caplog.records == [] and os.listdir(run_dir / "nm") == []
