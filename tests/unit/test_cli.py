import json
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from bondhook.cli import commands_io, show
from bondhook.ifupdown import ifquery_io
from bondhook.kernel import netlink_io, rtnl_io, sysfs_io
from bondhook.networkd import config, files_io
from bondhook.networkd.manager import NETWORKD, Netdevs
from bondhook.nm import dbus_io
from bondhook.nm.profile import profile_from_settings
from bondhook.rules import stack
from bondhook.rules.mac import Mac
from bondhook.rules.plan import BondStatus, Link
from bondhook.runtime import deadline_io
from bondhook.wire import frames, socket_io

from .facts import A, bond, facts, nic


def test_derive(capsys):
    assert commands_io.main(["derive", "52:54:00:C8:76:09"]) == 0
    assert capsys.readouterr().out == "02:54:00:c8:76:09\n"


def test_derive_avoid(capsys):
    assert commands_io.main(["derive", "52:54:00:c8:76:09", "--avoid", "02:54:00:c8:76:09"]) == 0
    assert capsys.readouterr().out == "06:54:00:c8:76:09\n"


@pytest.mark.parametrize("mac", ["nonsense", "ff:ff:ff:ff:ff:ff"])
def test_derive_bad_input_is_one_line(capsys, mac):
    assert commands_io.main(["derive", mac]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1


def test_apply_refuses_bad_names(capsys):
    assert commands_io.main(["apply", "bond0/../x"]) == 1
    assert "not an interface name" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["apply"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        commands_io.main(argv)
    assert exc.value.code == 2


def test_help_lists_the_option_table(capsys):
    with pytest.raises(SystemExit):
        commands_io.main(["--help"])
    out = capsys.readouterr().out
    assert "bond-derive-mac yes | no | <port>" in out and "exit codes" in out


def test_status_text_warns_on_untraceable():
    status = BondStatus("bond2", Mac.parse("e6:a8:2a:99:65:04"), "kernel random", False, (), None, None, False, False)
    lines = show.format_status(show.Row(status))
    assert lines[0] == "bond2: e6:a8:2a:99:65:04 (kernel random)"
    assert lines[-1] == "  warning: e6:a8:2a:99:65:04 is not traceable to any port; clones may share it"


@pytest.mark.parametrize(
    ("dropin", "owner", "shown"),
    [
        (None, "none", "unset"),
        ("[NetDev]\nMACAddress=02:aa:bb:cc:dd:ee\n", "a person", "02:aa:bb:cc:dd:ee"),
        (config.content(Mac.parse("02:54:00:c8:76:09"), "eth0=52:54:00:c8:76:09"), "bondhook", "02:54:00:c8:76:09"),
    ],
)
def test_status_names_the_networkd_netdev_and_its_owner(dropin, owner, shown):
    main = config.Text("/etc/systemd/network/25-bond0.netdev", "[NetDev]\nName=bond0\nKind=bond\n")
    dropins = [config.Text(config.dropin_path(main.path), dropin)] if dropin else []
    dev = config.netdev(main, dropins)
    status = BondStatus("bond0", Mac.parse("02:54:00:c8:76:09"), "derived", True, (), None, None, False, True)
    line = f"  systemd-networkd: {main.path}, MACAddress {shown} (owner: {owner})"
    line += f"; {dropins[0].path} is not as bondhook wrote it: a person's" if owner == "a person" else ""
    row = show.Row(status, ((NETWORKD, Netdevs({"bond0": dev}, (), (dev,)).view("bond0")),))
    assert line in show.format_status(row)
    assert show.status_dict(row)["networkd"]["owner"] == owner


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
    monkeypatch.setattr(sysfs_io, "read_facts", lambda: facts(bond(address=A), nic("eth0", 2, A, 10)))
    monkeypatch.setattr(sysfs_io, "set_address", lambda name, mac: changes.append((name, str(mac))))
    monkeypatch.setattr(ifquery_io, "known_ifaces", lambda: set())
    profiles = [BOND_PROFILE, PORT_PROFILE]
    monkeypatch.setattr(dbus_io, "profiles", lambda: profiles)
    return profiles, changes


def test_status_text_with_a_networkmanager_profile(world, capsys):
    """Issue 9, item 2: the text view crashed for every bond with a profile; only JSON was tested."""
    assert commands_io.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "  NetworkManager: profile 'bond0', cloned-mac-address 02:AA:BB:CC:DD:EE (owner: a person)" in out
    assert "run 'bondhook apply" not in out  # it would be refused
    assert "differs; left alone: profile 'bond0' has cloned-mac-address '02:AA:BB:CC:DD:EE' set by a person" in out


def test_apply_respects_a_persons_cloned_mac(world, capsys):
    """Issue 9, item 3: apply used to overwrite it."""
    _, changes = world
    assert commands_io.main(["apply", "bond0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("bondhook: bond0: profile 'bond0' has cloned-mac-address") and "set by a person" in line
    assert changes == []


def test_apply_respects_an_opt_out(world, capsys):
    profiles, changes = world
    profiles[0] = replace(BOND_PROFILE, cloned_mac=None, user_data={"bondhook.derive-mac": "no"})
    assert commands_io.main(["apply", "bond0"]) == 1
    assert "opts out (bondhook.derive-mac=no)" in capsys.readouterr().err
    assert changes == []
    assert commands_io.main(["status", "--json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["held_by"] == "profile 'bond0' opts out (bondhook.derive-mac=no)"


def test_apply_without_a_hold_sets_and_says_so(world, capsys):
    profiles, changes = world
    profiles[0] = replace(BOND_PROFILE, cloned_mac=None)
    assert commands_io.main(["apply", "bond0"]) == 0
    assert changes == [("bond0", "02:54:00:c8:76:09")]
    assert "existing bond's MAC changed from 52:54:00:c8:76:09 to 02:54:00:c8:76:09" in capsys.readouterr().err


def test_apply_respects_a_stanza_hwaddress(world, monkeypatch, capsys):
    world[0][0] = replace(BOND_PROFILE, cloned_mac=None)
    monkeypatch.setattr(ifquery_io, "known_ifaces", lambda: {"bond0"})
    monkeypatch.setattr(ifquery_io, "query", lambda name: {"bond-slaves": "eth0", "hwaddress": "02:00:00:00:00:01"})
    assert commands_io.main(["apply", "bond0"]) == 1
    assert "its stanza sets hwaddress '02:00:00:00:00:01'" in capsys.readouterr().err


def test_a_kernel_that_does_not_keep_the_mac_is_a_failure_said_once(world, monkeypatch, capsys):
    world[0][0] = replace(BOND_PROFILE, cloned_mac=None)

    def kept(name, mac):
        raise sysfs_io.KernelError(
            f"the kernel kept 52:54:00:c8:76:09 instead of {mac}: " + sysfs_io.kept_cause("active-backup", "active")
        )

    monkeypatch.setattr(sysfs_io, "set_address", kept)
    assert commands_io.main(["apply", "bond0"]) == 1
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
    monkeypatch.setitem(deadline_io.SAFE_ENV, "PATH", str(bindir))


@pytest.mark.system
def test_a_hanging_ifquery_ends_within_the_budget(tmp_path, monkeypatch):
    """Issue 9, item 10: a hanging ifquery printed a traceback."""
    fake_tools(tmp_path, monkeypatch, "exec /bin/sleep 60")
    deadline_io.start(2)
    start = time.monotonic()
    with pytest.raises(deadline_io.Expired, match="gave up after 2 s waiting for ifquery"):
        ifquery_io.known_ifaces()
    assert time.monotonic() - start < 3


@pytest.mark.system
def test_missing_tools_are_named_with_the_package(tmp_path, monkeypatch):
    fake_tools(tmp_path, monkeypatch, "exit 0")
    (tmp_path / "bin" / "ifquery").unlink()
    with pytest.raises(ifquery_io.IfupdownError, match="ifquery not found; install ifupdown"):
        ifquery_io.query("bond0")
    monkeypatch.setattr(netlink_io.os.path, "isdir", lambda path: False)  # as if bonding were not loaded
    with pytest.raises(sysfs_io.KernelError, match="modprobe not found; install kmod"):
        netlink_io.load_bonding()


def test_missing_pyroute2_is_named_with_the_package(monkeypatch):
    monkeypatch.setattr(netlink_io, "load_bonding", lambda: None)
    monkeypatch.setitem(sys.modules, "pyroute2", None)
    with pytest.raises(sysfs_io.KernelError, match=r"pyroute2 is not importable .*; install python3-pyroute2"):
        netlink_io.create_bond("bond0", A)


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch, capsys):
    def boom():
        raise RuntimeError("surprise")

    monkeypatch.setattr(sysfs_io, "read_facts", boom)
    assert commands_io.main(["status"]) == 1
    assert capsys.readouterr().err == "bondhook: internal error RuntimeError: surprise; please report it\n"


# --- check and the devices stacked on a bond, with the kernel and the wire faked ---------------

DERIVED = Mac.parse("02:54:00:c8:76:09")
HASHED_BRIDGE = Mac.parse("3a:8e:1c:5f:00:42")


@pytest.fixture
def stacked(monkeypatch):
    """bond0 (derived MAC) with port eth0 and vmbr0 over it carrying udev's hash; vmbr0 from a stanza."""
    bond0 = replace(bond(address=DERIVED), uppers=("vmbr0",))
    bridge = Link("vmbr0", 12, "bridge", HASHED_BRIDGE, None, None, 3)
    monkeypatch.setattr(sysfs_io, "read_facts", lambda: facts(bond0, nic("eth0", 2, A, 10), bridge))
    monkeypatch.setattr(sysfs_io, "operstate", lambda name: "up")
    monkeypatch.setattr(sysfs_io, "if_inet6", lambda: "fe80000000000000383e1cfffe5f0042 00000006 40 20 c8 vmbr0\n")
    monkeypatch.setattr(ifquery_io, "known_ifaces", lambda: {"bond0", "vmbr0"})
    monkeypatch.setattr(ifquery_io, "stanza_request", lambda name, facts: None)
    monkeypatch.setattr(sysfs_io, "vlan_config", lambda: "")
    monkeypatch.setattr(rtnl_io, "read_ipv4", lambda timeout: {12: (bytes((192, 0, 2, 7)),)})
    monkeypatch.setattr(dbus_io, "profiles", lambda: [])
    monkeypatch.setattr(files_io, "load", lambda: files_io.Config((), (), (), ()))


def test_status_explains_the_bridge_on_the_bond_with_its_fix_and_dad(stacked, capsys):
    assert commands_io.main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("  stacked on it:")
    assert out[start + 1 :] == [
        "    vmbr0 (bridge on bond0): 3a:8e:1c:5f:00:42 (set by userspace (udev MACAddressPolicy or an admin))",
        "      warning: not traceable to any port; clones may share it; fix: "
        "add 'bridge_hw bond0' to the 'iface vmbr0' stanza (bridge-utils copies its MAC)",
        "      warning: vmbr0's fe80::383e:1cff:fe5f:42 failed duplicate address detection: another host on the "
        "link has this MAC; see 'bondhook check'",
    ]
    assert commands_io.main(["status", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["dad_failed"] == [] and row["uppers"][0]["dad_failed"] == ["fe80::383e:1cff:fe5f:42"]


def fake_watch(bond_name, watched, twins=0, looped=0):
    watch = socket_io.Watch(bond_name, watched, probes=len(watched))
    for n in range(twins):
        watch.note(frames.Seen(frames.TWIN, DERIVED, 0x86DD, 100 if n else None), 1.5 + n)
    for _ in range(looped):
        watch.note(frames.Seen(frames.LOOPED, DERIVED, 0x86DD), 2.0)
    watch.note(frames.Seen(frames.OTHER, A, 0x0806), 2.5)
    return watch


@pytest.mark.parametrize(("twins", "rc"), [(0, 0), (2, 1)])
def test_check_watches_the_bond_and_what_is_stacked_on_it(stacked, monkeypatch, capsys, twins, rc):
    calls = []

    def check(targets, seconds, probe):
        calls.append((targets, seconds, probe))
        return [fake_watch(target.bond, target.watched, twins, looped=1) for target in targets]

    monkeypatch.setattr(socket_io, "check", check)
    assert commands_io.main(["check", "--listen", "3"]) == rc
    # the bond's MAC and the bridge's, and the bridge's IPv4 address for the ARP probe
    carriers = (stack.Carrier(DERIVED), stack.Carrier(HASHED_BRIDGE, (), (bytes((192, 0, 2, 7)),)))
    assert calls == [([socket_io.Target("bond0", frozenset({DERIVED, HASHED_BRIDGE}), carriers)], 3.0, True)]
    out = capsys.readouterr().out.splitlines()
    if twins:
        assert out[0] == (
            "bond0: TWIN: 2 frames from another host with this host's MAC (02:54:00:c8:76:09, 3a:8e:1c:5f:00:42) "
            "in 3 s; 2 probes sent"
        )
        assert out[1:3] == [
            "  at 1.5 s: from 02:54:00:c8:76:09, IPv6 (0x86dd), no VLAN",
            "  at 2.5 s: from 02:54:00:c8:76:09, IPv6 (0x86dd), VLAN 100",
        ]
    else:
        assert out[0] == (
            "bond0: no twin seen in 3 s (watched 02:54:00:c8:76:09, 3a:8e:1c:5f:00:42; 2 frames; 2 probes sent)"
        )
    assert out[-1] == "  note: 1 frame of this host's own came back (a loop or a hub)"


def test_check_json_and_passive(stacked, monkeypatch, capsys):
    monkeypatch.setattr(socket_io, "check", lambda targets, seconds, probe: [fake_watch("bond0", frozenset(), 1)])
    assert commands_io.main(["check", "--json", "--passive", "bond0"]) == 1
    [result] = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["twin_frames"], result["seconds"]) == ("twin", 1, 5.0)
    assert result["samples"] == [{"at": 1.5, "source": "02:54:00:c8:76:09", "ethertype": 0x86DD, "vlan": None}]


LISTS = "give a bond ('bondhook status' lists them)"


@pytest.mark.parametrize(
    ("argv", "state", "line"),
    [
        (["nosuch0"], "up", f"bondhook: check: nosuch0: no such device; {LISTS}"),
        (["eth0"], "up", f"bondhook: check: eth0: a plain device, not a bond; {LISTS}"),
        (["bond0"], "down", "bondhook: check: bond0: its link is down, so nothing reaches it; bring it up first"),
        (["bond0/x"], "up", "bondhook: check: 'bond0/x': not an interface name; give a bond as 'ip link' shows it"),
    ],
)
def test_check_that_cannot_run_is_one_line_and_exit_2(stacked, monkeypatch, capsys, argv, state, line):
    monkeypatch.setattr(sysfs_io, "operstate", lambda name: state)
    monkeypatch.setattr(socket_io, "check", lambda *a: pytest.fail("nothing to listen on"))
    assert commands_io.main(["check", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [line] and captured.out == ""


def test_check_a_twin_outweighs_a_bond_it_could_not_check(stacked, monkeypatch, capsys):
    monkeypatch.setattr(socket_io, "check", lambda targets, seconds, probe: [fake_watch("bond0", frozenset(), 1)])
    assert commands_io.main(["check", "bond0", "nosuch0"]) == 1


def test_check_with_two_bonds_one_failing_keeps_the_others_answer(stacked, monkeypatch, capsys):
    """Issue 20, item 4: a bond whose link goes down mid-check costs only its own answer; a twin
    anywhere makes the exit 1, else a bond left unchecked makes it 2."""

    def check(targets, seconds, probe):
        good, gone = fake_watch("bond0", frozenset({DERIVED})), fake_watch("bond1", frozenset({A}))
        gone.error = "bond1: Network is down while listening (the link went down or away)"
        return [good, gone]

    monkeypatch.setattr(socket_io, "check", check)
    monkeypatch.setattr(sysfs_io, "read_facts", lambda: facts(bond(address=DERIVED), bond("bond1", 5, address=A)))
    assert commands_io.main(["check", "--json"]) == 2
    captured = capsys.readouterr()
    first, second = json.loads(captured.out)
    assert (first["bond"], first["verdict"], second["verdict"]) == ("bond0", "none", "unchecked")
    assert captured.err.splitlines() == [
        "bondhook: check: bond1: Network is down while listening (the link went down or away); could not check it"
    ]


@pytest.mark.parametrize(
    ("field", "line"),
    [
        (
            "kernel_drops",
            "bond0: the kernel dropped 3 of 9 frames from its MACs before bondhook could read them "
            "(the host was too busy); could not check, run it again",
        ),
        ("undecided", "bond0: 3 frame(s) from its MACs came in too late to be told apart from this host's own; "
         "could not check, run it again"),
    ],
)  # fmt: skip
def test_check_never_says_no_twin_when_frames_from_its_macs_went_unjudged(stacked, monkeypatch, capsys, field, line):
    """Issue 20, item 1: frames the kernel dropped after the filter passed them, or that the time
    left undecided, might have been a twin's: exit 2 with the count, never 0; a twin seen still wins."""

    def check(targets, seconds, probe, twins=0):
        watch = fake_watch("bond0", frozenset({DERIVED}), twins)
        watch.passed = 9
        setattr(watch, field, 3)
        return [watch]

    monkeypatch.setattr(socket_io, "check", check)
    assert commands_io.main(["check", "--json", "bond0"]) == 2
    [result] = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["reason"]) == ("unchecked", line)
    assert result["kernel_passed"] == 9 and result["kernel_drops"] == (3 if field == "kernel_drops" else 0)
    monkeypatch.setattr(socket_io, "check", lambda *a: check(*a, twins=1))
    assert commands_io.main(["check", "--json", "bond0"]) == 1


def test_check_without_root_is_one_line(stacked, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise socket_io.WireError("a packet socket needs root (CAP_NET_RAW); run it as root")

    monkeypatch.setattr(socket_io, "check", refuse)
    assert commands_io.main(["check"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "bondhook: check: a packet socket needs root (CAP_NET_RAW); run it as root; nothing checked"
    ]


@pytest.mark.parametrize("value", ["0", "61", "soon", "nan"])
def test_check_listen_is_bounded(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        commands_io.main(["check", "--listen", value])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("value", ["nan", "150", "-1", "inf", "soon"])
def test_networkd_sync_wait_is_bounded_like_listen(value, capsys, monkeypatch):
    monkeypatch.setattr(files_io, "sync", lambda *a, **k: pytest.fail("ran with a bad --wait"))
    with pytest.raises(SystemExit) as exit_info:
        commands_io.main(["networkd-sync", "--wait", value])
    assert exit_info.value.code == 2
    assert f"give seconds from 0 to 60, not {value!r}" in capsys.readouterr().err.replace('"', "'")
