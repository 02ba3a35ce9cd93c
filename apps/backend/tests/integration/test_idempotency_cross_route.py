"""One key sent at one instant to a command and to a session's creation (issue 79 Q3): one of
them runs. The command keeps its key in its inbox row and the creation in the cache (decision
7204); both take the key's claim (migration 0038's `scribe_key_held`), so the loser gets 422
IDEMPOTENCY_KEY_REUSED (or 409 while the winner runs), and the winner's request sent again gets
the winner's answer. Before: both ran in 19-24 of 30-40 rounds."""

import asyncio
import uuid

import asyncpg
import httpx

from tests.support.genesis_client import BASE, command, new_session

ROUNDS = 100


async def _race(http: httpx.AsyncClient, session: uuid.UUID, key: str) -> list[httpx.Response]:
    """The command and the creation with `key`, sent at one instant."""
    start = asyncio.Event()

    async def creation() -> httpx.Response:
        await start.wait()
        return await http.post(BASE, json={}, headers={"Idempotency-Key": key})

    async def concept() -> httpx.Response:
        await start.wait()
        return await command(
            http, session, "RequestConceptGeneration", {}, **{"Idempotency-Key": key}
        )

    racing = [asyncio.ensure_future(creation()), asyncio.ensure_future(concept())]
    await asyncio.sleep(0)
    start.set()
    return list(await asyncio.gather(*racing))


def _ran(reply: httpx.Response, status: int) -> bool:
    return reply.status_code == status and "idempotent-replayed" not in reply.headers


async def test_one_key_at_one_instant_on_two_routes_runs_one(
    http: httpx.AsyncClient, pool: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    both = 0
    for _ in range(ROUNDS):
        session = await new_session(http)
        key = f"cross-{uuid.uuid4()}"
        created, commanded = await _race(http, session, key)
        inbox = await pool.fetchval(
            "SELECT count(*) FROM command_inbox WHERE user_id = $1 AND idempotency_key = $2",
            user_id,
            key,
        )
        if _ran(created, 201) and _ran(commanded, 202):
            both += 1
            assert inbox == 1
            continue
        winner, loser = (created, commanded) if _ran(created, 201) else (commanded, created)
        assert winner.status_code in (201, 202), (created.text, commanded.text)
        assert loser.status_code in (409, 422), loser.text
        assert inbox == (1 if winner is commanded else 0)
        # The winner's request sent again is the winner's answer; the loser's is refused.
        again = await http.send(winner.request)
        assert (again.status_code, again.content) == (winner.status_code, winner.content)
        assert again.headers["idempotent-replayed"] == "true"
        refused = await http.send(loser.request)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    assert both == 0, f"both routes ran in {both} of {ROUNDS} rounds"
