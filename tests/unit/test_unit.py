"""The package's systemd unit, read as systemd reads it: when it runs."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bondhook.networkd.unitfile import last, parse

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "bondhook-networkd.service"


def test_the_unit_runs_after_network_pre_target_and_before_networkd():
    entries = parse(UNIT.read_text())
    after = (last(entries, "Unit", "After") or "").split()
    assert "network-pre.target" in after  # cloud-init-local renders netplan before it on a first boot
    assert {"systemd-udevd.service", "systemd-udev-trigger.service", "systemd-remount-fs.service"} <= set(after)
    assert (last(entries, "Unit", "Before") or "").split() == ["systemd-networkd.service"]
    assert last(entries, "Install", "WantedBy") == "systemd-networkd.service"
    assert last(entries, "Service", "ExecStart") == (
        '/usr/bin/python3 -I -c "import sys; from bondhook.networkd.__main__ import main; sys.exit(main())" --wait 5'
    )
    assert last(entries, "Service", "StateDirectory") == "bondhook"


@pytest.mark.system
def test_the_unit_is_sandboxed_to_what_it_needs():
    """systemd's own review of the unit file; 9.5 (UNSAFE) before the sandbox. The rest is needed:
    root (it writes in root's /etc/systemd/network), the host's network namespace, netlink and
    AF_INET sockets (the link dump and the ethtool ioctl), /proc/net/bonding, world-readable files
    (networkd reads them as systemd-network)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze")
    result = subprocess.run([analyze, "security", "--offline=yes", str(UNIT)], capture_output=True, text=True)
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    assert float(score.group(1)) <= 1.5
