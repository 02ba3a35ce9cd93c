"""Issue 78's cost, one JSON line: the continuity reader's CPU per chapter of the check's
synthetic text (`_continuity_cost.chapter_text`: a name and a number in every sentence, the
reader's worst prose) and `bench/continuity.py` part 3's check at the last 10 of
BENCH_CHAPTERS chapters on PostgreSQL.

Written to run from any checkout (it imports only what the checkout's own bench and source
hold), so an A/B against an older main is one command:
  python bench/ab.py ../old . 2 -- env PYTHONPATH=apps/backend/src:packages/shared-types/src \
      .venv/bin/python $PWD/bench/continuity_cost.py
"""

import asyncio
import inspect
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd() / "bench"))

from _continuity_cost import _CHARACTERS, chapter_text, check_cost
from _services import fresh_database
from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_fold import StoryState, checked, evolve, seeded
from infinite_scribe.domain.story_memory import CHAPTER_CHECKED, SEEDED

CHAPTERS = int(os.environ.get("BENCH_CHAPTERS", "1000"))


def reader_ms(measured: int = 60) -> float:
    """CPU ms of `read_for` per synthetic chapter, with the memory of 20 chapters read before."""
    language, read = read_bible(NovelBible(title="bench", characters=_CHARACTERS))
    # `seeded` took the bible's source event after dd15789: called as each checkout defines it.
    extra = [None] if len(inspect.signature(seeded).parameters) > 3 else []
    state = evolve(StoryState(0, None), SEEDED, seeded(language, read, 1, *extra))
    rng = random.Random(48)
    texts = [chapter_text(rng, number) for number in range(1, 21 + measured)]
    for number, text in enumerate(texts[:20], start=1):
        said = read_for(language, text, state.memory or {})
        state = evolve(state, CHAPTER_CHECKED, checked(number, "bench", said))
    started = time.thread_time()
    for text in texts[20:]:
        read_for(language, text, state.memory or {})
    return 1000 * (time.thread_time() - started) / measured


if __name__ == "__main__":
    reader = reader_ms()
    with fresh_database() as url:
        cost = asyncio.run(check_cost(url, CHAPTERS))
    figures = {
        "reader_ms": round(reader, 2),
        "check_first_ms": round(cost["first_ms"], 2),
        "check_last_ms": round(cost["last_ms"], 2),
        "limit_ms": round(cost["limit_ms"], 2),
    }
    print(json.dumps(figures), flush=True)
