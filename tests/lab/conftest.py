import os
import tempfile
from pathlib import Path

import pytest

from .vm import RELEASES, Release, in_ci_matrix, require_lab


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the lab pairs (module, release) outside `make test`'s matrix (vm.CI_RELEASE);
    LAB_MATRIX=all keeps every one. A test marked `releases(NAME, ...)` exists only on those:
    deselected elsewhere, not skipped (under CI=true a lab test may not skip)."""
    kept, dropped = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        release = spec.params.get("release") if spec else None
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        only = {name for mark in item.iter_markers("releases") for name in mark.args}
        if isinstance(release, Release) and (
            not in_ci_matrix(module, release.name) or (only and release.name not in only)
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
