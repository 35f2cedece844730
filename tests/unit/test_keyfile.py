"""NetworkManager's keyfiles as GKeyFile reads them, and NetworkManager's precedence of files."""

from __future__ import annotations

import uuid as uuidlib

import pytest
from hypothesis import given

from bondhook.nm import keyfile_io
from bondhook.nm.keyfile import Doubt, groups

from .nmworlds import Spec, _escape, ids, render_keyfile, write_keyfiles


def test_a_keyfile_as_networkmanager_142_writes_it():
    text = (
        "[connection]\nid=bond0\nuuid=e270b33e-d05a-477a-92c2-f2af10494168\ntype=bond\nautoconnect-slaves=1\n"
        "interface-name=bond0\ntimestamp=1795622310\n\n[ethernet]\ncloned-mac-address=02:54:00:C8:76:09\n\n"
        "[bond]\nmiimon=100\nmode=active-backup\n\n[user]\nbondhook.mac=02:54:00:c8:76:09\n"
        "bondhook.source=enp0s10=52:54:00:c8:76:09\n"
    )
    found = groups(text)
    assert found["connection"]["interface-name"] == "bond0"
    assert found["ethernet"]["cloned-mac-address"] == "02:54:00:C8:76:09"
    assert found["user"] == {"bondhook.mac": "02:54:00:c8:76:09", "bondhook.source": "enp0s10=52:54:00:c8:76:09"}


@given(ids)
def test_any_value_networkmanager_writes_reads_back(value):
    spec = Spec(str(uuidlib.UUID(int=1)), value, "bond", "bond0")
    assert groups(render_keyfile(spec))["connection"]["id"] == value
    assert groups(f"[g]\nk = {_escape(value)}\n")["g"]["k"] == value


@pytest.mark.parametrize(
    "text",
    [
        "key-before-group=1\n",
        "[connection]\nid=a\\xb\n",  # an escape GKeyFile does not have
        "[connection]\nno equals sign\n",
    ],
)
def test_what_the_reader_cannot_vouch_for_is_a_doubt(text):
    with pytest.raises(Doubt):
        groups(text)


def test_later_directory_wins_and_tombstones_hide_read_only_profiles(tmp_path):
    ro, etc, run = tmp_path / "usr-lib", tmp_path / "etc", tmp_path / "run"
    a = Spec(str(uuidlib.UUID(int=1)), "a", "bond", "bond0")
    b = Spec(str(uuidlib.UUID(int=2)), "b", "bond", "bond1")
    write_keyfiles(ro, [a, b])
    write_keyfiles(run, [Spec(a.uuid, "a in memory", "bond", "bond0")])
    etc.mkdir()
    (etc / f"{b.uuid}.nmmeta").symlink_to("/dev/null")
    found = keyfile_io.load([str(ro), str(etc), str(run)])
    assert {uuid: entry[1]["connection"]["id"] for uuid, entry in found.items()} == {a.uuid: "a in memory"}
    assert found[a.uuid][0] == str(run / f"{a.uuid}{keyfile_io.SUFFIX}")


def test_an_unreadable_or_invalid_utf8_file_is_a_doubt(tmp_path):
    (tmp_path / f"x{keyfile_io.SUFFIX}").write_bytes(b"[connection]\nid=\xff\nuuid=u\n")
    with pytest.raises(Doubt):
        keyfile_io.load([str(tmp_path)])
