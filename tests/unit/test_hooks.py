"""The hook entry points as ifupdown runs them: real processes, no network change (every case
here stops before netlink is asked to change anything)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "if-up.d" / "bondhook"


def run_hook(env, tmp_path, python_path=()):
    paths = [*map(str, python_path), str(REPO / "src")]
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(paths), **env}
    return subprocess.run(
        [sys.executable, "-m", "bondhook.ifupdown"], env=full, capture_output=True, text=True, check=False, cwd=tmp_path
    )


def test_shell_hook_does_not_start_python_for_other_stanzas():
    for value in ("", "no"):
        trace = subprocess.run(
            ["sh", "-x", str(HOOK)],
            env={"IFACE": "eth0", "IF_BOND_DERIVE_MAC": value, "ADDRFAM": "inet"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert trace.returncode == 0 and "python3" not in trace.stderr


def test_shell_hook_skips_meta_phase():
    trace = subprocess.run(
        ["sh", "-x", str(HOOK)],
        env={"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "ADDRFAM": "meta"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert trace.returncode == 0 and "python3" not in trace.stderr


def test_missing_pyroute2_is_one_line_and_exit_0(tmp_path):
    fake = tmp_path / "fake"
    (fake / "pyroute2").mkdir(parents=True)
    (fake / "pyroute2" / "__init__.py").write_text("raise ImportError('simulated: not installed')\n")
    result = run_hook({"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "IF_BOND_SLAVES": "eth0"}, tmp_path, [fake])
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "bondhook: bond0: cannot read the interfaces: pyroute2 is not importable (simulated: not installed); "
        "install python3-pyroute2; MAC left unchanged"
    ]


def test_bad_value_is_one_line_and_exit_0(tmp_path):
    result = run_hook({"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes please"}, tmp_path)
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) == 1 and "bond-derive-mac value 'yes please'" in result.stderr


def test_untrusted_iface_is_ignored(tmp_path):
    result = run_hook({"IFACE": "bond0;reboot", "IF_BOND_DERIVE_MAC": "yes"}, tmp_path)
    assert result.returncode == 0 and result.stderr == ""


NM_HOOK = REPO / "NetworkManager" / "dispatcher.d" / "pre-up.d" / "90-bondhook"


def run_nm(args, env, tmp_path):
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO / "src"), **env}
    return subprocess.run(
        [sys.executable, "-m", "bondhook.nm", *args],
        env=full,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def test_dispatcher_script_ignores_other_actions():
    trace = subprocess.run(["sh", "-x", str(NM_HOOK), "bond0", "up"], capture_output=True, text=True, check=False)
    assert trace.returncode == 0 and "python3" not in trace.stderr


def test_dispatcher_script_starts_no_python_for_a_device_that_is_not_a_bond():
    bonds = Path("/sys/class/net/bonding_masters")
    names = bonds.read_text().split() if bonds.exists() else []
    trace = subprocess.run(["sh", "-x", str(NM_HOOK), "eth0", "pre-up"], capture_output=True, text=True, check=False)
    assert trace.returncode == 0 and trace.stdout == "" and ("python3" in trace.stderr) == ("eth0" in names)


def test_dispatcher_ignores_untrusted_arguments_silently(tmp_path):
    uuid = "11111111-1111-1111-1111-111111111111"
    for args, conn in (
        (["bond0;reboot", "pre-up"], uuid),
        (["bond0", "pre-up"], "$(reboot)"),
        (["../../x", "pre-up"], uuid),
        (["bond0", "up"], uuid),
    ):
        result = run_nm(args, {"CONNECTION_UUID": conn, "CONNECTION_ID": "'; rm -rf /"}, tmp_path)
        assert result.returncode == 0 and result.stderr == ""


def test_dispatcher_without_system_bus_is_one_line_and_exit_0(tmp_path):
    env = {
        "CONNECTION_UUID": "11111111-1111-1111-1111-111111111111",
        "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent",
    }
    result = run_nm(["eth0", "pre-up"], env, tmp_path)
    assert result.returncode == 0
    [line] = result.stderr.splitlines()
    assert line.startswith("bondhook: eth0: system D-Bus unavailable") and line.endswith("MAC left unchanged")
