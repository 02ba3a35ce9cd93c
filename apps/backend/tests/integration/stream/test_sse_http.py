"""The live stream over real HTTP (uvicorn + httpx-sse): live delivery, replay and reconnect
with Last-Event-ID in the middle of a burst, task progress, keep-alives, auth and bad input."""

import asyncio
import json
import uuid

import asyncpg
import pytest

from infinite_scribe.persistence import migrate
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.sse_client import (
    STREAM,
    auth,
    client,
    new_session,
    open_stream,
    services,
    stream_server,
    stream_settings,
)
from tests.support.stream import append, until

__all__ = ["stream_server", "stream_settings"]  # module fixtures used by the tests below


async def test_live_events_of_the_session_only_with_sse_headers(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        other = await new_session(http, headers)
        # After the session's Created event (a stream "from now" may include it: see below).
        created = await pool.fetchval(
            "SELECT max(id) FROM domain_events WHERE aggregate_id = $1", session
        )
        async with open_stream(http, session, headers, last_event_id=created) as stream:
            response = stream.response
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-accel-buffering"] == "no"
            assert response.headers["cache-control"] == "no-cache"
            first = await stream.next()
            assert first.retry == 1500
            await append(pool, other, 2)
            ids = await append(pool, session, 2, count=3)
            got = await stream.domain_events(3)
    assert [int(sse.id) for sse in got] == ids
    bodies = [json.loads(sse.data) for sse in got]
    assert {body["aggregate_id"] for body in bodies} == {session}
    assert [body["id"] for body in bodies] == ids
    assert bodies[0]["event_type"] == "Genesis.Session.StageConfirmed"


async def test_last_event_id_zero_replays_the_whole_history_then_goes_live(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        before = await append(pool, session, 2, count=2)
        async with open_stream(http, session, headers, last_event_id=0) as stream:
            replayed = await stream.domain_events(3)
            after = await append(pool, session, 4)
            live = await stream.domain_events(1)
    assert json.loads(replayed[0].data)["event_type"] == "Genesis.Session.Created"
    assert [int(sse.id) for sse in replayed[1:]] == before
    assert [int(sse.id) for sse in live] == after


@pytest.mark.slow
async def test_reconnect_with_last_event_id_in_the_middle_of_a_burst(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    """A writer keeps committing (three small transactions at a time); the client drops after
    100 events and reconnects with Last-Event-ID while the burst goes on, and must end up with
    every committed id exactly once, in order."""
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        committed: list[int] = []
        reconnected = asyncio.Event()

        async def burst() -> None:
            version = 2
            while not reconnected.is_set() or len(committed) < 300:
                ids = await asyncio.gather(*(append(pool, session, version + n) for n in range(3)))
                committed.extend(i for batch in ids for i in batch)
                version += 3
                await asyncio.sleep(0.002)

        # From just after the session's Created event: a stream "from now" may or may not
        # include an event committed just before it opened (docs/streaming.md), which made
        # this test fail now and then on a busy machine.
        created = await pool.fetchval(
            "SELECT max(id) FROM domain_events WHERE aggregate_id = $1", session
        )
        async with open_stream(http, session, headers, last_event_id=created) as stream:
            writer = asyncio.create_task(burst())
            first = await stream.domain_events(100)
        reconnect = headers | {"Last-Event-ID": first[-1].id}
        async with open_stream(http, session, reconnect) as stream:
            reconnected.set()
            await writer
            rest = await stream.domain_events(len(committed) - 100)
    received = [int(sse.id) for sse in first + rest]
    assert received == sorted(committed)
    assert len(committed) >= 300


async def test_query_last_event_id_and_header_precedence(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        ids = await append(pool, session, 2, count=4)
        async with open_stream(http, session, headers, last_event_id=ids[1]) as stream:
            got = await stream.domain_events(2)
        assert [int(sse.id) for sse in got] == ids[2:]
        with_header = headers | {"Last-Event-ID": str(ids[2])}
        async with open_stream(http, session, with_header, last_event_id=0) as stream:
            got = await stream.domain_events(1)
        assert [int(sse.id) for sse in got] == ids[3:]


async def test_a_task_change_without_a_notice_reaches_the_stream_on_the_poll_timer(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    user = uuid.uuid4()
    headers = auth(stream_settings, user)
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        task_id = uuid.uuid4()
        await pool.execute(
            "INSERT INTO async_tasks (id, task_type, status, user_id, session_id) "
            "VALUES ($1, 'concept', 'RUNNING', $2, $3)",
            task_id,
            user,
            uuid.UUID(session),
        )
        async with open_stream(http, session, headers) as stream:
            opened = json.loads((await stream.next("task_progress")).data)
            assert opened["task_id"] == str(task_id) and opened["status"] == "RUNNING"
            # No NOTIFY announces this change: the hub's poll re-reads the followed tasks.
            await pool.execute(
                "UPDATE async_tasks SET progress = 42.5, message = 'halfway' WHERE id = $1",
                task_id,
            )
            # The hub's first sight of the task may come first (the open's snapshot said the
            # same, under load): the change is the event that carries it, on the poll timer.
            moved = opened
            while moved["progress"] == 0:
                moved = json.loads((await stream.next("task_progress")).data)
    assert moved["progress"] == 42.5 and moved["message"] == "halfway"
    assert moved["session_id"] == session


async def test_keep_alive_comments_while_idle(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        params = {"context_id": session}
        async with http.stream("GET", STREAM, params=params, headers=headers) as response:
            lines: list[str] = []

            async def read() -> None:
                async for line in response.aiter_lines():
                    lines.append(line)
                    if line == ": keep-alive":
                        return

            await asyncio.wait_for(read(), 5)
    assert lines[0] == ": stream open"


async def test_disconnected_client_is_unsubscribed(
    stream_server: LiveServer, stream_settings: Settings
) -> None:
    hub = services(stream_server).live.hub
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        baseline = hub.subscriber_count
        async with open_stream(http, session, headers) as stream:
            await stream.next()
            assert hub.subscriber_count == baseline + 1
    await until(lambda: hub.subscriber_count == baseline, within=5)


async def test_feed_connection_killed_streams_carry_on(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    """The process's LISTEN connection is terminated by the server: the feed reconnects and
    the open stream still gets every event, in order (nothing committed meanwhile is lost)."""
    feed = services(stream_server).live.feed
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        # After the session's Created event: a stream "from now" may include an event
        # committed just before it opened (docs/streaming.md), which this test must not count.
        created = await pool.fetchval(
            "SELECT max(id) FROM domain_events WHERE aggregate_id = $1", session
        )
        async with open_stream(http, session, headers, last_event_id=created) as stream:
            await stream.next()
            old_pid = feed._connection.get_server_pid()  # type: ignore[attr-defined]
            assert await pool.fetchval("SELECT pg_terminate_backend($1)", old_pid)
            ids = await append(pool, session, 2, count=3)
            got = await stream.domain_events(3)
            more = await append(pool, session, 5)
            got += await stream.domain_events(1)
    assert [int(sse.id) for sse in got] == ids + more
    new_pid = feed._connection.get_server_pid()  # type: ignore[attr-defined]
    assert new_pid != old_pid


async def test_api_starts_before_the_schema_and_streams_once_it_exists(
    stream_settings: Settings, fresh_database: object
) -> None:
    """The feed cannot open on a database without `domain_events`: the API still starts (health
    and the rest work), streams answer 503, and once migrated the hub opens and streams work."""
    url = str(fresh_database())  # type: ignore[operator]
    server = LiveServer(stream_settings.model_copy(update={"database_url": url}))
    server.server.config.timeout_graceful_shutdown = 1
    await asyncio.to_thread(server.start)
    headers = auth(stream_settings, uuid.uuid4())
    try:
        async with client(server) as http:
            early = await http.get(
                STREAM, params={"context_id": str(uuid.uuid4())}, headers=headers
            )
            assert early.status_code == 503, early.text
            assert early.json()["error_code"] == "STORAGE_UNAVAILABLE"
            await asyncio.to_thread(migrate.upgrade, url)
            await until(lambda: services(server).live.hub.ready, within=20)
            session = await new_session(http, headers)
            async with open_stream(http, session, headers, last_event_id=0) as stream:
                [created] = await stream.domain_events(1)
            assert json.loads(created.data)["event_type"] == "Genesis.Session.Created"
    finally:
        await asyncio.to_thread(server.stop)
