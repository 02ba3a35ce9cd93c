"""The loop's holds in a model run (issue 77): `LLM_LOCAL_MODEL=smollm2 scribe up` (`make model`
first), an idea through the five Genesis stages and BENCH_CHAPTERS chapters over the HTTP API,
the log read at DEBUG. Prints each hold of the loop over 100 ms the watchdog logged
(runtime/loop_lag.py): the code's (WARNING: its thread ran, slept or blocked) and the machine's
(DEBUG: its thread waited for a CPU, or the loop sat in its poll while another thread held the
GIL), grouped by holder. The target: no hold of the code's from the pipeline's own code.

Usage: python bench/model_holds.py   (BENCH_CHAPTERS=1, BENCH_REPLY_TOKENS=512, BENCH_STAGES=5)
"""

import asyncio
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.local_engine import unavailable
from tests.support.model_walk import STAGES, draft_chapter, followed, walk_genesis
from tests.support.scribe_up import ScribeUp

CHAPTERS = int(os.environ.get("BENCH_CHAPTERS", "1"))
#: The Genesis stages walked (the first N of the five; fewer than five: no chapter).
STAGE_COUNT = int(os.environ.get("BENCH_STAGES", "5"))
IDEA = (
    "Elias Thorne, a lighthouse keeper on a storm-beaten island, finds a letter dated one year "
    "in the future, written in his own hand."
)
HELD = re.compile(r"held for (\d+) ms so far.*?, by (.*)$")


async def walk(up: ScribeUp) -> float:
    services = up.wait_healthy(180)
    headers = {"Authorization": f"Bearer {up.token()}"}
    async with httpx.AsyncClient(
        base_url=services["api_url"], headers=headers, timeout=httpx.Timeout(120)
    ) as http:
        started = time.monotonic()
        done = await walk_genesis(http, IDEA, within=1200, stages=STAGES[:STAGE_COUNT])
        if CHAPTERS and len(STAGES) == STAGE_COUNT:
            assert done.novel_id is not None
            async with followed(http, done.novel_id) as drafts:
                for chapter in range(1, CHAPTERS + 1):
                    await draft_chapter(http, done, chapter, drafts, within=1200)
        return time.monotonic() - started


def holds(output: str) -> list[tuple[str, int, str]]:
    """(level, ms, holder) of each watchdog line."""
    found = []
    for line in output.splitlines():
        if not line.startswith("{") or "event loop held" not in line:
            continue
        record = orjson.loads(line)
        matched = HELD.search(record["message"])
        if matched:
            found.append((record["level"], int(matched[1]), matched[2]))
    return found


def main() -> None:
    reason = unavailable()
    if reason:
        sys.exit(f"no local model engine: {reason}")
    environment = {
        "LLM_LOCAL_MODEL": "smollm2",
        "LLM_REPLY_TOKENS": os.environ.get("BENCH_REPLY_TOKENS", "512"),
        "LLM_TIMEOUT_SECONDS": "900",
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "json",
    }
    with ScribeUp(**environment) as up:
        try:
            seconds = asyncio.run(walk(up))
        except BaseException:
            print(up.output[-3000:], file=sys.stderr)
            raise
        up.stop()
        found = holds(up.output)
    chapters = CHAPTERS if len(STAGES) == STAGE_COUNT else 0
    print(f"model run: {STAGE_COUNT} stages and {chapters} chapter(s) in {seconds:.0f} s")
    for level in ("WARNING", "DEBUG"):
        mine = [(ms, holder) for lvl, ms, holder in found if lvl == level]
        kind = "the code's" if level == "WARNING" else "the machine's"
        print(f"{kind} holds over 100 ms ({level}): {len(mine)}")
        by_holder = Counter(holder.split(" (")[0].split(", from")[0] for _, holder in mine)
        for ms, holder in mine if level == "WARNING" else []:
            print(f"  {ms} ms: {holder}")
        for holder, count in by_holder.most_common(12):
            worst = max(ms for ms, h in mine if h.startswith(holder))
            print(f"  {count:>3} x (worst {worst} ms) {holder}")


if __name__ == "__main__":
    main()
