"""systemd-networkd bonds: reading the configuration directories as networkd does, finding ports,
and what bondhook's drop-in should hold. Directories are temporary; links are fact snapshots."""

import logging
import os
from pathlib import Path

import pytest

from bondhook.networkd import files_io, steady_io
from bondhook.networkd.config import (
    DROPIN_NAME,
    SECTION,
    Text,
    bonds,
    content,
    decision,
    expected,
    network,
    owner,
    ports,
)
from bondhook.networkd.dropin import decide_netdev, plans
from bondhook.networkd.manager import Netdevs
from bondhook.rules.mac import Mac
from bondhook.runtime import logsetup_io
from tests.unit.facts import A, B, facts, nic

C = Mac.parse("52:54:00:c8:76:0b")
BOND0 = "[NetDev]\nName=bond0\nKind=bond\n"


@pytest.fixture
def dirs(tmp_path: Path) -> list[str]:
    found = [str(tmp_path / name) for name in ("etc", "run", "lib")]
    for directory in found:
        os.makedirs(directory)
    return found


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_text(text)


def port(name: str, bond: str = "bond0") -> str:
    return f"[Match]\nName={name}\n\n[Network]\nBond={bond}\n"


WORLD = facts(nic("enp0s10", 2, A), nic("enp0s11", 3, B))


def load_bond0(dirs):
    config = files_io.load(dirs)
    assert config.problems == ()
    [dev] = bonds(config.netdevs)
    return dev, config


def test_an_earlier_directory_hides_a_file_of_the_same_name(dirs):
    etc, run, _ = dirs
    write(f"{run}/25-bond0.netdev", BOND0 + "MACAddress=02:00:00:00:00:01\n")
    write(f"{etc}/25-bond0.netdev", BOND0)
    dev, _ = load_bond0(dirs)
    assert dev.path == f"{etc}/25-bond0.netdev" and dev.mac is None


@pytest.mark.parametrize("mask", ["devnull", "empty"])
def test_a_masked_file_is_skipped(dirs, mask):
    etc, run, _ = dirs
    write(f"{run}/25-bond0.netdev", BOND0)
    if mask == "devnull":
        os.symlink(os.devnull, f"{etc}/25-bond0.netdev")
    else:
        write(f"{etc}/25-bond0.netdev", "\n")
    assert bonds(files_io.load(dirs).netdevs) == ()


def test_drop_ins_apply_from_every_directory_by_file_name(dirs):
    """netplan's .netdev lives in /run; a drop-in in /etc applies to it, and of two drop-ins of
    one name, /etc's hides /run's. Later file names override earlier ones."""
    etc, run, lib = dirs
    write(f"{run}/10-netplan-bond0.netdev", BOND0)
    write(f"{lib}/10-netplan-bond0.netdev.d/10-vendor.conf", "[NetDev]\nMACAddress=02:00:00:00:00:01\n")
    write(f"{run}/10-netplan-bond0.netdev.d/50-x.conf", "[NetDev]\nMACAddress=02:00:00:00:00:02\n")
    write(f"{etc}/10-netplan-bond0.netdev.d/50-x.conf", "[NetDev]\nMACAddress=\n")
    dev, _ = load_bond0(dirs)
    assert dev.mac is None  # /etc's 50-x.conf resets what 10-vendor.conf set
    assert dev.dropin == f"{etc}/10-netplan-bond0.netdev.d/{DROPIN_NAME}"


