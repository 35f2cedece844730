import json
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from bondhook import cli, deadline, ifupdown, linkfs, netlink, networkd, nm
from bondhook.mac import Mac
from bondhook.nmprofile import profile_from_settings
from bondhook.plan import BondStatus

from .facts import A, bond, facts, nic


def test_derive(capsys):
    assert cli.main(["derive", "52:54:00:C8:76:09"]) == 0
    assert capsys.readouterr().out == "02:54:00:c8:76:09\n"


def test_derive_avoid(capsys):
    assert cli.main(["derive", "52:54:00:c8:76:09", "--avoid", "02:54:00:c8:76:09"]) == 0
    assert capsys.readouterr().out == "06:54:00:c8:76:09\n"


@pytest.mark.parametrize("mac", ["nonsense", "ff:ff:ff:ff:ff:ff"])
def test_derive_bad_input_is_one_line(capsys, mac):
    assert cli.main(["derive", mac]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1


def test_apply_refuses_bad_names(capsys):
    assert cli.main(["apply", "bond0/../x"]) == 1
    assert "not an interface name" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["apply"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_help_lists_the_option_table(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "bond-derive-mac yes | no | <port>" in out and "exit codes" in out


def test_status_text_warns_on_untraceable():
    status = BondStatus("bond2", Mac.parse("e6:a8:2a:99:65:04"), "kernel random", False, (), None, None, False, False)
    lines = cli.format_status(status)
    assert lines[0] == "bond2: e6:a8:2a:99:65:04 (kernel random)"
    assert lines[-1] == "  warning: e6:a8:2a:99:65:04 is not traceable to any port; clones may share it"


@pytest.mark.parametrize(
    ("dropin", "owner", "shown"),
    [
        (None, "none", "unset"),
        ("[NetDev]\nMACAddress=02:aa:bb:cc:dd:ee\n", "a person", "02:aa:bb:cc:dd:ee"),
        (networkd.content(Mac.parse("02:54:00:c8:76:09"), "eth0=52:54:00:c8:76:09"), "bondhook", "02:54:00:c8:76:09"),
    ],
)
def test_status_names_the_networkd_netdev_and_its_owner(dropin, owner, shown):
    main = networkd.Text("/etc/systemd/network/25-bond0.netdev", "[NetDev]\nName=bond0\nKind=bond\n")
    dropins = [networkd.Text(networkd.dropin_path(main.path), dropin)] if dropin else []
    dev = networkd.netdev(main, dropins)
    status = BondStatus("bond0", Mac.parse("02:54:00:c8:76:09"), "derived", True, (), None, None, False, True)
    line = f"  systemd-networkd: {main.path}, MACAddress {shown} (owner: {owner})"
    assert line in cli.format_status(status, None, dev)
    assert cli._status_dict(status, None, dev)["networkd"]["owner"] == owner


# --- status, apply and failures, with the kernel, ifupdown and NetworkManager faked ----------

BOND_PROFILE = profile_from_settings(
    {"connection": {"uuid": "11111111-1111-1111-1111-111111111111", "id": "bond0", "type": "bond",
                    "interface-name": "bond0"},
     "802-3-ethernet": {"assigned-mac-address": "02:AA:BB:CC:DD:EE"}}
)  # fmt: skip
PORT_PROFILE = profile_from_settings(
    {"connection": {"uuid": "22222222-2222-2222-2222-222222222222", "id": "p", "type": "802-3-ethernet",
                    "interface-name": "eth0", "master": "bond0", "slave-type": "bond"}}
)  # fmt: skip


@pytest.fixture
def world(monkeypatch):
    """bond0 with port eth0, carrying the port's own MAC; NM holds a profile for it."""
    changes = []
    monkeypatch.setattr(linkfs, "read_facts", lambda: facts(bond(address=A), nic("eth0", 2, A, 10)))
    monkeypatch.setattr(linkfs, "set_address", lambda name, mac: changes.append((name, str(mac))))
    monkeypatch.setattr(ifupdown, "known_ifaces", lambda: set())
    profiles = [BOND_PROFILE, PORT_PROFILE]
    monkeypatch.setattr(nm, "profiles", lambda: profiles)
    return profiles, changes


def test_status_text_with_a_networkmanager_profile(world, capsys):
    """Issue 9, item 2: the text view crashed for every bond with a profile; only JSON was tested."""
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "  NetworkManager: profile 'bond0', cloned-mac-address 02:AA:BB:CC:DD:EE (owner: a person)" in out
    assert "run 'bondhook apply" not in out  # it would be refused
    assert "differs; left alone: profile 'bond0' has cloned-mac-address '02:AA:BB:CC:DD:EE' set by a person" in out


def test_apply_respects_a_persons_cloned_mac(world, capsys):
    """Issue 9, item 3: apply used to overwrite it."""
    _, changes = world
    assert cli.main(["apply", "bond0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("bondhook: bond0: profile 'bond0' has cloned-mac-address") and "set by a person" in line
    assert changes == []


def test_apply_respects_an_opt_out(world, capsys):
    profiles, changes = world
    profiles[0] = replace(BOND_PROFILE, cloned_mac=None, user_data={"bondhook.derive-mac": "no"})
    assert cli.main(["apply", "bond0"]) == 1
    assert "opts out (bondhook.derive-mac=no)" in capsys.readouterr().err
    assert changes == []
    assert cli.main(["status", "--json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["held_by"] == "profile 'bond0' opts out (bondhook.derive-mac=no)"


def test_apply_without_a_hold_sets_and_says_so(world, capsys):
    profiles, changes = world
    profiles[0] = replace(BOND_PROFILE, cloned_mac=None)
    assert cli.main(["apply", "bond0"]) == 0
    assert changes == [("bond0", "02:54:00:c8:76:09")]
    assert "existing bond's MAC changed from 52:54:00:c8:76:09 to 02:54:00:c8:76:09" in capsys.readouterr().err


def test_apply_respects_a_stanza_hwaddress(world, monkeypatch, capsys):
    world[0][0] = replace(BOND_PROFILE, cloned_mac=None)
    monkeypatch.setattr(ifupdown, "known_ifaces", lambda: {"bond0"})
    monkeypatch.setattr(ifupdown, "query", lambda name: {"bond-slaves": "eth0", "hwaddress": "02:00:00:00:00:01"})
    assert cli.main(["apply", "bond0"]) == 1
    assert "its stanza sets hwaddress '02:00:00:00:00:01'" in capsys.readouterr().err


def test_a_kernel_that_does_not_keep_the_mac_is_a_failure_said_once(world, monkeypatch, capsys):
    world[0][0] = replace(BOND_PROFILE, cloned_mac=None)

    def kept(name, mac):
        raise linkfs.KernelError(
            f"the kernel kept 52:54:00:c8:76:09 instead of {mac}: " + linkfs.kept_cause("active-backup", "active")
        )

    monkeypatch.setattr(linkfs, "set_address", kept)
    assert cli.main(["apply", "bond0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "could not apply the derived MAC: the kernel kept 52:54:00:c8:76:09" in line
    assert "fail_over_mac is active" in line and "changed" not in line


def run_cli(*args, env=None):
    full = {"PATH": "/usr/bin:/bin", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bondhook", *args], env=full, capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip


@pytest.mark.system
def test_garbage_bus_address_is_one_line_no_traceback():
    """Issue 9, item 10."""
    result = run_cli("nm-sync", env={"DBUS_SYSTEM_BUS_ADDRESS": "garbage"})
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("bondhook: nm-sync: system D-Bus unavailable: InvalidAddressError")
    status = run_cli("status", env={"DBUS_SYSTEM_BUS_ADDRESS": "garbage"})
    assert status.returncode == 0 and "Traceback" not in status.stderr


def fake_tools(tmp_path, monkeypatch, script):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ifquery").write_text(f"#!/bin/sh\n{script}\n")
    (bindir / "ifquery").chmod(0o755)
    monkeypatch.setitem(deadline.SAFE_ENV, "PATH", str(bindir))


@pytest.mark.system
def test_a_hanging_ifquery_ends_within_the_budget(tmp_path, monkeypatch):
    """Issue 9, item 10: a hanging ifquery printed a traceback."""
    fake_tools(tmp_path, monkeypatch, "exec /bin/sleep 60")
    deadline.start(2)
    start = time.monotonic()
    with pytest.raises(deadline.Expired, match="gave up after 2 s waiting for ifquery"):
        ifupdown.known_ifaces()
    assert time.monotonic() - start < 3


@pytest.mark.system
def test_missing_tools_are_named_with_the_package(tmp_path, monkeypatch):
    fake_tools(tmp_path, monkeypatch, "exit 0")
    (tmp_path / "bin" / "ifquery").unlink()
    with pytest.raises(ifupdown.IfupdownError, match="ifquery not found; install ifupdown"):
        ifupdown.query("bond0")
    monkeypatch.setattr(netlink.os.path, "isdir", lambda path: False)  # as if bonding were not loaded
    with pytest.raises(linkfs.KernelError, match="modprobe not found; install kmod"):
        netlink.load_bonding()


def test_missing_pyroute2_is_named_with_the_package(monkeypatch):
    monkeypatch.setattr(netlink, "load_bonding", lambda: None)
    monkeypatch.setitem(sys.modules, "pyroute2", None)
    with pytest.raises(linkfs.KernelError, match=r"pyroute2 is not importable .*; install python3-pyroute2"):
        netlink.create_bond("bond0", A)


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch, capsys):
    def boom():
        raise RuntimeError("surprise")

    monkeypatch.setattr(linkfs, "read_facts", boom)
    assert cli.main(["status"]) == 1
    assert capsys.readouterr().err == "bondhook: internal error RuntimeError: surprise; please report it\n"
