"""README, man page and --help say the same as the code: every option, key and command."""

from pathlib import Path

import pytest

from bondhook.cli.parser import build_parser
from bondhook.rules.options import NM_KEYS, OPTIONS

REPO = Path(__file__).resolve().parents[2]
MAN = (REPO / "man" / "bondhook.8").read_text().replace("\\-", "-")
README = (REPO / "README.md").read_text()
COMMANDS = tuple(build_parser()._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("doc", [MAN, README], ids=["man", "readme"])
def test_docs_name_every_option_key_and_command(doc):
    for option in OPTIONS:
        assert option.name in doc
    for key in NM_KEYS:
        assert key.key in doc
    for command in COMMANDS:
        assert command in doc


def test_commands():
    assert set(COMMANDS) == {
        *("status", "check", "derive", "apply"),
        *("nm-sync", "nm-release", "networkd-sync", "networkd-release"),
    }