def test_bondhooks_marked_drop_in_is_its_own_not_a_persons(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    write(f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}", content(Mac.parse("02:54:00:c8:76:09"), f"enp0s10={A}"))
    dev, config = load_bond0(dirs)
    assert dev.mac is None and dev.own is not None and dev.own.source == f"enp0s10={A}"
    assert owner(dev) == "bondhook" and [o.path for o in config.own] == [dev.own.path]


def test_a_person_who_edits_bondhooks_drop_in_owns_it(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    text = content(Mac.parse("02:54:00:c8:76:09"), f"enp0s10={A}").replace("MACAddress=02:54", "MACAddress=06:54")
    write(f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}", text)
    dev, config = load_bond0(dirs)
    assert dev.own is None and dev.mac == "06:54:00:c8:76:09" and owner(dev) == "a person"
    assert config.own == ()


def test_of_two_netdevs_for_one_name_the_first_file_wins(dirs):
    etc, _, _ = dirs
    write(f"{etc}/20-a.netdev", BOND0)
    write(f"{etc}/30-b.netdev", "[NetDev]\nName=bond0\nKind=dummy\n")
    dev, _ = load_bond0(dirs)
    assert dev.path.endswith("20-a.netdev")


def test_ports_in_name_order_whatever_the_file_order(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    write(f"{etc}/10-b.network", port("enp0s11"))
    write(f"{etc}/20-a.network", port("enp0s10"))
    _, config = load_bond0(dirs)
    assert ports("bond0", config.networks, WORLD) == (("enp0s10", "enp0s11"), ())


def test_the_first_matching_network_file_decides_a_link(dirs):
    """networkd applies one .network per link: the first by file name. An earlier file without
    Bond= takes enp0s10 out of the bond."""
    etc, _, _ = dirs
    write(f"{etc}/05-plain.network", "[Match]\nName=enp0s10\n")
    write(f"{etc}/30-ports.network", port("enp0s1*"))
    config = files_io.load(dirs)
    assert ports("bond0", config.networks, WORLD)[0] == ("enp0s11",)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ("Name=enp0s1*", True),
        ("Name=!enp0s10", False),
        ("Name=en* !enp0s11", True),
        ("MACAddress=52:54:00:c8:76:09", True),
        ("PermanentMACAddress=52-54-00-c8-76-0a", False),
        ("PermanentMACAddress=52:54:00:c8:76:0a 52:54:00:c8:76:09", True),
        ("Name=enp0s10\nPermanentMACAddress=52:54:00:c8:76:0a", False),
        ("", False),
        ("Name=*", True),
    ],
)
def test_match_as_networkd_tests_it(match, expected):
    net = network(Text("/x/10.network", f"[Match]\n{match}\n[Network]\nBond=bond0\n"), [])
    assert (decision([net], nic("enp0s10", 2, A))[0] is net) is expected


def test_a_file_first_in_order_on_a_key_bondhook_cannot_evaluate_leaves_the_drop_in_with_one_line(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    write(f"{etc}/05-virtio.network", "[Match]\nDriver=virtio_net\n[Network]\nDHCP=yes\n")
    write(f"{etc}/30-ports.network", port("enp0s1*"))
    dev, config = load_bond0(dirs)
    names, [line] = ports("bond0", config.networks, WORLD)
    assert names == ()
    assert line.level == logging.ERROR
    assert f"{etc}/05-virtio.network may take enp0s10, enp0s11 before a file with Bond=bond0 does" in line.text
    assert "matches on Driver=" in line.text and "drop-in left as it is" in line.text
    plan = decide_netdev(dev, config.networks, WORLD)
    assert (plan.action, plan.messages) == ("none", (line,))


def test_an_unevaluated_key_first_says_nothing_for_a_bond_whose_mac_a_person_set(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0 + "MACAddress=02:aa:bb:cc:dd:01\n")
    write(f"{etc}/05-virtio.network", "[Match]\nDriver=virtio_net\n")
    write(f"{etc}/30-ports.network", port("enp0s1*"))
    plan = decide(dirs)
    assert (plan.action, plan.messages) == ("none", ())


def test_a_file_on_an_unevaluated_key_that_puts_the_link_in_the_same_bond_changes_nothing(dirs):
    etc, _, _ = dirs
    write(f"{etc}/30-path.network", "[Match]\nPath=pci-0000:00:0a.0\n[Network]\nBond=bond0\n")
    write(f"{etc}/31-a.network", port("enp0s1*"))
    config = files_io.load(dirs)
    assert ports("bond0", config.networks, WORLD) == (("enp0s10", "enp0s11"), ())


def test_a_condition_bondhook_evaluates_rules_out_a_file_whatever_else_it_asks(dirs):
    etc, _, _ = dirs
    write(f"{etc}/05-other.network", "[Match]\nName=eth*\nDriver=virtio_net\n")
    write(f"{etc}/30-ports.network", port("enp0s1*"))
    config = files_io.load(dirs)
    assert ports("bond0", config.networks, WORLD) == (("enp0s10", "enp0s11"), ())


def test_what_the_boot_waits_for_is_exact_names_and_addresses_only(dirs):
    etc, _, _ = dirs
    write(f"{etc}/30-a.network", port("enp0s10"))
    write(f"{etc}/31-b.network", "[Match]\nPermanentMACAddress=52:54:00:c8:76:0a\n[Network]\nBond=bond0\n")
    write(f"{etc}/32-glob.network", port("eth*"))
    write(f"{etc}/33-other.network", port("enp9s0", "bond9"))
    config = files_io.load(dirs)
    assert expected(["bond0"], config.networks) == (("enp0s10",), (B,))


def decide(dirs, world=WORLD):
    dev, config = load_bond0(dirs)
    return decide_netdev(dev, config.networks, world)


def bond0_with_ports(dirs):
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    write(f"{etc}/30-a.network", port("enp0s10"))
    write(f"{etc}/30-b.network", port("enp0s11"))
    return etc


def test_first_start_writes_the_drop_in_with_one_line(dirs):
    etc = bond0_with_ports(dirs)
    plan = decide(dirs)
    assert plan.action == "write" and plan.path == f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}"
    assert "MACAddress=02:54:00:c8:76:09\n" in plan.content and f"Source=enp0s10={A}\n" in plan.content
    [line] = plan.messages
    assert line.level == logging.INFO and line.text.endswith("derived from enp0s10 (52:54:00:c8:76:09)")


def test_a_steady_start_changes_nothing_and_says_nothing(dirs):
    bond0_with_ports(dirs)
    files_io.apply(decide(dirs), dirs[0])
    plan = decide(dirs)
    assert (plan.action, plan.messages) == ("none", ())


def test_a_replaced_nic_rewrites_the_drop_in_with_one_line(dirs):
    bond0_with_ports(dirs)
    files_io.apply(decide(dirs), dirs[0])
    plan = decide(dirs, facts(nic("enp0s10", 2, C), nic("enp0s11", 3, B)))
    assert plan.action == "write" and "MACAddress=02:54:00:c8:76:0b\n" in plan.content
    [line] = plan.messages
    assert f"source changed (enp0s10={A} -> enp0s10={C})" in line.text


def test_a_missing_first_port_falls_back_with_a_warning(dirs):
    bond0_with_ports(dirs)
    plan = decide(dirs, facts(nic("enp0s11", 3, B)))
    assert plan.target == Mac.parse("02:54:00:c8:76:0a")
    assert [m.level for m in plan.messages] == [logging.WARNING, logging.INFO]
    assert "port enp0s10 is absent" in plan.messages[0].text


def test_no_usable_port_keeps_an_earlier_drop_in_and_says_so(dirs):
    bond0_with_ports(dirs)
    files_io.apply(decide(dirs), dirs[0])
    plan = decide(dirs, facts())
    assert plan.action == "none"
    [line] = plan.messages
    assert line.level == logging.ERROR and "port enp0s10 is absent" in line.text
    assert "kept" in line.text and "check the .network files with Bond=bond0" in line.text


def test_ports_matched_by_address_that_never_came_are_named_in_the_one_line(dirs):
    """Seen at a real systemd boot under TCG: udev loads the NIC driver during coldplug, so the
    NICs a .network matches by address may not exist yet when the wait ends."""
    etc, _, _ = dirs
    write(f"{etc}/25-bond0.netdev", BOND0)
    write(f"{etc}/30-a.network", "[Match]\nPermanentMACAddress=52:54:00:c8:76:09\n[Network]\nBond=bond0\n")
    dev, config = load_bond0(dirs)
    [line] = decide_netdev(dev, config.networks, facts(), ["52:54:00:c8:76:09"]).messages
    assert "no ports configured or enslaved); udev did not show 52:54:00:c8:76:09 in time; no drop-in" in line.text


def test_the_same_nic_under_its_new_name_is_rewritten_without_a_line(dirs):
    """bondhook ran before udev renamed the NIC (eth0), the next boot after (enp0s10)."""
    etc = bond0_with_ports(dirs)
    for name, mac in (("a", A), ("b", B)):
        write(f"{etc}/30-{name}.network", f"[Match]\nPermanentMACAddress={mac}\n[Network]\nBond=bond0\n")
    files_io.apply(decide(dirs, facts(nic("eth0", 2, A), nic("eth1", 3, B))), dirs[0])
    plan = decide(dirs)
    assert plan.action == "write" and f"Source=enp0s10={A}" in plan.content
    assert [m.level for m in plan.messages] == [logging.DEBUG]


@pytest.mark.parametrize(
    ("dropin", "why"),
    [
        ("[NetDev]\nMACAddress=02:aa:bb:cc:dd:ee\n", "MACAddress=02:aa:bb:cc:dd:ee is set by a person"),
        ("[X-Bondhook]\nDeriveMAC=no\n", "opted out"),
    ],
)
def test_a_persons_mac_or_opt_out_removes_bondhooks_drop_in(dirs, dropin, why):
    etc = bond0_with_ports(dirs)
    files_io.apply(decide(dirs), dirs[0])
    write(f"{etc}/25-bond0.netdev.d/50-mine.conf", dropin)
    plan = decide(dirs)
    assert plan.action == "remove"
    [line] = plan.messages
    assert why in line.text
    files_io.apply(plan, dirs[0])
    assert os.listdir(f"{etc}/25-bond0.netdev.d") == ["50-mine.conf"]
    assert decide(dirs).messages == ()  # and then nothing more is said


def test_a_persons_mac_in_the_netdev_is_left_alone_quietly(dirs):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/25-bond0.netdev", BOND0 + "MACAddress=02:aa:bb:cc:dd:ee\n")
    assert (decide(dirs).action, decide(dirs).messages) == ("none", ())


def test_derive_from_a_named_port(dirs):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/25-bond0.netdev.d/50-mine.conf", "[X-Bondhook]\nDeriveMAC=enp0s11\n")
    assert decide(dirs).target == Mac.parse("02:54:00:c8:76:0a")


@pytest.mark.parametrize(("key", "value"), [("DeriveMAC", "a/b"), ("Scheme", "03")])
def test_a_bad_option_value_is_one_line_and_changes_nothing(dirs, key, value):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/25-bond0.netdev.d/50-mine.conf", f"[X-Bondhook]\n{key}={value}\n")
    plan = decide(dirs)
    assert plan.action == "none"
    [line] = plan.messages
    assert line.level == logging.ERROR and f"[X-Bondhook] {key} value '{value}' is not one of" in line.text
    assert "fix or remove that key" in line.text


def test_a_persons_file_at_bondhooks_path_is_never_overwritten(dirs):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}", "[NetDev]\nDescription=mine\n")
    plan = decide(dirs)
    assert plan.action == "none" and "is not as bondhook wrote it, so it is a person's" in plan.messages[0].text


