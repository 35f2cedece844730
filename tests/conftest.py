import pytest

from bondhook import deadline


@pytest.fixture(autouse=True)
def fresh_budget():
    """Each test starts as a new bondhook process would: with a whole budget."""
    deadline.start(deadline.CLI_SECONDS)
