"""The dispatcher's steady state: NetworkManager's own files and sysfs answer, no D-Bus, no
library, no log line; everything else goes to the full decision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bondhook.kernel import sysfs_io
from bondhook.nm import dispatcher_io, keyfile_io, record_io

from .nmworlds import Spec, write_keyfiles

BOND_UUID = "e270b33e-d05a-477a-92c2-f2af10494168"
A, B, DERIVED = "52:54:00:c8:76:09", "52:54:00:c8:76:0a", "02:54:00:c8:76:09"
OWNED = {"bondhook.mac": DERIVED, "bondhook.source": f"eth0={A}"}


def world(directory: Path, user: dict[str, str], cloned: str | None) -> Path:
    bond = Spec(BOND_UUID, "bond0", "bond", "bond0", cloned=cloned, user=user)
    ports = [Spec(f"0000000{i}-0000-0000-0000-000000000000", f"p{i}", "802-3-ethernet", n, "bond0") for i, n in
             enumerate(("eth0", "eth1"))]  # fmt: skip
    write_keyfiles(directory, [bond, *ports])
    return directory / f"{BOND_UUID}{keyfile_io.SUFFIX}"


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    """Keyfiles in a directory of the test's, and a kernel (as sysfs_io answers) with bond0 over
    eth0 and eth1; the device's address is the test's to set."""
    monkeypatch.setattr(keyfile_io, "KEYFILE_DIRS", (str(tmp_path / "system-connections"),))
    monkeypatch.setattr(record_io, "RUN_DIR", str(tmp_path / "run-bondhook"))
    monkeypatch.setattr(sysfs_io, "ifindex", {"bond0": 7}.get)
    monkeypatch.setattr(sysfs_io, "is_bond", lambda name: name == "bond0")
    state = {"bond0": DERIVED}
    monkeypatch.setattr(sysfs_io, "perm_address", {"eth0": A, "eth1": B}.get)
    monkeypatch.setattr(sysfs_io, "ports", lambda bond: ["eth0", "eth1"])
    monkeypatch.setattr(sysfs_io, "address", state.get)
    return state


def test_steady_state_is_decided_from_the_files(kernel, tmp_path):
    path = world(tmp_path / "system-connections", OWNED, DERIVED.upper())
    assert dispatcher_io.steady_target(BOND_UUID, "bond0", str(path)) == DERIVED


def test_a_profile_that_needs_writing_goes_to_dbus(kernel, tmp_path):
    path = world(tmp_path / "system-connections", {}, None)
    assert dispatcher_io.steady_target(BOND_UUID, "bond0", str(path)) is None


@pytest.mark.parametrize(
    "case", ["wrong uuid", "outside the keyfile directories", "a file in doubt", "a second copy of the profile"]
)
def test_any_doubt_goes_to_dbus(kernel, tmp_path, case, monkeypatch):
    path = world(tmp_path / "system-connections", OWNED, DERIVED)
    uuid = BOND_UUID
    if case == "wrong uuid":
        uuid = "11111111-1111-1111-1111-111111111111"
    elif case == "outside the keyfile directories":
        path = path.rename(tmp_path / path.name)
    elif case == "a file in doubt":
        (path.parent / f"odd{keyfile_io.SUFFIX}").write_text("[connection]\nid=a\\qb\n")
    else:
        write_keyfiles(tmp_path / "run", [Spec(BOND_UUID, "bond0", "bond", "bond0")])
        monkeypatch.setattr(keyfile_io, "KEYFILE_DIRS", (*keyfile_io.KEYFILE_DIRS, str(tmp_path / "run")))
    assert dispatcher_io.steady_target(uuid, "bond0", str(path)) is None


def test_steady_state_sets_only_the_device_when_nm_did_not(kernel, tmp_path, monkeypatch, capsys):
    """NetworkManager 1.42 brings a bond up through a port profile with the port's MAC."""
    path = world(tmp_path / "system-connections", OWNED, DERIVED)
    kernel["bond0"] = A
    monkeypatch.setattr(sysfs_io, "set_address", lambda name, mac: kernel.__setitem__(name, mac))
    monkeypatch.setattr("sys.argv", ["dispatcher", "bond0", "pre-up"])
    monkeypatch.setenv("CONNECTION_UUID", BOND_UUID)
    monkeypatch.setenv("CONNECTION_FILENAME", str(path))
    assert dispatcher_io.main() == 0
    assert kernel["bond0"] == DERIVED
    assert capsys.readouterr().err == f"bondhook: bond0: device MAC changed from {A} to {DERIVED} for this activation\n"
    assert record_io.recall("bond0") == (7, DERIVED)  # for the events that may undo it


def test_steady_state_records_the_mac_for_the_activation_silently(kernel, tmp_path, monkeypatch, capsys):
    path = world(tmp_path / "system-connections", OWNED, DERIVED)
    monkeypatch.setattr("sys.argv", ["dispatcher", "bond0", "pre-up"])
    monkeypatch.setenv("CONNECTION_UUID", BOND_UUID)
    monkeypatch.setenv("CONNECTION_FILENAME", str(path))
    record_io.remember("bond0", 6, DERIVED)  # an earlier bond0's
    assert dispatcher_io.main() == 0
    assert record_io.recall("bond0") == (7, DERIVED)
    assert capsys.readouterr().err == ""


def test_a_record_that_cannot_be_written_is_one_line(kernel, tmp_path, monkeypatch, capsys):
    """/run/bondhook planted as a link: nothing written through it, and the pre-up says so."""
    path = world(tmp_path / "system-connections", OWNED, DERIVED)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "run-bondhook").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setattr("sys.argv", ["dispatcher", "bond0", "pre-up"])
    monkeypatch.setenv("CONNECTION_UUID", BOND_UUID)
    monkeypatch.setenv("CONNECTION_FILENAME", str(path))
    assert dispatcher_io.main() == 0
    assert list((tmp_path / "elsewhere").iterdir()) == []
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("bondhook: bond0: MAC not recorded in ") and "Not a directory" in line


@pytest.mark.system
def test_steady_state_loads_no_library_and_says_nothing(tmp_path):
    """In a process of its own, as the dispatcher script starts it (isolated)."""
    path = world(tmp_path, OWNED, DERIVED)
    code = f"""
import sys
at_start = set(sys.modules)
from bondhook.nm import dispatcher_io
from bondhook.nm import keyfile_io
from bondhook.kernel import sysfs_io
keyfile_io.KEYFILE_DIRS = ({str(tmp_path)!r},)
from bondhook.nm import record_io
record_io.RUN_DIR = {str(tmp_path / "run-bondhook")!r}
sysfs_io.ifindex = {{"bond0": 7}}.get
sysfs_io.perm_address = {{"eth0": "{A}", "eth1": "{B}"}}.get
sysfs_io.ports = lambda bond: ["eth0", "eth1"]
sysfs_io.address = {{"bond0": "{DERIVED}"}}.get
sys.argv = ["dispatcher", "bond0", "pre-up"]
assert dispatcher_io.main() == 0
heavy = ("dbus_next", "pyroute2", "asyncio", "logging", "dataclasses", "re", "subprocess", "bondhook.nm.dbus_io")
print(" ".join(sorted(m for m in set(sys.modules) - at_start if m.split(".")[0] in heavy or m in heavy)))
"""
    env = {"CONNECTION_UUID": BOND_UUID, "CONNECTION_FILENAME": str(path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-I", "-c", code], env=env, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "\n", "")