@pytest.mark.parametrize(
    "edit",
    ["MTUBytes=9000\n", f"\n[{SECTION}]\nDeriveMAC=no\n", "# mine now\n"],
)
def test_an_edited_drop_in_is_a_persons_left_alone_kept_at_release_and_said_in_status(dirs, world, edit):
    etc = bond0_with_ports(dirs)
    assert files_io.sync(0, dirs=dirs)
    path = Path(f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}")
    edited = path.read_text() + edit
    path.write_text(edited)
    dev, _ = load_bond0(dirs)
    assert dev.own is None
    assert files_io.sync(0, dirs=dirs) and path.read_text() == edited
    assert files_io.release(dirs=dirs) == (0, 0) and path.read_text() == edited
    view = Netdevs({"bond0": dev}, (), (dev,)).view("bond0")
    assert view.data["owner"] == "a person" and view.data["edited"] == str(path)


def test_a_symlinked_netdev_d_directory_is_refused_with_one_line_and_not_written_through(dirs, world, tmp_path):
    etc = bond0_with_ports(dirs)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.symlink(shared, f"{etc}/25-bond0.netdev.d")
    plan = decide(dirs)
    [line] = plan.messages
    assert plan.action == "none" and "or its directory is a symbolic link" in line.text
    assert files_io.sync(0, dirs=dirs) is False and list(shared.iterdir()) == []
    (shared / DROPIN_NAME).write_text(content(Mac.parse("02:54:00:c8:76:09"), f"enp0s10={A}"))
    assert files_io.release(dirs=dirs) == (0, 0) and (shared / DROPIN_NAME).exists()


