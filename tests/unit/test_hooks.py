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
