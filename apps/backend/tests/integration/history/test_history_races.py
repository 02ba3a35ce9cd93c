"""Two rollbacks racing with a confirm, as really concurrent HTTP requests against the live
server (issue 37): each names the version it saw (`expected_version`); exactly one wins, the
others get 409 VERSION_CONFLICT, and nothing of theirs is written."""

import asyncio
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import command, new_session, state
from tests.support.history import ask, event_count, history, versions, walk

ROUNDS = 3


async def test_two_rollbacks_and_a_confirm_exactly_one_wins(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "glass"})
    await walk(http, pool, settings, session_id, 1)
    await ask(http, pool, settings, session_id, "STORY_CONCEPTION")
    body = await history(http, session_id)
    targets = [
        versions(body, "CONCEPT_SELECTION")[0]["event_id"],
        versions(body, "STORY_CONCEPTION")[0]["event_id"],
    ]
    for _ in range(ROUNDS):
        before = await state(http, session_id)
        version, stage = before["version"], before["current_stage"]
        count = await event_count(pool, session_id)
        inbox = await _inbox(pool, session_id)
        guard = {"expected_version": version}
        replies = await asyncio.gather(
            *(
                command(http, session_id, "RollbackToVersion", {"event_id": t} | guard)
                for t in targets
            ),
            command(http, session_id, "ConfirmStage", {"stage": stage, "choice": 0} | guard),
        )
        statuses = sorted(r.status_code for r in replies)
        assert statuses == [200, 409, 409], [r.text for r in replies]
        for lost in (r for r in replies if r.status_code == 409):
            assert lost.json()["error_code"] == "VERSION_CONFLICT"
        after = await state(http, session_id)
        assert after["version"] == version + 1  # one event: the winner's, whole
        assert await event_count(pool, session_id) == count + 1
        assert await _inbox(pool, session_id) == inbox + 1  # the losers left no command row
        if after["current_stage"] != "STORY_CONCEPTION":  # the confirm won: go back for more
            reply = await command(http, session_id, "RollbackToVersion", {"event_id": targets[1]})
            assert reply.status_code == 200, reply.text


async def test_without_a_guard_a_rollback_applies_to_the_newest_state(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http)
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    target = versions(await history(http, session_id), "CONCEPT_SELECTION")[0]["event_id"]
    replies = await asyncio.gather(
        *(command(http, session_id, "RollbackToVersion", {"event_id": target}) for _ in range(3))
    )
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert (await state(http, session_id))["version"] == 3 + 3  # created, asked, proposed + 3


async def _inbox(pool: asyncpg.Pool, session_id: UUID) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1", session_id
    )
    return count
