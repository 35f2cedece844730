import pytest

from bondhook.rules.names import is_ifname
from bondhook.rules.options import AUTO, BOND_DERIVE_MAC, OFF, OPTIONS, Choice, parse_choice


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        (None, OFF),
        ("", OFF),
        ("no", OFF),
        ("NO", OFF),
        ("yes", AUTO),
        (" Yes ", AUTO),
        ("enp0s10", Choice(True, "enp0s10")),
    ],
)
def test_parse_choice(text, choice):
    assert parse_choice(text) == choice


@pytest.mark.parametrize("text", ["eth0 eth1", "../etc", "a" * 16, "$(reboot)", "eth0;ls", ".."])
def test_bad_values_name_the_option_and_the_fix(text):
    with pytest.raises(ValueError, match=r"bond-derive-mac value .* is not one of yes \| no \| <port>; write e.g."):
        parse_choice(text)


def test_ifname_rules():
    assert is_ifname("bond0.100") and is_ifname("enp0s10")
    assert not is_ifname("") and not is_ifname("a/b") and not is_ifname(".") and not is_ifname("a b")


def test_table_declares_env_names():
    assert BOND_DERIVE_MAC.env == "IF_BOND_DERIVE_MAC"
    assert BOND_DERIVE_MAC in OPTIONS
