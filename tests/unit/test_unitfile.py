"""systemd's configuration syntax as networkd reads it (conf-parser.c)."""

import pytest

from bondhook.networkd.match import read_match
from bondhook.networkd.unitfile import Entry, SyntaxProblem, last, parse


def names(text: str) -> tuple[str, ...]:
    return read_match(parse(text)).names


def test_sections_keys_and_comments():
    text = "# a comment\n; another\n\n[NetDev]\n  Name = bond0 \nKind=bond\n[Bond]\nMode=802.3ad\n"
    assert parse(text) == (
        Entry("NetDev", "Name", "bond0"),
        Entry("NetDev", "Kind", "bond"),
        Entry("Bond", "Mode", "802.3ad"),
    )


def test_a_value_keeps_inner_spaces_and_equals_signs():
    assert parse("[Network]\nDescription=a = b  c\n") == (Entry("Network", "Description", "a = b  c"),)


def test_continuation_lines_join_and_skip_comments_inside():
    text = "[Match]\nName=enp0s10 \\\n# not part of it\n  enp0s11\nKind=bond\n"
    assert names(text) == ("enp0s10", "enp0s11")


@pytest.mark.parametrize(("ending", "joined"), [("\\", True), ("\\\\", False), ("\\\\\\", True), ("\\ ", False)])
def test_a_line_continues_when_it_ends_in_an_odd_number_of_backslashes(ending, joined):
    entries = parse(f"[Match]\nDescription=a{ending}\nName=b\n")
    assert (Entry("Match", "Name", "b") not in entries) is joined


def test_repeated_single_value_takes_the_last_and_empty_resets():
    entries = parse("[NetDev]\nMACAddress=02:00:00:00:00:01\nMACAddress=02:00:00:00:00:02\n")
    assert last(entries, "NetDev", "MACAddress") == "02:00:00:00:00:02"
    assert last(parse("[NetDev]\nMACAddress=02:00:00:00:00:01\nMACAddress=\n"), "NetDev", "MACAddress") is None


def test_lists_append_and_an_empty_assignment_clears():
    assert names("[Match]\nName=a b\nName=c\nName=\nName=d\n") == ("d",)
    assert names("[Match]\nName=a b\nName=c\n") == ("a", "b", "c")


def test_a_key_is_looked_up_in_its_own_section_only():
    entries = parse("[Match]\nName=enp0s10\n[NetDev]\nName=bond0\n")
    assert last(entries, "NetDev", "Name") == "bond0"
    assert read_match(entries).names == ("enp0s10",)


def test_crlf_and_trailing_whitespace_are_tolerated():
    assert parse("[NetDev]\r\nName=bond0\r\n") == (Entry("NetDev", "Name", "bond0"),)


@pytest.mark.parametrize(
    "text",
    [
        "[NetDev]\nthis is not an assignment\nName=bond0\n",
        "Kind=bond\n[NetDev]\nName=bond0\n",
        "[NetDev]\n=bond0\nName=bond0\n",
        "[X-Mine]\nName=other\n[NetDev]\nName=bond0\n",
        "\ufeff[NetDev]\nName=bond0\n",
    ],
)
def test_lines_systemd_ignores_are_ignored_and_a_byte_order_mark_dropped(text):
    assert last(parse(text), "NetDev", "Name") == "bond0"


@pytest.mark.parametrize("header", ["[NetDev", '[Net"Dev]', "[Net\\Dev]"])
def test_a_section_header_systemd_refuses_refuses_the_file(header):
    with pytest.raises(SyntaxProblem, match="line 1 is not a valid section header"):
        parse(f"{header}\nName=bond0\n")
