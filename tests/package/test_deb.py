"""The built .deb, read with python-debian: control fields, file list, lintian."""

import glob
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from debian import deb822, debfile

from tests.lab.vm import TRIXIE, cannot_run

REPO = Path(__file__).resolve().parents[2]
DEB = sorted(glob.glob(str(REPO / "dist" / "bondhook_*_all.deb")))
CHANGES = sorted(glob.glob(str(REPO / "dist" / "bondhook_*.changes")))


@pytest.fixture(scope="module")
def deb():
    if not DEB:
        cannot_run("no dist/bondhook_*_all.deb: run `make deb`")
    return debfile.DebFile(DEB[-1])


def test_source_control_is_what_debian_python_team_expects():
    source, binary = deb822.Deb822.iter_paragraphs((REPO / "debian" / "control").read_text())
    build_depends = source["Build-Depends"]
    for needed in ("debhelper-compat (= 13)", "dh-sequence-python3", "pybuild-plugin-pyproject"):
        assert needed in build_depends
    assert binary["Architecture"] == "all"
    assert "${python3:Depends}" in binary["Depends"]
    assert (REPO / "debian" / "source" / "format").read_text().strip() == "3.0 (quilt)"


def test_the_source_package_is_built_with_a_debian_revision():
    """A package enters Debian through unstable as upstream version + Debian revision."""
    dsc = sorted(glob.glob(str(REPO / "dist" / "bondhook_*.dsc")))
    if not dsc:
        pytest.fail("no dist/bondhook_*.dsc: run `make deb`")
    source = deb822.Dsc(Path(dsc[-1]).read_text())
    assert source["Format"] == "3.0 (quilt)"
    upstream, _, revision = source["Version"].rpartition("-")
    assert upstream and revision.isdigit()
    assert any(name.endswith(".orig.tar.gz") for name in (f["name"] for f in source["Files"]))


def test_depends_resolve_to_debian_python_packages(deb):
    control = deb822.Deb822(deb.debcontrol())
    depends = {d.split()[0] for d in control["Depends"].split(", ")}
    assert {"python3-pyroute2", "python3-dbus-next"} <= depends
    # It installs beside ifupdown or ifupdown2 (they conflict), and needs neither.
    assert not {"ifupdown", "ifupdown2", "ifenslave"} & depends
    # Nothing pulls ifupdown (ifenslave depends on it) onto a host that runs NetworkManager only.
    assert "Recommends" not in control
    assert {"ifenslave", "network-manager"} <= set(control["Suggests"].split(", "))
    assert {"ifupdown", "ifupdown2", "network-manager"} <= set(control["Enhances"].split(", "))


