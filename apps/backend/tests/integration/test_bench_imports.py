"""Every benchmark module imports: a helper moved between bench files once left bench/worker.py
and bench/agents.py failing at their first line, which no test ran. Imported in a child
interpreter with bench/ on its path, as `python bench/x.py` runs them (none runs on import)."""

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_the_ab_runs_each_side_in_its_own_checkout_a_b_b_a(tmp_path: Path) -> None:
    """bench/ab.py: each side's runs happen in its checkout, in the order old new new old, and
    the closing line holds each run's last JSON line."""
    old, new = tmp_path / "old", tmp_path / "new"
    for checkout in (old, new):
        checkout.mkdir()
        (checkout / "side.txt").write_text(checkout.name)
    command = (
        "import json, pathlib; print('{not json');"
        "print(json.dumps({'side': pathlib.Path('side.txt').read_text()}))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "bench/ab.py",
            str(old),
            str(new),
            "1",
            "--",
            sys.executable,
            "-c",
            command,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"AB_OUT": str(tmp_path / "out")},
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["old"] == [{"side": "old"}, {"side": "old"}]
    assert summary["new"] == [{"side": "new"}, {"side": "new"}]
    logs = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert logs == ["01-old.log", "02-new.log", "03-new.log", "04-old.log"]
