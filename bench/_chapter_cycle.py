"""bench/novel.py, part `cycle` (issue 80): a chapter's cycle (drafted, revised on feedback,
confirmed, checked) written in order by one writer, at chapters 6-10 of an offline book and at
the last five of a BENCH_CYCLE_AT-chapter one (default 300): the API's and the worker's CPU per
cycle. Target: the later costs <= 1.2x.

The later book's chapters before its last six are seeded CONFIRMED (the offline writer plays
its earlier chapters back from the outline, not from their rows); the first of the six is the
worker's first look at that book, reported apart (what a worker's restart costs, once a book).
"""

import os
from typing import Any

import httpx

from _generation_cost import Processes, cpu_per_unit
from _harness import finished_novel
from _novel_chapters import checked, seed
from worker import finished

CYCLE_AT = int(os.environ.get("BENCH_CYCLE_AT", "300"))
MEASURED = 5
_ASKED = {"feedback": "Make the harbour darker and let the doctor speak first."}


async def _command(http: httpx.AsyncClient, novel: str, command: str, **payload: Any) -> Any:
    reply = await http.post(
        f"/api/v1/novels/{novel}/commands", json={"command_type": command, "payload": payload}
    )
    assert reply.status_code in (200, 202), reply.text
    return reply.json()


async def one_cycle(http: httpx.AsyncClient, database_url: str, novel: str, n: int) -> None:
    for command, extra in (("RequestChapterDraft", {}), ("SubmitChapterFeedback", _ASKED)):
        task = (await _command(http, novel, command, chapter=n, **extra))["task_id"]
        await finished(database_url, {task: 0.0}, 120)
    await _command(http, novel, "ConfirmChapter", chapter=n)
    await checked(database_url, novel, n)


async def _window(
    http: httpx.AsyncClient, database_url: str, processes: Processes, novel: str, numbers: range
) -> dict[str, float]:
    before = processes.snapshot()
    for n in numbers:
        await one_cycle(http, database_url, novel, n)
    spent = cpu_per_unit(before, processes.snapshot(), len(numbers))
    return {role: spent[role] for role in ("api", "worker")} | {
        "both": round(spent["api"] + spent["worker"], 3)
    }


async def cycle_costs(
    http: httpx.AsyncClient, database_url: str, processes: Processes
) -> dict[str, Any]:
    early = await finished_novel(http, CYCLE_AT)
    for n in range(1, 6):
        await one_cycle(http, database_url, early, n)
    late = await finished_novel(http, CYCLE_AT)
    first = CYCLE_AT - MEASURED
    await seed(database_url, late, first - 1, ("守灯人在雾里数着潮声。\n" * 300)[:3000])
    found = {"early": await _window(http, database_url, processes, early, range(6, 11))}
    found["first_look"] = await _window(
        http, database_url, processes, late, range(first, first + 1)
    )
    found["late"] = await _window(
        http, database_url, processes, late, range(first + 1, CYCLE_AT + 1)
    )
    found["ratio"] = round(found["late"]["both"] / found["early"]["both"], 2)
    return found


def cycle_line(found: dict[str, Any]) -> str:
    early, late, first = found["early"], found["late"], found["first_look"]
    return (
        f"a chapter's cycle (draft, feedback, confirm, check), API + worker CPU: "
        f"{early['both']} ms "
        f"at chapters 6-10, {late['both']} ms at chapters {CYCLE_AT - MEASURED + 1}-{CYCLE_AT} "
        f"= {found['ratio']}x (target <= 1.2x); the worker's first look at the later book "
        f"{first['both']} ms"
    )