def test_apply_refuses_a_symlinked_directory_even_when_the_plan_was_made_before_it_appeared(dirs, tmp_path):
    etc = bond0_with_ports(dirs)
    plan = decide(dirs)
    os.symlink(tmp_path, f"{etc}/25-bond0.netdev.d")
    with pytest.raises(files_io.WriteError, match="symbolic link"):
        files_io.apply(plan, etc)
    assert not (tmp_path / DROPIN_NAME).exists()


def test_a_planted_temporary_file_symlink_is_never_written_through(dirs, tmp_path):
    etc = bond0_with_ports(dirs)
    plan = decide(dirs)
    os.makedirs(f"{etc}/25-bond0.netdev.d")
    target = tmp_path / "victim"
    target.write_text("keep")
    os.symlink(target, f"{etc}/25-bond0.netdev.d/.{DROPIN_NAME}.tmp")
    files_io.apply(plan, etc)
    assert target.read_text() == "keep" and Path(plan.path).read_text() == plan.content
    assert sorted(os.listdir(f"{etc}/25-bond0.netdev.d")) == [f".{DROPIN_NAME}.tmp", DROPIN_NAME]


def test_release_removes_each_file_on_its_own_with_one_line_per_failure(dirs, world, monkeypatch, caplog):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/26-bond1.netdev", "[NetDev]\nName=bond1\nKind=bond\n")
    write(f"{etc}/31-c.network", port("enp0s11", "bond1"))
    write(f"{etc}/30-b.network", port("enp0s12"))
    assert files_io.sync(0, dirs=dirs)
    real_apply = files_io.apply

    def failing(plan, dropin_dir):
        if "25-bond0" in plan.path:
            raise files_io.WriteError(f"{plan.path}: Read-only file system")
        real_apply(plan, dropin_dir)

    monkeypatch.setattr(files_io, "apply", failing)
    assert files_io.release(dirs=dirs) == (1, 1)
    assert not os.path.exists(f"{etc}/26-bond1.netdev.d")
    assert "25-bond0.netdev.d/90-bondhook.conf: Read-only file system; left in place" in caplog.text


