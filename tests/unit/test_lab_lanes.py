"""`make test` runs each lab module exactly once: the demo first, every other one in one lane."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def makefile_list(name: str) -> list[str]:
    match = re.search(rf"^{name} = (.*)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert match, name
    return match.group(1).split()


def test_every_lab_module_is_in_the_demo_step_or_in_one_lane():
    planned = [*makefile_list("LAB_DEMO"), *makefile_list("LAB_LANE_1"), *makefile_list("LAB_LANE_2")]
    modules = sorted(str(path.relative_to(REPO)) for path in (REPO / "tests" / "lab").glob("test_*.py"))
    assert sorted(planned) == modules
