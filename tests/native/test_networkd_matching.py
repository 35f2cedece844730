"""Which .network systemd-networkd applies to each link, and which port bondhook therefore derives
from, proven against Debian's own systemd-networkd over generated configurations: globs, classes
and escapes, alternative names, MAC spellings, resets, drop-ins, masks, file order across /etc,
/run and /usr/lib, keys bondhook cannot evaluate, byte-order marks and continuation lines.

Natively, no qemu: the judge (networkd_judge.py) runs networkd in a private network and mount
namespace on veth links. Each decision bondhook makes must be networkd's; where bondhook says it
cannot tell (a file first in order conditions on a key it cannot evaluate), networkd's choice must
be one it named as possible, and the count is printed with the reasons.
"""

import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.system

JUDGE = Path(__file__).with_name("networkd_judge.py")
NETWORKD = "/lib/systemd/systemd-networkd"
EXAMPLES = int(os.environ.get("BONDHOOK_NETWORKD_EXAMPLES", "300"))
# veth pairs: (name, MAC, alternative names) for each end. Names carry glob characters, since an
# interface name may (the kernel refuses only '/', ':', whitespace and names over 15 bytes).
LINKS = [
    {"ends": [["eth0", "52:54:00:00:00:01", []], ["eth1", "52:54:00:00:00:02", ["enp1s0f1"]]]},
    {"ends": [["ens3", "02:00:00:00:00:03", ["alt-[3]"]], ["a[b]", "52:54:00:ab:cd:ef", []]]},
    {"ends": [["we*rd\\x", "52:54:00:00:10:0a", []], ["x?y!", "52:54:00:00:10:0b", ["port-x"]]]},
    {"ends": [["enp0s10", "0a:1b:2c:3d:4e:5f", ["eno1", "enx0a1b2c3d4e5f"]], ["eth10", "52:54:00:0a:0b:0c", []]]},
]
DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/lib/systemd/network")
STEMS = ("05-a", "10-b", "10-b", "20-c", "50-d", "99-z")
NAMES = [name for pair in LINKS for end in pair["ends"] for name in (end[0], *end[2])] + ["lo"]
MACS = [end[1] for pair in LINKS for end in pair["ends"]]
GLOBS = ["*", "?", "[0-9]", "[^0]", "[!a-c]", "[[:digit:]]", "[[:alpha:]]", "[]a]", "[", "\\*", "\\", "[!]]"]
UNEVALUATED = [("Driver", "veth"), ("Kind", "veth"), ("Type", "ether"), ("Path", "*"), ("Virtualization", "no"),
               ("Host", "*"), ("Property", "ID_BUS=pci")]  # fmt: skip

STATS: collections.Counter = collections.Counter()
UNSURE: collections.Counter = collections.Counter()
DISAGREE: list = []


def _spell(mac: str, how: int) -> str:
    octets = mac.split(":")
    return [
        mac,
        mac.upper(),
        "-".join(octets),
        ".".join("".join(octets[i : i + 2]) for i in (0, 2, 4)),
        ":".join(o.lstrip("0") or "0" for o in octets),
        "".join(octets),
        mac + ":",
        "1.2.3.4",
        "00:00:00:00:00:00",
        "0:0:0:0:0:0:0:0",
        mac.replace(":", "-", 1),
    ][how]


@st.composite
def name_word(draw) -> str:
    base = draw(st.sampled_from(NAMES))
    edit = draw(st.integers(0, 6))
    if edit == 1:
        base = base[: draw(st.integers(0, len(base)))] + "*"
    elif edit == 2:
        at = draw(st.integers(0, len(base) - 1))
        base = base[:at] + draw(st.sampled_from(GLOBS)) + base[at + 1 :]
    elif edit == 3:
        base = draw(st.sampled_from(["123", "a/b", "x" * 130, ".", "eth0:1", "%d", "!", '"eth0"', "'eth1 eth0'"]))
    if draw(st.integers(0, 5)) == 0:
        base = "!" + base
    return base


@st.composite
def value(draw, key: str) -> str:
    if draw(st.integers(0, 9)) == 0:
        return ""
    if key == "Name":
        words = draw(st.lists(name_word(), min_size=1, max_size=3))
    else:
        words = [_spell(draw(st.sampled_from(MACS)), draw(st.integers(0, 10))) for _ in range(draw(st.integers(1, 2)))]
    return draw(st.sampled_from([" ", "  ", "\t"])).join(words)