def test_a_drop_in_whose_netdev_is_gone_is_removed(dirs):
    etc = bond0_with_ports(dirs)
    files_io.apply(decide(dirs), dirs[0])
    os.unlink(f"{etc}/25-bond0.netdev")
    config = files_io.load(dirs)
    [plan] = plans(config.netdevs, config.networks, config.own, WORLD)
    assert plan.action == "remove" and "its .netdev is gone" in plan.messages[0].text


def test_apply_writes_reads_back_and_refuses_other_paths(dirs):
    etc = bond0_with_ports(dirs)
    plan = decide(dirs)
    files_io.apply(plan, etc)
    path = Path(plan.path)
    assert path.read_text() == plan.content and oct(path.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(files_io.WriteError, match="not a path bondhook writes"):
        files_io.apply(plan, dirs[1])


@pytest.fixture
def world(monkeypatch):
    """The sync's edges: this snapshot of links, udev already done."""
    monkeypatch.setattr(files_io, "facts", lambda: WORLD)
    monkeypatch.setattr(files_io, "wait_for", lambda names, macs, seconds: [])


def test_sync_then_release_leave_a_persons_files(dirs, world, capsys):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/25-bond0.netdev.d/50-mine.conf", "[NetDev]\nDescription=mine\n")
    logsetup_io.setup()
    assert files_io.sync(0, dirs=dirs)
    assert sorted(os.listdir(f"{etc}/25-bond0.netdev.d")) == ["50-mine.conf", DROPIN_NAME]
    capsys.readouterr()
    assert files_io.release(dirs=dirs) == (1, 0)
    assert os.listdir(f"{etc}/25-bond0.netdev.d") == ["50-mine.conf"]
    [line] = capsys.readouterr().err.splitlines()
    assert line == f"bondhook: removed {etc}/25-bond0.netdev.d/{DROPIN_NAME} (MAC 02:54:00:c8:76:09, from enp0s10={A})"


def test_sync_with_an_unreadable_file_changes_nothing_in_one_line(dirs, world, capsys):
    etc = bond0_with_ports(dirs)
    Path(f"{etc}/40-bad.network").write_bytes(b"[Match]\nName=enp0s1\xff\n")
    logsetup_io.setup()
    assert not files_io.sync(0, dirs=dirs)
    assert not os.path.exists(f"{etc}/25-bond0.netdev.d")
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("40-bad.network: not a configuration file bondhook can read (too large, or not UTF-8); "
                         "fix its permissions or remove it; no drop-in changed")  # fmt: skip


@pytest.mark.parametrize("lines", ["not an assignment", "=enp0s12", "Name"])
def test_a_line_networkd_ignores_bondhook_ignores(dirs, world, lines):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/29-bad.network", f"[Match]\nName=enp0s12\n{lines}\n[Network]\nBond=bond0\n")
    assert files_io.sync(0, dirs=dirs)
    assert "MACAddress=02:54:00:c8:76:09" in Path(f"{etc}/25-bond0.netdev.d/{DROPIN_NAME}").read_text()


def test_a_file_with_a_section_header_networkd_refuses_is_skipped_with_a_warning(dirs, world, caplog):
    etc = bond0_with_ports(dirs)
    write(f"{etc}/01-broken.network", "[Match\nName=*\n")
    assert files_io.sync(0, dirs=dirs)
    assert "01-broken.network: line 1 is not a valid section header, so networkd ignores the file" in caplog.text


def test_dry_run_writes_nothing(dirs, world, capsys):
    etc = bond0_with_ports(dirs)
    logsetup_io.setup()
    assert files_io.sync(0, dry_run=True, dirs=dirs)
    assert not os.path.exists(f"{etc}/25-bond0.netdev.d")
    assert "dry run, not done" in capsys.readouterr().err


def test_a_steady_run_is_recorded_and_any_change_undoes_the_record(dirs, world, tmp_path):
    etc = bond0_with_ports(dirs)
    state = str(tmp_path / "state")
    assert files_io.sync(0, dirs=dirs, state_dir=state)  # writes the drop-in: not steady
    assert not steady_io.unchanged(state, tuple(dirs))
    assert files_io.sync(0, dirs=dirs, state_dir=state)  # nothing to change: recorded
    assert steady_io.unchanged(state, tuple(dirs))
    Path(f"{etc}/30-b.network").write_text(port("enp0s11") + "# a comment\n")
    assert not steady_io.unchanged(state, tuple(dirs))
    assert files_io.sync(0, dry_run=True, dirs=dirs, state_dir=state)  # a dry run records nothing
    assert not os.path.exists(f"{state}/{steady_io.STATE}")
