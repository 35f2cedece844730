import os
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lab_out() -> Path:
    """Where guests write; LAB_OUT keeps it for inspection, else a temporary directory."""
    if os.environ.get("LAB_OUT"):
        path = Path(os.environ["LAB_OUT"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="bondhook-lab-"))
