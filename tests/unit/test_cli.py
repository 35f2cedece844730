import pytest

from bondhook import cli
from bondhook.mac import Mac
from bondhook.plan import BondStatus


def test_derive(capsys):
    assert cli.main(["derive", "52:54:00:C8:76:09"]) == 0
    assert capsys.readouterr().out == "02:54:00:c8:76:09\n"


def test_derive_avoid(capsys):
    assert cli.main(["derive", "52:54:00:c8:76:09", "--avoid", "02:54:00:c8:76:09"]) == 0
    assert capsys.readouterr().out == "06:54:00:c8:76:09\n"


@pytest.mark.parametrize("mac", ["nonsense", "ff:ff:ff:ff:ff:ff"])
def test_derive_bad_input_is_one_line(capsys, mac):
    assert cli.main(["derive", mac]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1


def test_apply_refuses_bad_names(capsys):
    assert cli.main(["apply", "bond0/../x"]) == 1
    assert "not an interface name" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["apply"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_help_lists_the_option_table(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "bond-derive-mac yes | no | <port>" in out and "exit codes" in out


def test_status_text_warns_on_untraceable():
    status = BondStatus("bond2", Mac.parse("e6:a8:2a:99:65:04"), "kernel random", False, (), None, None, False, False)
    lines = cli.format_status(status)
    assert lines[0] == "bond2: e6:a8:2a:99:65:04 (kernel random)"
    assert lines[-1] == "  warning: e6:a8:2a:99:65:04 is not traceable to any port; clones may share it"
