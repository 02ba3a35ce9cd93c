"""Races on one session over real HTTP: trash against commands, trash against restore, purge
against restore and against itself. Exactly one side wins each time, cleanly (never a 500),
and the projection always equals the fold of the events."""

import asyncio
import itertools
from collections import Counter
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.application.projections import ProjectionRebuilder
from infinite_scribe.persistence.genesis.projections import PostgresProjectionQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from tests.support.genesis_client import command, new_session
from tests.support.trash import ok, purge, restore, trash

ROUNDS = 25


async def consistent(pool: asyncpg.Pool, session_id: UUID) -> None:
    rebuilder = ProjectionRebuilder(
        unit_of_work(pool, WriteComposer("unused")), PostgresProjectionQueries(pool)
    )
    assert await rebuilder.one(session_id, write=False) is None


async def event_types(pool: asyncpg.Pool, session_id: UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT event_type FROM domain_events WHERE aggregate_id = $1 ORDER BY aggregate_version",
        str(session_id),
    )
    return [row["event_type"].rsplit(".", 1)[1] for row in rows]


async def test_trash_racing_a_command_one_wins_cleanly(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    outcomes: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        session_id = await new_session(http)
        command_type = "RequestConceptGeneration" if round_number % 2 else "AbandonSession"
        trashed, commanded = await asyncio.gather(
            trash(http, session_id), command(http, session_id, command_type, {})
        )
        assert ok(trashed)["changed"]
        types = await event_types(pool, session_id)
        if commanded.status_code in (200, 202):
            outcomes["command first"] += 1
            assert types[1:] in (
                ["ConceptGenerationRequested", "Trashed"],
                ["Abandoned", "Trashed"],
            )
        else:
            outcomes["trash first"] += 1
            assert commanded.status_code == 409, commanded.text
            assert commanded.json()["error_code"] == "SESSION_TRASHED"
            assert types == ["Created", "Trashed"]
            assert (
                await pool.fetchval(
                    "SELECT count(*) FROM command_inbox WHERE session_id = $1", session_id
                )
                == 0
            )
        await consistent(pool, session_id)
    print(dict(outcomes))  # both orders show up in practice; either is a clean win
    assert sum(outcomes.values()) == ROUNDS


async def test_trash_and_restore_storm_on_one_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    calls = [trash(http, session_id) if i % 2 else restore(http, session_id) for i in range(20)]
    replies = await asyncio.gather(*calls)
    changed = 0
    for reply in replies:
        if reply.status_code == 409:  # lost every bounded retry: a clean conflict
            assert reply.json()["error_code"] == "CONCURRENCY_CONFLICT"
            continue
        changed += int(ok(reply)["changed"])
    types = await event_types(pool, session_id)
    assert len(types) == 1 + changed
    assert all(a != b for a, b in itertools.pairwise(types[1:]))  # strictly alternating
    await consistent(pool, session_id)


async def test_purge_racing_restore_one_wins(http: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        session_id = await new_session(http)
        ok(await trash(http, session_id))
        purged, restored = await asyncio.gather(purge(http, session_id), restore(http, session_id))
        if purged.status_code == 200:
            outcomes["purge"] += 1
            assert ok(purged)["changed"] and restored.status_code == 404, restored.text
            assert (await event_types(pool, session_id))[-1] == "Purged"
        else:
            outcomes["restore"] += 1
            assert purged.status_code == 409, purged.text
            assert purged.json()["error_code"] == "SESSION_NOT_TRASHED"
            assert ok(restored)["changed"]
        await consistent(pool, session_id)
    print(dict(outcomes))  # both orders show up in practice; either is a clean win
    assert sum(outcomes.values()) == ROUNDS


async def test_two_purges_at_once_purge_once(http: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    for _ in range(10):
        session_id = await new_session(http)
        ok(await trash(http, session_id))
        replies = await asyncio.gather(*(purge(http, session_id) for _ in range(3)))
        bodies = [ok(reply) for reply in replies]
        assert sorted(body["changed"] for body in bodies) == [False, False, True]
        assert (await event_types(pool, session_id)).count("Purged") == 1
