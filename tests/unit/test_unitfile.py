"""systemd's configuration syntax as networkd reads it (conf-parser.c)."""

import re

import pytest

from bondhook.networkd.unitfile import Entry, SyntaxProblem, last, listed, parse


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
    assert listed(parse(text), "Match", "Name") == ("enp0s10", "enp0s11")


def test_repeated_single_value_takes_the_last_and_empty_resets():
    entries = parse("[NetDev]\nMACAddress=02:00:00:00:00:01\nMACAddress=02:00:00:00:00:02\n")
    assert last(entries, "NetDev", "MACAddress") == "02:00:00:00:00:02"
    assert last(parse("[NetDev]\nMACAddress=02:00:00:00:00:01\nMACAddress=\n"), "NetDev", "MACAddress") is None


def test_lists_append_and_an_empty_assignment_clears():
    entries = parse("[Match]\nName=a b\nName=c\nName=\nName=d\n")
    assert listed(entries, "Match", "Name") == ("d",)
    assert listed(parse("[Match]\nName=a b\nName=c\n"), "Match", "Name") == ("a", "b", "c")


def test_a_key_is_looked_up_in_its_own_section_only():
    entries = parse("[Match]\nName=enp0s10\n[NetDev]\nName=bond0\n")
    assert last(entries, "NetDev", "Name") == "bond0"
    assert listed(entries, "Match", "Name") == ("enp0s10",)


def test_crlf_and_trailing_whitespace_are_tolerated():
    assert parse("[NetDev]\r\nName=bond0\r\n") == (Entry("NetDev", "Name", "bond0"),)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[NetDev]\nthis is not an assignment\n", "line 2 is not KEY=VALUE"),
        ("Name=bond0\n", "line 1 comes before any [Section]"),
        ("[NetDev\nName=bond0\n", "line 1 is not a section header"),
        ("[NetDev]\n=bond0\n", "line 2 is not KEY=VALUE"),
    ],
)
def test_bad_lines_name_their_number(text, problem):
    with pytest.raises(SyntaxProblem, match=re.escape(problem)):
        parse(text)
