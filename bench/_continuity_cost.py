"""What one chapter's continuity check costs on PostgreSQL as the book grows (bench/continuity.py,
part 3): a synthetic book confirmed chapter after chapter and checked as the worker does."""

import random
import statistics
import time
import uuid
from typing import Any

from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.application.ports.writes import Write
from infinite_scribe.domain.chapters import AGGREGATE_TYPE, CONFIRMED
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.tasks.checks import PostgresCheckLedger
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata

NAMES = ["Mara Quinn", "Ilya Brandt", "Tess Arden", "Owen Pike"]
_WORDS = [
    "harbour",
    "tide",
    "lantern",
    "rope",
    "salt",
    "ledger",
    "quay",
    "storm",
    "gull",
    "anchor",
    "mast",
    "sail",
    "fog",
    "bell",
    "net",
    "oar",
    "reef",
    "lamp",
    "cask",
    "chart",
    "wind",
    "keel",
    "hull",
    "pier",
    "deck",
]
_CHARACTERS = {"characters": [{"name": n, "description": f"{n} has red hair."} for n in NAMES]}


def chapter_text(rng: random.Random, number: int, size: int = 3_000) -> str:
    """~`size` characters of prose-like text naming the cast (never contradicting it)."""
    sentences = []
    while sum(map(len, sentences)) < size:
        who = rng.choice(NAMES).split(" ")[0]
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16)))
        sentences.append(f"{who} watched the {words} of chapter {number}.")
    return " ".join(sentences)


def _confirmed(novel_id: uuid.UUID, user_id: uuid.UUID, number: int, text: str) -> EventEnvelope:
    return EventEnvelope(
        event_type=CONFIRMED,
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=str(novel_id),
        aggregate_version=number,
        payload={"chapter": number, "text": text, "edited": False},
        metadata=EventMetadata(user_id=str(user_id), source_service="bench"),
    )


async def check_cost(url: str, chapters: int) -> dict[str, Any]:
    """Mean ms of a check at chapters 10-19 and at the last 10, and of the limit (the event's
    INSERT), for a book of `chapters` chapters."""
    pool = await create_pool(url, min_size=1, max_size=4)
    novel_id, user_id = uuid.uuid4(), uuid.uuid4()
    await pool.execute(
        "INSERT INTO novels (id, user_id, title, characters) VALUES ($1, $2, 'bench', $3)",
        novel_id,
        user_id,
        _CHARACTERS,
    )
    composer = WriteComposer("bench-continuity")
    uow = unit_of_work(pool, composer)
    # As the worker runs it: the check taken at its start (decision 7101).
    work = ContinuityWork(
        uow, "bench", "bench", read_for, read_bible, ledger=PostgresCheckLedger(pool)
    )
    rng = random.Random(48)
    checks, inserts, again = [], [], []
    events = []
    try:
        for number in range(1, chapters + 1):
            event = _confirmed(novel_id, user_id, number, chapter_text(rng, number))
            started = time.perf_counter()
            await composer.write(pool, Write(events=[event]))
            inserts.append(time.perf_counter() - started)
            started = time.perf_counter()
            await work.handle(event)
            checks.append(time.perf_counter() - started)
            events.append(event)
            if number % 100 == 0:
                print(f"  chapter {number}: check {1000 * checks[-1]:.1f} ms", flush=True)
        # A redelivery of each of the last 10 confirmations: the ledger, read with the memory
        # row, answers it (issue 70: one read, nothing else runs).
        for event in events[-10:]:
            started = time.perf_counter()
            assert not await work.handle(event)
            again.append(time.perf_counter() - started)
        size = await pool.fetchval(
            "SELECT octet_length(memory::text) FROM story_memory WHERE novel_id = $1", novel_id
        )
    finally:
        await pool.close()
    return {
        "chapters": chapters,
        # Chapters 10-19: from chapter 4 on a check compares the chapter with 3 others (fewer
        # before), so "chapter 10" is where its cost has its steady shape.
        "first_ms": 1000 * statistics.mean(checks[9:19]),
        "last_ms": 1000 * statistics.mean(checks[-10:]),
        "limit_ms": 1000 * statistics.mean(inserts[-10:]),
        "redelivery_ms": 1000 * statistics.mean(again),
        "memory_bytes": size,
    }
