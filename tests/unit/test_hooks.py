"""The hook scripts as ifupdown and NetworkManager run them: real `sh`, real processes, from a
hostile working directory with hostile input. Nothing here changes the network: every case stops
before anything is asked of the kernel (no bond exists on this host, and no port is named).

The scripts start /usr/bin/python3, which has no bondhook on this host; `installed` copies a
script with this test's interpreter (bondhook installed, editable) in its place and the
/usr/bin/bondhook guard pointed at a file the test controls. Everything else is the script as
shipped; the lab runs the shipped scripts unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bondhook.ifupdown.stanza import STANZA_KEYS
from bondhook.rules.options import env_name

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[2]
IFUPDOWN_HOOK = REPO / "if-up.d" / "bondhook"
NM_HOOK = REPO / "NetworkManager" / "dispatcher.d" / "pre-up.d" / "90-bondhook"
NM_EVENTS_HOOK = REPO / "NetworkManager" / "dispatcher.d" / "90-bondhook"
HOSTILE = ("$(touch PWNED)", "`touch PWNED`", "; touch PWNED", "a\nIF_BOND_DERIVE_MAC=yes", "-x", "*", "'\"\\")


def installed(script: Path, tmp: Path, program_exists: bool = True) -> Path:
    text = script.read_text()
    assert text.count("/usr/bin/python3") == 1 and text.count("/usr/bin/bondhook") == 1
    program = tmp / "usr-bin-bondhook"
    if program_exists:
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    copy = tmp / f"installed-{script.name}"
    copy.write_text(text.replace("/usr/bin/python3", sys.executable).replace("/usr/bin/bondhook", str(program)))
    return copy


def run_sh(script: Path, env: dict, cwd: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    full = {b"PATH": os.environb[b"PATH"], **{os.fsencode(k): os.fsencode(v) for k, v in env.items()}}
    return subprocess.run(["sh", str(script), *args], env=full, capture_output=True, cwd=cwd, check=False, timeout=60)


def trojan(tmp: Path) -> Path:
    """A working directory (and PYTHONPATH) holding a package named bondhook that writes PWNED."""
    evil = tmp / "evil"
    (evil / "bondhook").mkdir(parents=True)
    payload = f"open({str(tmp / 'PWNED')!r}, 'w').close()\n"
    for module in ("__init__", "ifupdown/__init__", "ifupdown/__main__", "nm/__init__", "nm/dispatcher_io"):
        (evil / "bondhook" / f"{module}.py").parent.mkdir(exist_ok=True)
        (evil / "bondhook" / f"{module}.py").write_text(payload)
    return evil


def test_working_directory_and_pythonpath_cannot_inject_code(tmp_path):
    """Issue 9, item 1: `sudo ifup bond0` typed in a user-writable directory."""
    evil = trojan(tmp_path)
    hook = installed(IFUPDOWN_HOOK, tmp_path)
    env = {"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "ADDRFAM": "inet", "PYTHONPATH": str(evil)}
    env |= {"PYTHONSTARTUP": str(evil / "bondhook" / "__init__.py"), "PYTHONHOME": str(evil)}
    result = run_sh(hook, env, evil)
    assert result.returncode == 0
    assert not (tmp_path / "PWNED").exists()
    # the real bondhook ran, found no port (this host has no bond stanza) and said so in one line
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("bondhook: bond0: no port with a usable permanent MAC")

    nm = installed(NM_HOOK, tmp_path)
    assert run_sh(nm, {"PYTHONPATH": str(evil)}, evil, "bond0", "pre-up").returncode == 0
    assert not (tmp_path / "PWNED").exists()


def test_the_hook_hands_python_exactly_the_stanza_keys_bondhook_reads():
    text = IFUPDOWN_HOOK.read_text()
    handed = {word.split("=")[0] for word in text.split() if word.startswith("IF_") and "=" in word}
    assert handed == {env_name(key) for key in STANZA_KEYS}


@pytest.mark.parametrize("value", ["", "no", "No", "NO", "nO"])
def test_ifupdown_hook_starts_no_python_for_stanzas_that_do_not_opt_in(tmp_path, value):
    trace = subprocess.run(
        ["sh", "-x", str(installed(IFUPDOWN_HOOK, tmp_path))],
        env={"IFACE": "eth0", "IF_BOND_DERIVE_MAC": value, "ADDRFAM": "inet"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert trace.returncode == 0 and sys.executable not in trace.stderr


def test_ifupdown_hook_skips_meta_phase(tmp_path):
    trace = subprocess.run(
        ["sh", "-x", str(installed(IFUPDOWN_HOOK, tmp_path))],
        env={"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "ADDRFAM": "meta"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert trace.returncode == 0 and sys.executable not in trace.stderr


@pytest.mark.parametrize(
    ("script", "action"),
    [(IFUPDOWN_HOOK, "pre-up"), (NM_HOOK, "pre-up"), (NM_EVENTS_HOOK, "down")],
    ids=["ifupdown", "networkmanager", "networkmanager-events"],
)
def test_after_apt_remove_the_hooks_exit_0_silently(tmp_path, script, action):
    """The hooks are conffiles and stay until purge; the program they run does not."""
    hook = installed(script, tmp_path, program_exists=False)
    result = run_sh(hook, {"IFACE": "bond0", "IF_BOND_DERIVE_MAC": "yes", "ADDRFAM": "inet"}, tmp_path, "bond0", action)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def events_hook(tmp: Path, records: dict[str, str | None]) -> Path:
    """The `up`/`down` script reading records and sysfs in `tmp`, with a python3 that only
    writes down its argv: RECORD name -> the bond's addr_assign_type (None: the bond is gone)."""
    hook = installed(NM_EVENTS_HOOK, tmp)
    python = tmp / "python3"
    python.write_text(f'#!/bin/sh\nprintf "%s\\0" "$@" >{tmp / "started"}\n')
    python.chmod(0o755)
    text = hook.read_text().replace(sys.executable, str(python))
    text = text.replace("/run/bondhook/nm", str(tmp / "nm")).replace("/sys/class/net", str(tmp / "net"))
    hook.write_text(text)
    (tmp / "nm").mkdir()
    for bond, assigned in records.items():
        (tmp / "nm" / bond).write_text("7 02:54:00:c8:76:09\n")
        if assigned is not None:
            (tmp / "net" / bond).mkdir(parents=True)
            (tmp / "net" / bond / "addr_assign_type").write_text(f"{assigned}\n")
    return hook


