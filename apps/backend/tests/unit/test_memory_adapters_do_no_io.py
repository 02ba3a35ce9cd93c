"""The in-memory adapters (tests/support/memory/) do no I/O: they import the standard library but
its sockets and processes, orjson, the application's ports, the domain, shared-types and each
other. Import-linter checked this while they lived in src; outside the package this test does
(issue 75). What they import is kept free of I/O by import-linter's contracts (pyproject.toml:
the application and the domain do none, shared-types imports nothing of the service)."""

import ast
import sys
from pathlib import Path

import tests.support.memory as memory

ROOT = Path(memory.__file__).parent
ALLOWED = (
    "orjson",
    "infinite_scribe.application.ports",
    "infinite_scribe.domain",
    "shared_types",
    "tests.support.memory",
)
#: The standard library's ways out of the process.
IO = {"socket", "ssl", "subprocess", "multiprocessing", "http", "urllib", "sqlite3", "ftplib"}


def imports(source: str) -> list[str]:
    """The absolute imports of a module's source (a relative one stays in the package)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def allowed(module: str) -> bool:
    top = module.partition(".")[0]
    if top in sys.stdlib_module_names:
        return top not in IO
    return any(module == name or module.startswith(name + ".") for name in ALLOWED)


def test_the_in_memory_adapters_import_nothing_that_does_io() -> None:
    found = {
        (path.name, module)
        for path in ROOT.glob("*.py")
        for module in imports(path.read_text(encoding="utf-8"))
    }
    assert len(found) >= 20, "the scan no longer finds the modules' imports"
    assert sorted((name, module) for name, module in found if not allowed(module)) == []


def test_the_check_refuses_a_driver_a_socket_and_the_sql_adapters() -> None:
    source = "import asyncpg\nimport socket\nfrom infinite_scribe.persistence.database import x"
    assert [module for module in imports(source) if not allowed(module)] == [
        "asyncpg",
        "socket",
        "infinite_scribe.persistence.database",
    ]
    assert allowed("asyncio") and allowed("infinite_scribe.application.ports.writes")
