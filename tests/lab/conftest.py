import os
import tempfile
from pathlib import Path

import pytest

from .vm import RELEASES, Release, require_lab


@pytest.fixture(scope="session")
def lab_out() -> Path:
    """Where guests write; LAB_OUT keeps it for inspection, else a temporary directory."""
    if os.environ.get("LAB_OUT"):
        path = Path(os.environ["LAB_OUT"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="bondhook-lab-"))


@pytest.fixture(scope="module", params=RELEASES, ids=lambda release: release.name)
def release(request: pytest.FixtureRequest) -> Release:
    """Every lab scenario runs on each release (`-k trixie` picks one); its guests boot that
    release's kernel and root."""
    require_lab(request.param)
    return request.param
