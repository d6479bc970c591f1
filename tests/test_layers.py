"""The layering: a lower layer never imports a higher one, and nothing imports the tests.

config < textanalysis < extractors, sources < warehouse < reporting < flows < presswatch (CLI).
Packages on one level may import each other. ``testsupport`` (shared by tests and bench) and
the packages under test never import ``tests`` or ``bench``; ``bench`` never imports ``tests``.
Imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "config": 0,
    "textanalysis": 1,
    "extractors": 2,
    "sources": 2,
    "warehouse": 3,
    "reporting": 4,
    "flows": 5,
    "presswatch": 6,
}
APPLICATION = [*LAYERS, "testsupport"]


def imported_packages(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str, allowed: Callable[[str], bool]) -> list[str]:
    out = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, imported in imported_packages(path.read_text(encoding="utf-8")):
            if not allowed(imported):
                out.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    return out


def layer_allows(package: str) -> Callable[[str], bool]:
    def allowed(imported: str) -> bool:
        if imported in ("tests", "bench"):
            return False
        return imported not in LAYERS or LAYERS[imported] <= LAYERS[package]

    return allowed


@pytest.mark.parametrize("package", list(LAYERS))
def test_a_layer_imports_only_its_own_level_and_below(package: str) -> None:
    assert violations(package, layer_allows(package)) == []


@pytest.mark.parametrize("package", APPLICATION)
def test_application_packages_never_import_tests_or_bench(package: str) -> None:
    assert violations(package, lambda imported: imported not in ("tests", "bench")) == []


def test_bench_never_imports_tests() -> None:
    assert violations("bench", lambda imported: imported != "tests") == []


def test_the_check_sees_imports_at_any_depth() -> None:
    source = "import config\ndef f():\n    from flows.common import x\n"
    assert imported_packages(source) == [(1, "config"), (3, "flows")]
    assert not layer_allows("warehouse")("flows")
    assert layer_allows("flows")("warehouse")
    assert layer_allows("sources")("extractors")  # one level
    assert not layer_allows("presswatch")("tests")
