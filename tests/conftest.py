import pytest

from bondhook.runtime import deadline_io


@pytest.fixture(autouse=True)
def fresh_budget():
    """Each test starts as a new bondhook process would: with a whole budget."""
    deadline_io.start(deadline_io.CLI_SECONDS)
