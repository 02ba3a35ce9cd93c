"""Issue 71: how continuity checks are scheduled. Each novel's checks run in its order on a
queue of their own (one novel's long check never holds another's, nor the consumer); a check
has a time budget and says when it ran out; the re-drive publishes again, in log order, what no
check recorded, a few copies at most; the checks' threads take no lock across novels."""

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest

from infinite_scribe.agents.continuity.handler import CheckThreads, NovelChecks
from infinite_scribe.agents.continuity.redrive import MAX_REDRIVES, CheckRedrive
from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.domain.errors import StorageUnavailable
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.domain.story_memory import CHAPTER_CHECKED
from shared_types import EventEnvelope, EventMetadata
from tests.support.continuity_book import OfflineBook

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
BIBLE = NovelBible(
    title="t", characters={"characters": [{"name": "Ilya Brandt", "description": "A doctor."}]}
)


def _event(novel: str, number: int) -> EventEnvelope:
    return EventEnvelope(
        event_type="Novel.Chapter.Confirmed",
        aggregate_type="Novel",
        aggregate_id=novel,
        aggregate_version=number,
        payload={"chapter": number, "text": "x"},
        metadata=EventMetadata(user_id=str(uuid.uuid4()), source_service="test"),
    )


class _Work:
    """A check that waits for its novel's gate, and records the order it ran in."""

    consumer = "test"

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.done: list[tuple[str, int]] = []
        self.fail: dict[int, list[BaseException]] = {}

    async def handle(self, event: EventEnvelope) -> bool:
        failures = self.fail.get(event.aggregate_version)
        if failures:
            raise failures.pop(0)
        await self.gates.setdefault(event.aggregate_id, asyncio.Event()).wait()
        self.done.append((event.aggregate_id, event.aggregate_version))
        return True


async def _settled(checks: NovelChecks) -> None:
    for _ in range(200):
        if checks.waiting == 0 and not checks._tasks:
            return
        await asyncio.sleep(0)
    raise AssertionError("checks never settled")


async def test_a_novel_waiting_on_its_check_holds_no_other_novel() -> None:
    work = _Work()
    checks = NovelChecks(work, AgentMetrics(), lambda e: isinstance(e, StorageUnavailable))  # type: ignore[arg-type]
    for number in (1, 2, 3):
        await checks.put(_event("A", number))
    await checks.put(_event("B", 1))
    work.gates.setdefault("B", asyncio.Event()).set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert work.done == [("B", 1)]  # A's first check still waits; B's is done
    work.gates["A"].set()
    await _settled(checks)
    assert work.done == [("B", 1), ("A", 1), ("A", 2), ("A", 3)]  # A's in its order
    await checks.close()


@pytest.mark.usefixtures("loop_clock")  # the retry's pause passes on the loop's clock
async def test_a_failed_check_is_left_to_the_redrive_and_a_transient_one_retried() -> None:
    work = _Work()
    metrics = AgentMetrics()
    checks = NovelChecks(work, metrics, lambda e: isinstance(e, StorageUnavailable))  # type: ignore[arg-type]
    work.gates.setdefault("A", asyncio.Event()).set()
    work.fail = {1: [ValueError("poison")], 2: [StorageUnavailable("down")]}
    loop = asyncio.get_running_loop()
    began = loop.time()
    await checks.put(_event("A", 1))
    await checks.put(_event("A", 2))
    await asyncio.wait_for(asyncio.gather(*checks._tasks.values()), 10)
    assert work.done == [("A", 2)]
    assert loop.time() - began >= 1.0  # the transient failure was retried after a pause
    assert metrics.continuity.labels("failed")._value.get() == 1
    await checks.close()


async def test_the_check_threads_run_two_novels_at_once() -> None:
    threads = CheckThreads(2)
    first_in, second_done = threading.Event(), threading.Event()

    def first() -> bool:
        first_in.set()
        return second_done.wait(10)  # holds its thread until the second ran

    def second() -> None:
        first_in.wait(10)
        second_done.set()

    held = asyncio.ensure_future(threads(first))
    await threads(second)
    assert await held
    threads.close()


async def test_a_check_past_its_budget_records_what_it_has_and_says_so() -> None:
    ticks = iter(range(0, 10_000, 10))
    book = OfflineBook(BIBLE)
    book.work.budget = (5.0, lambda: float(next(ticks)))  # each look at the clock: 10 s on
    await book.confirm(1, DIES)
    [checked] = [e for e in book.db.tables.events if e.event_type == CHAPTER_CHECKED]
    assert checked.payload["incomplete"] == "budget"
    assert checked.payload["read"]["facts"] == []
    on_time = OfflineBook(BIBLE)
    await on_time.confirm(1, DIES)
    [complete] = [e for e in on_time.db.tables.events if e.event_type == CHAPTER_CHECKED]
    assert "incomplete" not in complete.payload and complete.payload["read"]["facts"]


class _Backlog:
    """The log's continuity events: (id, event id, checked)."""

    def __init__(self, rows: list[tuple[int, str, bool]]) -> None:
        self.rows = rows
        self.published: list[str] = []

    async def page(
        self, consumer: str, after: int, ages: tuple[float, float], limit: int
    ) -> list[tuple[int, dict[str, Any] | None]]:
        return [
            (id_, None if checked else {"event_id": event_id})
            for id_, event_id, checked in self.rows
            if id_ > after
        ][:limit]

    async def publish(self, envelopes: list[dict[str, Any]]) -> None:
        self.published += [str(e["event_id"]) for e in envelopes]

    async def start(self, horizon_seconds: float) -> int:
        return 0


async def test_the_redrive_publishes_in_log_order_spaced_and_a_few_times_at_most() -> None:
    backlog = _Backlog([(1, "a", True), (2, "b", False), (3, "c", True), (4, "d", False)])
    now = [100.0]
    redrive = CheckRedrive(backlog, "test", 30, lambda: now[0])
    assert await redrive.sweep() == 2 and backlog.published == ["b", "d"]
    assert redrive.cursor == 1  # up to the first unchecked
    now[0] += 10
    assert await redrive.sweep() == 0  # a copy is spaced by `after`
    for _ in range(MAX_REDRIVES):
        now[0] += 30
        await redrive.sweep()
    assert backlog.published.count("b") == MAX_REDRIVES
    assert redrive.cursor == 4  # given up: the cursor passes them
    backlog.rows[1] = (2, "b", True)
    assert await redrive.sweep() == 0


async def test_a_model_that_does_not_answer_within_the_budget_leaves_the_rules() -> None:
    async def silent(language: str, chapter: int, text: str, facts: Any) -> list[dict[str, Any]]:
        await asyncio.Event().wait()  # never answers
        return []

    book = OfflineBook(BIBLE)
    await book.confirm(1, DIES)
    book.work.reviewer = silent
    book.work.budget = (0.3, time.monotonic)
    await book.confirm(
        2, 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'
    )
    assert [f["kind"] for f in await book.findings()] == ["dead_character_acts"]


async def test_a_chapter_request_waits_for_its_novels_checks_a_while_at_most() -> None:
    work = _Work()
    checks = NovelChecks(work, AgentMetrics(), lambda e: False)  # type: ignore[arg-type]
    assert await checks.settled("A", 0.01)  # nothing queued
    await checks.put(_event("A", 1))
    assert not await checks.settled("A", 0.01)  # held: the draft starts anyway
    work.gates["A"].set()
    assert await checks.settled("A", 10)
    assert work.done == [("A", 1)]
    await checks.close()