@st.composite
def match_lines(draw) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 13))
        if kind <= 6:
            lines.append(f"Name={draw(value('Name'))}")
        elif kind <= 8:
            key = draw(st.sampled_from(["MACAddress", "PermanentMACAddress"]))
            lines.append(f"{key}={draw(value(key))}")
        elif kind == 9:
            key, word = draw(st.sampled_from(UNEVALUATED))
            lines.append(f"{key}={draw(st.sampled_from([word, '']))}")
        elif kind == 10:
            lines.append(draw(st.sampled_from(["# Name=eth0", "; Name=*", "Nmae=eth0", "garbage", "=eth0"])))
        elif kind == 11:
            lines.append(f"Name={draw(name_word())} \\\n  {draw(name_word())}")
        elif kind == 12:
            lines.append(f"Name={draw(name_word())}\\\\")
        else:
            lines.append(f"Name={draw(name_word())} \\")
    return lines


@st.composite
def text(draw) -> str:
    bom = "\ufeff" if draw(st.integers(0, 7)) == 0 else ""
    head = draw(st.sampled_from(["[Match]", "[Match]", "[Match]", " [Match] ", "[Network]\nBond=bond0\n[Match]",
                                 "[Match", '[Ma"tch]', "[]\nName=*\n[Match]", "Name=*\n[Match]"]))  # fmt: skip
    return bom + head + "\n" + "".join(f"{line}\n" for line in draw(match_lines())) + "[Network]\nBond=bond0\n"


@st.composite
def configuration(draw) -> dict:
    files: dict[str, str | None] = {}
    for _ in range(draw(st.integers(1, 5))):
        path = f"{draw(st.sampled_from(DIRS))}/{draw(st.sampled_from(STEMS))}.network"
        files[path] = None if draw(st.integers(0, 15)) == 0 else draw(text())
        for _ in range(draw(st.integers(0, 1))):
            dropin = f"{draw(st.sampled_from(DIRS))}/{path.rsplit('/', 1)[1]}.d/{draw(st.sampled_from('ab'))}.conf"
            files[dropin] = "[Match]\n" + "".join(f"{line}\n" for line in draw(match_lines()))
    return files


@pytest.fixture(scope="module")
def judge():
    if os.geteuid() != 0 or not os.path.exists(NETWORKD) or not shutil.which("unshare"):
        pytest.skip("needs root, unshare and systemd-networkd")
    argv = ["unshare", "--net", "--mount", "--propagation", "private", sys.executable, "-I", str(JUDGE)]
    proc = subprocess.Popen([*argv, json.dumps(LINKS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready = json.loads(proc.stdout.readline())
    assert set(NAMES) - {"enp1s0f1", "alt-[3]", "port-x", "eno1", "enx0a1b2c3d4e5f"} <= set(ready["ready"])
    yield proc
    proc.stdin.close()
    proc.wait(30)


def _ask(judge, files: dict) -> dict:
    judge.stdin.write(json.dumps(files) + "\n")
    judge.stdin.flush()
    line = judge.stdout.readline()
    assert line, "the judge stopped (its error is above)"
    return json.loads(line)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=configuration())
def test_bondhook_applies_the_file_networkd_applies_to_every_link(judge, files):
    answer = _ask(judge, files)
    assert answer["bondhook"]["problems"] == []
    wrong = []
    for link, networkd in answer["networkd"].items():
        ours = answer["bondhook"]["decisions"][link]
        STATS["decisions"] += 1
        if ours["unsure"]:
            STATS["unknown"] += 1
            UNSURE.update(ours["why"][:1])
            if networkd not in [ours["file"], *ours["unsure"]]:
                wrong.append((link, networkd, ours))
        elif ours["file"] != networkd:
            wrong.append((link, networkd, ours))
    DISAGREE.extend(wrong)
    assert not wrong


def test_at_least_1000_decisions_compared_and_none_differ():
    print(f"\nnetworkd matching: {STATS['decisions']} link decisions, {len(DISAGREE)} disagreements, "
          f"{STATS['unknown']} unknown to bondhook ({dict(UNSURE)})")  # fmt: skip
    assert STATS["decisions"] >= 1000
    assert not DISAGREE
