"""A whole novel (issue 54), `scribe api`, `relay` and `worker` (the offline writer) as processes
of their own on a fresh database and broker:

1. one chapter at chapter 10 and at chapter 1,000 of a 1,000-chapter book: CPU per process,
   statements and bytes read per chapter (bench/_novel_chapters.py); target <= 1.2x;
2. the whole book's export as a job (decision 5400): 1,000 chapters of about 3,000 characters
   each (about 3 million), built as Markdown and as EPUB while a probe asks `/health` every
   10 ms: the seconds from the request to the file, its size, and the slowest `/health`
   meanwhile (the API's loop held, an upper bound: the probe's own HTTP round trip is in it).
   The old synchronous export (`GET /novels/{id}` with `Accept`) is asked once too;
3. a session's history page, one version's diff, rollback and branch at 10 and at 100,000
   events in its log, and a novel's chapter history page, one version and a chapter's rollback
   (bench/_novel_history.py; targets 50 / 50 / 100 / 100 ms), a novel-wide rollback there,
   and one of a whole book of BENCH_CHAPTERS chapters that changes every chapter;
4. the RSS of the three processes before and after (target: grows <= 100 MB).

The novel's five stages are confirmed over HTTP (an outline of 1,000 chapters); its chapters
are written straight into the novel's projection (`novel_chapters`), as 1,000 confirmations
would leave it: an export reads the projection only, and 1,000 drafts through the offline
writer take longer than the bench.

Usage: python bench/novel.py   (BENCH_CHAPTERS, default 1000; BENCH_CHAPTER_CHARS, 3000;
BENCH_ROUNDS, novels per place in part 1, default 3; BENCH_PARTS, default
chapters,exports,history, and `cycle`: a chapter's draft, feedback and confirmation at
chapters 6-10 and 296-300, bench/_chapter_cycle.py; BENCH_HISTORY_EVENTS, default 10,100000)
Targets: each file built in <= 30 s; /health never slower than 50 ms meanwhile.
"""

import asyncio
import json
import os
import time
from contextlib import ExitStack
from typing import Any

import asyncpg
import httpx
import psutil
import uvloop

from _chapter_cycle import cycle_costs, cycle_line
from _generation_cost import Processes
from _harness import HOST, api_port, background, bench_user, finished_novel, services, system_env
from _novel_chapters import chapter_costs, ratio_lines
from _novel_history import (
    WHOLE_BOOK_TURNS,
    chapter_history_costs,
    history_costs,
    history_lines,
    whole_book_rollback,
)

