"""The house's size rules, kept by a test rather than by memory: no module over 400 lines (the
service's, its tests' and its benches'), no function of the service over 50 (stop 99 found
`text/reading_en.py` at 405 lines, and its own walk's test module at 528, unnoticed)."""

import ast
from pathlib import Path

import pytest

import infinite_scribe

SOURCE = Path(infinite_scribe.__file__).parent
REPOSITORY = SOURCE.parents[3]
#: Every folder of Python the house keeps (the service first: the function rule reads it alone).
FOLDERS = (SOURCE, REPOSITORY / "apps/backend/tests", REPOSITORY / "bench")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


def _modules() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def test_the_source_is_found() -> None:
    assert len(_modules()) > 100  # a wrong folder would pass the rules below with nothing read


def test_no_module_is_over_400_lines() -> None:
    paths = [path for folder in FOLDERS for path in sorted(folder.rglob("*.py"))]
    assert len(paths) > 400  # the tests and the benches are found too
    sizes = {path: len(path.read_text("utf-8").splitlines()) for path in paths}
    over = {
        str(path.relative_to(REPOSITORY)): n for path, n in sizes.items() if n > MAX_MODULE_LINES
    }
    assert over == {}


@pytest.mark.corpus  # every module parsed: half a second, the corpus tier's (make corpus)
def test_no_function_is_over_50_lines() -> None:
    over = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    over.append(f"{path.relative_to(SOURCE)}:{node.name} ({size})")
    assert over == []
