"""Outside text in messages: escaped and bounded, whatever it holds."""

from hypothesis import given
from hypothesis import strategies as st

from bondhook.rules.text import LINE_LIMIT, decode, one_line, shown


def test_shown_quotes_escapes_and_bounds():
    assert shown("bond0") == "'bond0'"
    assert shown("a\nb\x1b[31m") == "'a\\nb\\x1b[31m'"
    assert shown("x" * 100_000) == "'" + "x" * 80 + "... (99920 more characters)'"


@given(st.text())
def test_one_line_never_starts_another_line_nor_runs_on(text):
    line = one_line(text)
    assert line.isprintable()
    assert len(line) <= LINE_LIMIT + len("... (99999999999 more characters)")


@given(st.binary())
def test_decode_never_raises(raw):
    assert isinstance(decode(raw), str)
