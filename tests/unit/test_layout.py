"""The layout docs/design.md maps, held: which package may import which, pure modules free of I/O,
no import circles, no file over 300 lines. Read from the source (ast), nothing imported."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "bondhook"
MANAGERS = {"ifupdown", "ifupdown2", "nm", "networkd"}
SHARED = {"rules", "errors", "runtime", "kernel"}
# What each part of bondhook may import (besides itself); the table in docs/design.md.
MAY_IMPORT = {
    "rules": set(),
    "errors": set(),
    "runtime": {"rules", "errors"},
    "kernel": {"rules", "errors", "runtime"},
    "wire": {"rules", "errors", "runtime"},
    **{manager: SHARED for manager in MANAGERS},
    "ifupdown2": {*SHARED, "ifupdown"},  # the same stanzas and hook as ifupdown, another parser
    "managers": {"rules", *MANAGERS},
    "cli": {"rules", "errors", "runtime", "kernel", "wire", "managers", *MANAGERS},
    "__main__": {"cli"},
    "__init__": set(),
}
# The standard library's and the dependencies' ways to reach the system: none in a pure module.
IO_MODULES = {"os", "sys", "socket", "_socket", "subprocess", "fcntl", "select", "asyncio", "time", "shutil",
              "tempfile", "pathlib", "io", "array", "dbus_next", "pyroute2"}  # fmt: skip
LINE_LIMIT = 300


def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(SRC).with_suffix("").parts): path for path in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (a lazy import is still one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def ours(name: str, known: dict[str, Path]) -> str | None:
    """The bondhook module an import names (`from bondhook.nm import profile` names two)."""
    return name if name in known and name != "bondhook" else None


def part(module: str) -> str:
    """The part of bondhook a module belongs to: its package, or its own name at the top."""
    return module.split(".")[1]


def is_pure(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return not leaf.endswith("_io") and leaf != "__main__"


KNOWN = modules()
GRAPH = {
    module: {m for name in imports(path) if (m := ours(name, KNOWN)) and m != module} for module, path in KNOWN.items()
}


@pytest.mark.parametrize("module", sorted(KNOWN))
def test_each_module_imports_only_what_its_package_may(module):
    # An entry point (`python3 -m bondhook.networkd`) may hand over to the command line.
    entry = {"cli"} if module.endswith(".__main__") else set()
    allowed = {part(module)} | MAY_IMPORT[part(module)] | entry
    assert {m for m in GRAPH[module] if part(m) not in allowed} == set()


@pytest.mark.parametrize("module", sorted(m for m in KNOWN if is_pure(m)))
def test_a_pure_module_reaches_no_system_and_no_edge(module):
    names = imports(KNOWN[module])
    assert {name for name in names if name.split(".")[0] in IO_MODULES} == set()
    assert {m for m in GRAPH[module] if not is_pure(m) and part(m) != "managers"} == set()


def test_a_manager_package_imports_no_other_manager_but_ifupdown2_its_elder():
    crossing = {
        (part(m), part(o)) for m in GRAPH for o in GRAPH[m] if part(m) in MANAGERS and part(o) in MANAGERS - {part(m)}
    }
    assert crossing <= {("ifupdown2", "ifupdown")}


def test_no_import_circles():
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for other in GRAPH[module]:
                visit(other, (*path, module))
            done.add(module)

    for module in KNOWN:
        visit(module, ())


def test_no_file_over_the_limit():
    assert {m: n for m, p in KNOWN.items() if (n := len(p.read_text().splitlines())) > LINE_LIMIT} == {}


def test_every_manager_is_listed_and_answers_the_interface():
    from bondhook import managers

    assert {manager.edge.split(".")[1] for manager in managers.MANAGERS} == MANAGERS
    for manager in managers.MANAGERS:
        edge = managers.edge(manager)
        assert callable(edge.read_config)
        for command, function in ((manager.sync, "run_sync"), (manager.release, "run_release")):
            assert command is None or callable(getattr(edge, function))
