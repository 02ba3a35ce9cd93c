"""Races and faults over real HTTP: duplicates, concurrent confirms, injected failures."""

import asyncio
from collections import Counter
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from tests.support.genesis_client import command, new_session, state


async def counts(pool: asyncpg.Pool, session_id: UUID) -> dict[str, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM command_inbox WHERE session_id = $1) AS inbox, "
        "(SELECT count(*) FROM domain_events WHERE aggregate_id = $2) AS events, "
        "(SELECT count(*) FROM event_outbox WHERE key = $2) AS outbox",
        session_id,
        str(session_id),
    )
    return dict(row)


async def test_fifty_identical_async_commands_one_wins(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    responses = await asyncio.gather(
        *(command(http, session_id, "RequestConceptGeneration") for _ in range(50))
    )
    by_status = Counter(response.status_code for response in responses)
    assert by_status == {202: 1, 409: 49}, by_status
    (winner,) = [r.json() for r in responses if r.status_code == 202]
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {
                "error_code": "DUPLICATE_COMMAND",
                "message": "Command already processing",
                "duplicate_command_id": winner["command_id"],
            }
    # Created + one request: one inbox row, one new event, one new outbox row.
    assert await counts(pool, session_id) == {"inbox": 1, "events": 2, "outbox": 2}


async def test_twenty_concurrent_confirms_advance_the_stage_once(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id = await new_session(http)
    payload = {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}}
    responses = await asyncio.gather(
        *(command(http, session_id, "ConfirmStage", payload) for _ in range(20))
    )
    by_status = Counter(response.status_code for response in responses)
    assert by_status == {200: 1, 409: 19}, by_status
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error_code"] in ("INVALID_STATE", "CONCURRENCY_CONFLICT")
    current = await state(http, session_id)
    assert current["current_stage"] == "STORY_CONCEPTION" and current["version"] == 2
    assert await counts(pool, session_id) == {"inbox": 1, "events": 2, "outbox": 2}


FAULTS = {
    # The outbox insert runs in the same statement, after the events were inserted.
    "outbox": "BEFORE INSERT ON event_outbox",
    # The snapshot update is the last write of the transaction, after events and outbox.
    "snapshot": "BEFORE UPDATE ON genesis_sessions",
}


@pytest.mark.parametrize("where", sorted(FAULTS))
async def test_a_fault_after_the_events_rolls_everything_back(
    http: httpx.AsyncClient, pool: asyncpg.Pool, where: str
) -> None:
    session_id = await new_session(http)
    before = await state(http, session_id)
    name = f"fail_{uuid4().hex[:12]}"
    column = "NEW.key" if where == "outbox" else "NEW.id::text"
    await pool.execute(
        f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {column} = '{session_id}' THEN RAISE EXCEPTION 'injected fault'; END IF;
            RETURN NEW;
        END $$"""
    )
    await pool.execute(
        f"CREATE TRIGGER {name} {FAULTS[where]} FOR EACH ROW EXECUTE FUNCTION {name}()"
    )
    try:
        for command_type, payload in [
            ("RequestConceptGeneration", {}),
            ("ConfirmStage", {"stage": "CONCEPT_SELECTION", "data": {"title": "T"}}),
        ]:
            response = await command(http, session_id, command_type, payload)
            assert response.status_code == 503, response.text
            assert response.json()["error_code"] == "STORAGE_UNAVAILABLE"
    finally:
        await pool.execute(f"DROP TRIGGER {name} ON {FAULTS[where].split()[-1]}")
        await pool.execute(f"DROP FUNCTION {name}()")
    assert await counts(pool, session_id) == {"inbox": 0, "events": 1, "outbox": 1}
    assert await state(http, session_id) == before
    # Once the fault is gone the same command goes through.
    assert (await command(http, session_id, "RequestConceptGeneration")).status_code == 202
