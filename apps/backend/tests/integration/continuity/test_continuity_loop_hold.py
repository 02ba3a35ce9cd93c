"""The continuity check holds no loop (issue 79 P6): one novel's chapters made of shuffled
52-character blocks (each repeats hundreds of passages of the others) are checked on
PostgreSQL while the loop's watchdog (runtime/loop_lag.py) watches; no hold of the loop it
reports runs through the check's code on the loop's own CPU time. Before: `/health` answered
in 2.0-2.3 s meanwhile, the watchdog naming `continuity.repetitions` (each passage's quote
found by folding the whole chapter again, on the loop)."""

import asyncio
import logging
import random
import re
import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.runtime.loop_lag import WARN_AFTER, LoopLagMonitor
from tests.support.continuity import confirm, continuity_work, findings, finished

BLOCK = 52
CHAPTER = 30_000
WORDS = ("the", "ship", "moved", "slowly", "across", "river", "Mara", "looked", "back", "town")


def _block(seed: int) -> str:
    pick = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < BLOCK + 10:
        words.append(pick.choice(WORDS))
    return " ".join(words)[:BLOCK]


def shuffled_blocks(seed: int) -> str:
    """A chapter of CHAPTER characters: 40 blocks of 52, drawn at random, one a line."""
    blocks = [_block(n) for n in range(40)]
    pick = random.Random(seed)
    lines: list[str] = []
    size = 0
    while size < CHAPTER:
        lines.append(pick.choice(blocks))
        size += len(lines[-1]) + 1
    return "\n".join(lines)


def _held_by_the_check(warning: str) -> bool:
    """A watchdog warning whose stack runs through the check's code (the loop ran it when the
    stack was taken) and whose loop ran half of WARN_AFTER on a CPU since its last beat: the
    warning comes as the stall reaches WARN_AFTER, often before the loop's thread had a CPU for
    all of it on two shared cores (a stall waiting for a CPU alone, or for the GIL a thread of
    the check holds, is no hold)."""
    if "application/continuity.py" not in warning:
        return False
    ran = re.search(r"it ran (\d+) ms", warning)
    return ran is not None and float(ran[1]) >= WARN_AFTER * 1000 / 2


async def test_checking_shuffled_blocks_holds_no_loop(
    http: httpx.AsyncClient,
    clean_db: asyncpg.Pool,
    user_id: uuid.UUID,
    caplog: pytest.LogCaptureFixture,
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    # Written before the watch: the test's own CPU on the loop, late enough that the watchdog's
    # beat has not come back, was counted in the check's next hold (a clean-clone run failed
    # on 120 ms "ran" at the check's thread start: the builder's 92 ms and the check's ~28).
    texts = {chapter: shuffled_blocks(chapter) for chapter in range(1, 5)}
    monitor = LoopLagMonitor(asyncio.get_running_loop())
    caplog.set_level(logging.WARNING, logger="infinite_scribe.runtime.loop_lag")
    monitor.start()
    try:
        for chapter, text in texts.items():
            await confirm(clean_db, work, (novel_id, user_id), chapter, text)
    finally:
        monitor.stop()
    assert any(f["kind"] == "repetition" for f in await findings(http, novel_id))
    held = [r.getMessage() for r in caplog.records if "event loop held" in r.getMessage()]
    assert not [w for w in held if _held_by_the_check(w)], "\n\n".join(held)