CHAPTERS = int(os.environ.get("BENCH_CHAPTERS", "1000"))
CHAPTER_CHARS = int(os.environ.get("BENCH_CHAPTER_CHARS", "3000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
#: Which parts run (`chapters`, `exports`): an A/B against a checkout without export jobs
#: runs `chapters` alone.
PARTS = os.environ.get("BENCH_PARTS", "chapters,exports,history").split(",")
HISTORY_EVENTS = [int(n) for n in os.environ.get("BENCH_HISTORY_EVENTS", "10,100000").split(",")]
SENTENCE = "守灯人在雾里数着潮声，信上的日期是明年的今天。\n"  # noqa: RUF001 - Chinese punctuation


def chapter_text(number: int) -> str:
    lines = (CHAPTER_CHARS // len(SENTENCE)) + 1
    return (f"第{number}章。" + SENTENCE * lines)[:CHAPTER_CHARS]


async def seed_chapters(database_url: str, novel_id: str) -> int:
    """Every chapter CONFIRMED with its text, as the novel's projection holds them."""
    texts = [chapter_text(n) for n in range(1, CHAPTERS + 1)]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO novel_chapters (novel_id, number, status, text) "
            "SELECT $1::uuid, n, 'CONFIRMED', t FROM unnest($2::int[], $3::text[]) AS c(n, t)",
            novel_id,
            list(range(1, CHAPTERS + 1)),
            texts,
        )
        await connection.execute(
            "UPDATE novels SET completed_chapters = $2, stream_version = stream_version + 1 "
            "WHERE id = $1::uuid",
            novel_id,
            CHAPTERS,
        )
    finally:
        await connection.close()
    return sum(len(text) for text in texts)


async def probe(http: httpx.AsyncClient, stop: asyncio.Event, seen: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await http.get("/api/v1/health")
        seen.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)


async def build(http: httpx.AsyncClient, novel_id: str, media: str) -> dict[str, Any]:
    """Ask for the file, follow its task, download it; /health probed all along."""
    stop, seen = asyncio.Event(), []
    probing = asyncio.create_task(probe(http, stop, seen))
    started = time.perf_counter()
    ticket = (await http.post(f"/api/v1/novels/{novel_id}/exports", json={"format": media})).json()
    while (task := (await http.get(ticket["task_url"])).json())["status"] == "RUNNING":  # noqa: ASYNC110 - polling the API, as a writer's client does
        await asyncio.sleep(0.05)
    built = time.perf_counter() - started
    stop.set()
    await probing
    file = await http.get(ticket["download_url"])
    return {
        "format": media,
        "status": task["status"],
        "build_s": round(built, 2),
        "bytes": len(file.content),
        "health_max_ms": round(max(seen) * 1000, 1),
        "health_probes": len(seen),
    }


async def synchronous(http: httpx.AsyncClient, novel_id: str) -> dict[str, Any]:
    started = time.perf_counter()
    reply = await http.get(f"/api/v1/novels/{novel_id}", headers={"Accept": "text/markdown"})
    return {"status": reply.status_code, "seconds": round(time.perf_counter() - started, 2)}


def rss_mb(processes: Processes) -> float:
    roles = ("api", "relay", "worker")
    return sum(psutil.Process(processes.pids[r]).memory_info().rss for r in roles) / 2**20


async def run(
    port: int, headers: dict[str, str], database_url: str, processes: Processes
) -> dict[str, Any]:
    rss_before = rss_mb(processes)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=120
    ) as http:
        found: dict[str, Any] = {"chapters": CHAPTERS}
        if "chapters" in PARTS:
            found["chapter_costs"] = await chapter_costs(
                http, database_url, processes, CHAPTERS, ROUNDS
            )
        if "cycle" in PARTS:
            found["cycle"] = await cycle_costs(http, database_url, processes)
        if "exports" in PARTS:
            novel_id = await finished_novel(http, CHAPTERS)
            found["characters"] = await seed_chapters(database_url, novel_id)
            found["exports"] = [await build(http, novel_id, m) for m in ("markdown", "epub")]
            found["sync_get"] = await synchronous(http, novel_id)
        if "history" in PARTS:
            found["history"] = [await history_costs(http, database_url, n) for n in HISTORY_EVENTS]
            found["history"] += [
                await chapter_history_costs(http, database_url, n) for n in HISTORY_EVENTS
            ]
            if WHOLE_BOOK_TURNS:  # BENCH_WHOLE_BOOK_TURNS=0: the bench alone
                found["whole_book_rollback"] = await whole_book_rollback(
                    http, database_url, CHAPTERS
                )
    return found | {"rss_mb": [round(rss_before, 1), round(rss_mb(processes), 1)]}


def main() -> None:
    user = bench_user()
    with services() as (database_url, servers), ExitStack() as stack:
        env = system_env(
            database_url, servers, user.secret, API_METRICS_PORT="0", LLM_OFFLINE_STREAM_SECONDS="0"
        )
        processes = Processes()
        processes.add("bench", os.getpid())
        processes.add("relay", stack.enter_context(background("relay", env)))
        processes.add("worker", stack.enter_context(background("worker", env)))
        port, api = stack.enter_context(api_port(env))
        processes.add("api", api)
        result = uvloop.run(run(port, user.headers, database_url, processes))
    for line in ratio_lines(result.get("chapter_costs") or []):
        print(line, flush=True)
    if cycle := result.get("cycle"):
        print(cycle_line(cycle), flush=True)
    for export in result.get("exports") or []:
        print(
            f"{export['format']}: {export['status']} in {export['build_s']} s "
            f"(target <= 30), {export['bytes']:,} bytes; /health max {export['health_max_ms']} ms "
            f"over {export['health_probes']} probes (target <= 50)",
            flush=True,
        )
    for line in history_lines(result.get("history") or []):
        print(line, flush=True)
    if whole := result.get("whole_book_rollback"):
        print(
            f"novel-wide rollback of {whole['chapters']:,} chapters (each changes): p50 "
            f"{whole['p50_ms']} ms, max {whole['max_ms']} ms, statuses {whole['statuses']}",
            flush=True,
        )
    if sync := result.get("sync_get"):
        print(f"the synchronous Markdown GET: {sync['status']} in {sync['seconds']} s")
    before, after = result["rss_mb"]
    print(f"RSS of api + relay + worker: {before} MB -> {after} MB (target: grows <= 100 MB)")
    print(json.dumps({"bench": "novel", **result}))


if __name__ == "__main__":
    main()
