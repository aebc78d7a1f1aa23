"""The repository package imports without circles: each module loads first in a fresh interpreter.

A circle (base -> field_crypto -> data_keys -> base) works only while an
import hides inside a function and the modules happen to load in one order;
imported first from elsewhere, one of them meets the other half-built.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "portal" / "dynamo"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """The portal.dynamo modules ``module`` imports, at the top or inside functions (not for type checking)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "portal.dynamo":
                    found.update(alias.name for alias in child.names if alias.name in MODULES)
                elif child.module.startswith("portal.dynamo."):
                    found.add(child.module.split(".")[2])
            elif isinstance(child, ast.Import):
                found.update(
                    alias.name.split(".")[2] for alias in child.names if alias.name.startswith("portal.dynamo.")
                )
            visit(child)

    visit(ast.parse((PACKAGE / f"{module}.py").read_text()))
    found.discard(module)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph``, as the modules along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := walk(target)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycle({"base": {"field_crypto"}, "field_crypto": {"data_keys"}, "data_keys": {"base"}}) == [
        "base",
        "field_crypto",
        "data_keys",
        "base",
    ]
    assert _cycle({"base": {"repository"}, "data_keys": {"repository"}, "repository": set()}) is None


def test_no_module_of_the_repository_package_imports_itself_through_others() -> None:
    graph = {module: _imports(module) for module in MODULES}
    assert graph["base"] >= {"field_crypto"} and "base" not in graph["data_keys"]
    assert _cycle(graph) is None


@pytest.mark.parametrize("module", ["base", "data_keys", "field_crypto", "repository"])
def test_the_modules_that_were_in_a_circle_each_import_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import portal.dynamo.{module}"],
        cwd=PACKAGE.parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
