"""An A/B in one run: a bench run in two checkouts, alternating A B B A per round so that a drift
of the machine's load cancels out; every run's last JSON line is kept, and one JSON line holds
both sides.

Usage: python bench/ab.py OLD_CHECKOUT NEW_CHECKOUT ROUNDS -- COMMAND [ARGS...]
  e.g. python bench/ab.py ../old . 2 -- .venv/bin/python bench/relay.py --mode logical
Each checkout runs COMMAND from its own directory (so `.venv/bin/python` is its own);
BENCH_* variables pass through. Each run's whole output goes to $AB_OUT (default ./ab-results).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def last_json(output: str) -> dict[str, Any] | None:
    """The last line of a bench's output that is a JSON object: its figures."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                found = json.loads(line)
            except ValueError:
                continue
            if isinstance(found, dict):
                return found
    return None


def run(side: str, checkout: Path, command: list[str], log: Path) -> dict[str, Any] | None:
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    log.write_text(f"== {side} load {load:.1f} rc={done.returncode}\n{done.stdout}{done.stderr}")
    figures = last_json(done.stdout)
    print(f"{log.name}: rc={done.returncode} {seconds:.1f}s {json.dumps(figures)}", flush=True)
    return figures


def main(argv: list[str]) -> int:
    if len(argv) < 5 or argv[3] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    checkouts = {"old": Path(argv[0]).resolve(), "new": Path(argv[1]).resolve()}
    rounds, command = int(argv[2]), argv[4:]
    out = Path(os.environ.get("AB_OUT", "ab-results")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any] | None]] = {"old": [], "new": []}
    number = 0
    for _ in range(rounds):
        for side in ("old", "new", "new", "old"):
            number += 1
            log = out / f"{number:02d}-{side}.log"
            results[side].append(run(side, checkouts[side], command, log))
    print(json.dumps({"bench": "ab", "command": command, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
