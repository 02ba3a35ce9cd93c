"""Every benchmark module imports: a helper moved between bench files once left bench/worker.py
and bench/agents.py failing at their first line, which no test ran. Imported in a child
interpreter with bench/ on its path, as `python bench/x.py` runs them (none runs on import)."""

import subprocess
import sys

from tests.support.paths import REPO

_IMPORT_ALL = """
import importlib, pathlib, sys
sys.path.insert(0, "bench")
for path in sorted(pathlib.Path("bench").glob("*.py")):
    try:
        importlib.import_module(path.stem)
    except Exception as error:
        print(f"{path.name}: {error!r}")
"""


def test_every_bench_module_imports() -> None:
    found = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout == "", f"bench modules that fail to import:\n{found.stdout}"