@pytest.mark.parametrize(
    ("records", "action", "starts"),
    [
        ({}, "down", False),
        ({"bond0": "3"}, "down", False),  # set by bondhook or NetworkManager: nothing undid it
        ({"bond0": None}, "up", False),  # that bond is gone
        ({"bond0": "3"}, "dhcp4-change", False),
        ({"bond0": "2"}, "connectivity-change", False),
        ({"bond0": "2"}, "down", True),  # a port gave it its MAC
        ({"bond0": "3", "bond1": "1"}, "up", True),  # the kernel's random MAC, after the last port left
    ],
)
def test_nm_events_hook_starts_python_only_for_a_recorded_bond_whose_mac_no_program_set(
    tmp_path, records, action, starts
):
    hook = events_hook(tmp_path, records)
    result = run_sh(hook, {}, tmp_path, "enp0s10", action)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    started = tmp_path / "started"
    assert started.exists() == starts
    if starts:
        assert started.read_text().split("\0")[-3:] == ["enp0s10", action, ""]


def test_nm_events_hook_hands_hostile_arguments_to_python_as_argv_only(tmp_path):
    hook = events_hook(tmp_path, {"bond0": "1"})
    for iface in HOSTILE:
        result = run_sh(hook, {"CONNECTION_ID": "'; touch PWNED"}, tmp_path, iface, "down")
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
        assert (tmp_path / "started").read_text().split("\0")[-3:] == [iface, "down", ""]
    assert not (tmp_path / "PWNED").exists()


def test_nm_hook_ignores_other_actions_and_non_bonds_without_python(tmp_path):
    hook = installed(NM_HOOK, tmp_path)
    bonds = Path("/sys/class/net/bonding_masters")
    names = bonds.read_text().split() if bonds.exists() else []
    for args in (("bond0", "up"), ("eth0", "pre-up")):
        trace = subprocess.run(["sh", "-x", str(hook), *args], capture_output=True, text=True, check=False)
        assert trace.returncode == 0 and trace.stdout == ""
        assert (sys.executable in trace.stderr) == (args[1] == "pre-up" and args[0] in names)


