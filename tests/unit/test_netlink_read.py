"""Reading facts over netlink works with both pyroute2 generations (read-only, on this host)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from bondhook import netlink

REPO = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = "/usr/bin/python3"


def test_read_facts_with_this_interpreters_pyroute2():
    facts = netlink.read_facts(assign_types=True)
    lo = facts.get("lo")
    assert lo is not None and lo.index == 1 and lo.kind is None


@pytest.mark.skipif(shutil.which(DEBIAN_PYTHON) is None, reason="no Debian python3")
def test_read_facts_with_debians_pyroute2():
    probe = "from bondhook import netlink; print(netlink.read_facts().get('lo').index)"
    result = subprocess.run(
        [DEBIAN_PYTHON, "-c", probe], env={"PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True, check=False
    )
    if "No module named 'pyroute2'" in result.stderr:
        pytest.skip("python3-pyroute2 not installed")
    assert result.stdout.strip() == "1", result.stderr
