"""`stream_follows` on PostgreSQL (decision 4002): what the API records is what a worker reads,
until it expires; a renewal never shortens a follow; long-expired rows are swept by the next
record; ids that are not a stream's are ignored."""

import uuid

import asyncpg

from infinite_scribe.persistence.stream.follows import PostgresStreamFollows


async def test_recorded_streams_are_followed_until_they_expire(clean_db: asyncpg.Pool) -> None:
    follows = PostgresStreamFollows(clean_db)
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    await follows.record([a, b, "not-a-stream"], 30)
    assert await follows.followed([a, b, c, "nope"]) == {a, b}
    await follows.record([a], 0.001)  # a shorter renewal does not cut the follow short
    assert await follows.followed([a]) == {a}
    await clean_db.execute(
        "UPDATE stream_follows SET expires_at = now() - interval '2 minutes' WHERE session_id = $1",
        uuid.UUID(b),
    )
    assert await follows.followed([a, b]) == {a}
    await follows.record([c], 30)  # sweeps b in passing
    rows = await clean_db.fetch(
        "SELECT session_id::text AS id FROM stream_follows WHERE session_id = ANY($1::uuid[])",
        [uuid.UUID(x) for x in (a, b, c)],  # other tests' streams may be in the table too
    )
    assert {row["id"] for row in rows} == {a, c}
    assert await follows.followed([]) == set()
