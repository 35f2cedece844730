"""The built .deb, read with python-debian: control fields, file list, lintian."""

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from debian import deb822, debfile

REPO = Path(__file__).resolve().parents[2]
DEB = sorted(glob.glob(str(REPO / "dist" / "bondhook_*_all.deb")))
CHANGES = sorted(glob.glob(str(REPO / "dist" / "bondhook_*.changes")))


@pytest.fixture(scope="module")
def deb():
    if not DEB:
        message = "no dist/bondhook_*_all.deb: run `make deb`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return debfile.DebFile(DEB[-1])


def test_source_control_is_what_debian_python_team_expects():
    source, binary = deb822.Deb822.iter_paragraphs((REPO / "debian" / "control").read_text())
    build_depends = source["Build-Depends"]
    for needed in ("debhelper-compat (= 13)", "dh-sequence-python3", "pybuild-plugin-pyproject"):
        assert needed in build_depends
    assert binary["Architecture"] == "all"
    assert "${python3:Depends}" in binary["Depends"]
    assert (REPO / "debian" / "source" / "format").read_text().strip() == "3.0 (native)"


def test_depends_resolve_to_debian_python_packages(deb):
    control = deb822.Deb822(deb.debcontrol())
    depends = {d.split()[0] for d in control["Depends"].split(", ")}
    assert {"python3-pyroute2", "python3-dbus-next"} <= depends
    assert "ifenslave" in control["Recommends"] and "network-manager" in control["Suggests"]


def test_every_hook_lands_where_the_docs_say(deb):
    files = {name.lstrip(".") for name in deb.data.tgz().getnames()}
    expected = {
        "/usr/bin/bondhook",
        "/etc/network/if-pre-up.d/bondhook",
        "/etc/NetworkManager/dispatcher.d/pre-up.d/90-bondhook",
        "/usr/share/man/man8/bondhook.8.gz",
        "/usr/lib/python3/dist-packages/bondhook/ifupdown.py",
        "/usr/lib/python3/dist-packages/bondhook/nm.py",
    }
    assert expected <= files
    readme = (REPO / "README.md").read_text()
    for hook in ("/etc/network/if-pre-up.d/bondhook", "/etc/NetworkManager/dispatcher.d/pre-up.d/90-bondhook"):
        assert hook in readme
    conffiles = deb.control.get_content("conffiles").decode().split()
    assert "/etc/network/if-pre-up.d/bondhook" in conffiles


def test_lintian_reports_no_errors_or_warnings(deb):
    if shutil.which("lintian") is None:
        pytest.fail("lintian not installed (apt-get install lintian)")
    result = subprocess.run(["lintian", "--info", *CHANGES, DEB[-1]], capture_output=True, text=True, check=False)
    tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert tags == [], result.stdout