def test_every_hook_lands_where_the_docs_say(deb):
    files = {name.lstrip(".") for name in deb.data.tgz().getnames()}
    expected = {
        "/usr/bin/bondhook",
        "/etc/network/if-pre-up.d/bondhook",
        "/usr/lib/NetworkManager/dispatcher.d/pre-up.d/90-bondhook",
        "/usr/lib/NetworkManager/dispatcher.d/90-bondhook",
        "/usr/share/man/man8/bondhook.8.gz",
        "/usr/share/doc/bondhook/README.md.gz",
        "/usr/share/doc/bondhook/docs/design.md.gz",
        "/usr/share/doc/bondhook/docs/reliability.md.gz",
        "/usr/lib/python3/dist-packages/bondhook/ifupdown/__main__.py",  # the ifupdown hook runs it
        "/usr/lib/python3/dist-packages/bondhook/nm/dispatcher_io.py",  # the pre-up script imports it
        "/usr/lib/python3/dist-packages/bondhook/networkd/files_io.py",
        "/usr/lib/python3/dist-packages/bondhook/networkd/__main__.py",  # the boot unit runs it
        "/usr/lib/python3/dist-packages/bondhook/managers.py",
        "/usr/lib/systemd/system/bondhook-networkd.service",
        "/var/lib/ifupdown2/policy.d/bondhook.json",  # ifupdown2's system policies, under an admin's
    }
    assert expected <= files
    readme = (REPO / "README.md").read_text()
    installed = (
        "/etc/network/if-pre-up.d/bondhook",
        "/usr/lib/NetworkManager/dispatcher.d/pre-up.d/90-bondhook",
        "/usr/lib/NetworkManager/dispatcher.d/90-bondhook",
        "/usr/lib/systemd/system/bondhook-networkd.service",
        "/var/lib/ifupdown2/policy.d/bondhook.json",
    )
    for hook in installed:
        assert hook in readme
    # ifupdown reads only /etc; NetworkManager reads /usr/lib too, and a file in /etc overrides it.
    conffiles = deb.control.get_content("conffiles").decode().split()
    assert conffiles == ["/etc/network/if-pre-up.d/bondhook"]
    # 0.1.0 installed it as a conffile in /etc, where it would override the one in /usr/lib.
    migration = "rm_conffile /etc/NetworkManager/dispatcher.d/pre-up.d/90-bondhook 0.1.0-1"
    assert migration in deb.control.get_content("preinst").decode()
    # The unit is enabled on install, not started (debhelper's snippets, made from /usr/lib).
    postinst = deb.control.get_content("postinst").decode()
    assert "deb-systemd-helper enable 'bondhook-networkd.service'" in postinst
    assert "deb-systemd-invoke start" not in postinst
    # Purge takes the boot unit's record (its StateDirectory) with the package; removal already
    # takes the NetworkManager hooks' records in /run.
    postrm = deb.control.get_content("postrm").decode()
    assert "rm -rf /var/lib/bondhook" in postrm and "rm -rf /run/bondhook" in postrm


# Pedantic and experimental tags trixie's lintian gives, each looked at and kept, with why.
KEPT_TAGS = {
    "P: bondhook source: no-homepage-field": "bondhook has no web page yet; no URL is made up",
    "X: bondhook source: upstream-metadata-file-is-missing": "its fields are URLs, which do not exist yet",
    "X: bondhook source: very-long-line-length-in-source-file": "a Markdown table row (docs/reliability.md)",
}


def test_lintian_from_trixie_reports_no_errors_or_warnings(deb):
    """A package enters Debian through unstable: checked by trixie's lintian (in the lab's trixie
    root, as an unprivileged user), pedantic and experimental tags included."""
    if not (TRIXIE.root / "usr/bin/lintian").exists():
        cannot_run(f"no lintian in {TRIXIE.root} (make setup runs .ci/lab-root)")
    inside = Path(tempfile.mkdtemp(prefix="bondhook-lintian-", dir=TRIXIE.root / "tmp"))
    try:
        inside.chmod(0o755)
        for path in glob.glob(str(REPO / "dist" / "bondhook_*")):
            shutil.copy(path, inside)
        changes = f"/tmp/{inside.name}/{Path(CHANGES[-1]).name}"
        argv = ["chroot", "--userspec=nobody:nogroup", str(TRIXIE.root), "env", "-i", "PATH=/usr/bin:/bin"]
        argv += ["HOME=/tmp", "lintian", "--pedantic", "--display-experimental", changes]
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
    finally:
        shutil.rmtree(inside)
    tags = [_tag(line) for line in result.stdout.splitlines() if line[:2] in ("E:", "W:", "I:", "P:", "X:")]
    assert [tag for tag in tags if tag[:2] in ("E:", "W:")] == [], result.stdout + result.stderr
    assert set(tags) <= set(KEPT_TAGS), result.stdout


def _tag(line: str) -> str:
    """'X: bondhook source: some-tag' of a lintian line, without what the tag names."""
    words = line.split()
    package_end = next(i for i in range(1, len(words)) if words[i].endswith(":"))
    return " ".join(words[: package_end + 2])


def test_no_file_in_the_paths_policy_4_7_1_forbids(deb):
    """Debian Policy 4.7.1: nothing installed to /bin, /lib, /lib* or /sbin."""
    paths = [Path(name.lstrip(".")).parts for name in deb.data.tgz().getnames()]
    tops = {parts[1] for parts in paths if len(parts) > 1}
    assert {top for top in tops if top in ("bin", "sbin") or top.startswith("lib")} == set()