text_or_bytes = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.sampled_from("$`;|&<>(){}*?'\"\\\n\t -=ab0é²"), max_size=20),
    st.binary(max_size=12).filter(lambda b: b"\0" not in b),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(text_or_bytes, min_size=len(STANZA_KEYS) + 1, max_size=len(STANZA_KEYS) + 1))
def test_ifupdown_hook_with_hostile_input_in_every_variable(tmp_path, values):
    """Metacharacters, newlines and non-UTF-8 bytes in IFACE and every IF_* variable: the hook
    exits 0, nothing is executed, and bondhook says at most one line, never a traceback."""
    (tmp_path / "PWNED").unlink(missing_ok=True)
    hook = installed(IFUPDOWN_HOOK, tmp_path)
    env = {"ADDRFAM": "inet", "IFACE": values[0]}
    env |= {env_name(key): value for key, value in zip(STANZA_KEYS, values[1:], strict=True)}
    env = {k: v for k, v in env.items() if v}
    if env_name("bond-master") in env:
        del env[env_name("bond-master")]  # a port's stanza: nothing to do at all, which hides the rest
    env[env_name("bond-slaves")] = "none"  # never a real port: nothing may change on this host
    env.pop(env_name("slaves"), None)
    result = run_sh(hook, env, tmp_path)
    assert result.returncode == 0 and result.stdout == b""
    assert not (tmp_path / "PWNED").exists()
    lines = result.stderr.decode(errors="replace").splitlines()
    assert len(lines) <= 1 and all(line.startswith("bondhook: ") for line in lines), lines


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(iface=text_or_bytes, uuid=text_or_bytes, filename=text_or_bytes, action=st.sampled_from(["pre-up", "up", ""]))
def test_nm_hook_with_hostile_input(tmp_path, iface, uuid, filename, action):
    (tmp_path / "PWNED").unlink(missing_ok=True)
    hook = installed(NM_HOOK, tmp_path)
    env = {k: v for k, v in (("CONNECTION_UUID", uuid), ("CONNECTION_FILENAME", filename)) if v}
    result = run_sh(hook, env, tmp_path, os.fsencode(iface) if isinstance(iface, str) else iface, action)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert not (tmp_path / "PWNED").exists()


def run_dispatcher(args, env, cwd):
    """The dispatcher's Python entry as the script starts it: isolated, from /, env handed over."""
    full = {b"PATH": b"/usr/bin:/bin", **{os.fsencode(k): os.fsencode(v) for k, v in env.items()}}
    argv = [sys.executable, "-I", "-m", "bondhook.nm.dispatcher_io", *args]
    return subprocess.run(argv, env=full, capture_output=True, cwd=cwd, check=False, timeout=60)


@pytest.mark.parametrize(
    ("args", "uuid"),
    [
        (["bond0;reboot", "pre-up"], "11111111-1111-1111-1111-111111111111"),
        (["bond0", "pre-up"], "$(reboot)"),
        (["bond0", "pre-up"], "11111111-1111-1111-1111-111111111111\n"),
        (["../../x", "pre-up"], "11111111-1111-1111-1111-111111111111"),
        ([b"bond\xff", "pre-up"], "11111111-1111-1111-1111-111111111111"),
    ],
)
def test_dispatcher_refuses_what_networkmanager_never_passes_in_one_line(tmp_path, args, uuid):
    result = run_dispatcher(args, {"CONNECTION_UUID": uuid, "CONNECTION_ID": "'; rm -rf /"}, tmp_path)
    assert result.returncode == 0
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("bondhook: interface ") and line.endswith("not what NetworkManager passes; nothing done")


@pytest.mark.parametrize("action", ["dhcp4-change", "connectivity-change", "pre-down", ""])
def test_dispatcher_is_silent_for_other_actions(tmp_path, action):
    result = run_dispatcher(["bond0", action], {"CONNECTION_UUID": "x"}, tmp_path)
    assert (result.returncode, result.stderr) == (0, b"")


def test_dispatcher_for_a_device_that_is_no_bond_does_nothing(tmp_path):
    result = run_dispatcher(["lo", "pre-up"], {"CONNECTION_UUID": "11111111-1111-1111-1111-111111111111"}, tmp_path)
    assert (result.returncode, result.stderr) == (0, b"")
