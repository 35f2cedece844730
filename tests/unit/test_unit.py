"""The package's systemd unit, read as systemd reads it: when it runs."""

from pathlib import Path

from bondhook.networkd.unitfile import last, parse

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "bondhook-networkd.service"


def test_the_unit_runs_after_network_pre_target_and_before_networkd():
    entries = parse(UNIT.read_text())
    after = (last(entries, "Unit", "After") or "").split()
    assert "network-pre.target" in after  # cloud-init-local renders netplan before it on a first boot
    assert {"systemd-udevd.service", "systemd-udev-trigger.service", "systemd-remount-fs.service"} <= set(after)
    assert (last(entries, "Unit", "Before") or "").split() == ["systemd-networkd.service"]
    assert last(entries, "Install", "WantedBy") == "systemd-networkd.service"
    assert last(entries, "Service", "ExecStart") == "/usr/bin/bondhook networkd-sync --wait 5"
