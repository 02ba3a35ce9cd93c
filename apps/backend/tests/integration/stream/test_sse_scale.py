"""Many clients: 500 concurrent streams on 50 sessions, a disconnect storm while events flow,
and a client too slow for its queue (it re-reads from the database and loses nothing)."""

import asyncio
import contextlib
import json
import socket
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.application.live_stream import LiveStreams, StreamOptions
from infinite_scribe.application.ports.stream import StreamEvent
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.application.stream_hub import StreamHub
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.stream.event_feed import PostgresEventFeed
from infinite_scribe.persistence.stream.tickets import PostgresStreamTickets
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.sse_client import (
    auth,
    client,
    new_session,
    open_stream,
    services,
    stream_server,
    stream_settings,
)
from tests.support.stream import COMPOSER, append, until

__all__ = ["stream_server", "stream_settings"]

MANY = httpx.Limits(max_connections=None, max_keepalive_connections=0)


async def wait_for_subscribers(server: LiveServer, count: int, within: float = 20) -> None:
    hub = services(server).live.hub
    await until(lambda: hub.subscriber_count == count, within)


# Alone (after the parallel suite, on a database of its own run): it failed twice in CI at its
# 60 s wait while another test process shared the two cores and earlier modules had used
# the same database; the cause is not found yet (its failure now prints the feed's gap state).
@pytest.mark.slow
@pytest.mark.alone
async def test_500_concurrent_clients_each_get_their_sessions_events(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    baseline = services(stream_server).live.hub.subscriber_count
    # One client per session, ten streams each: httpx's pool walks all its requests on every
    # open and close, so one client of 500 streams costs the test process (which also runs
    # the server) quadratic time: minutes under coverage on a loaded machine, not the server's.
    async with contextlib.AsyncExitStack() as clients:
        https = [
            await clients.enter_async_context(client(stream_server, limits=MANY)) for _ in range(50)
        ]
        sessions = [await new_session(http, headers) for http in https]
        opened = asyncio.Event()
        ready = 0
        expected: dict[str, list[int]] = {}
        go = asyncio.Event()

        async def follower(n: int) -> list[int]:
            nonlocal ready
            async with open_stream(https[n % 50], sessions[n % 50], headers) as stream:
                await stream.next()  # the opening frame: subscribed
                ready += 1
                if ready == 500:
                    opened.set()
                await go.wait()
                got = await stream.domain_events(2, within=60)
                return [int(sse.id) for sse in got]

        followers = [asyncio.create_task(follower(n)) for n in range(500)]
        await asyncio.wait_for(opened.wait(), 120)
        await wait_for_subscribers(stream_server, baseline + 500)
        go.set()
        for session in sessions:
            expected[session] = await append(pool, session, 2, count=2)
        try:
            results = await asyncio.wait_for(asyncio.gather(*followers), 120)
        except TimeoutError:
            raise AssertionError(_feed_state(stream_server, followers)) from None
    for n, ids in enumerate(results):
        assert ids == expected[sessions[n % 50]]
    await wait_for_subscribers(stream_server, baseline)


def _feed_state(server: LiveServer, followers: list[asyncio.Task[list[int]]]) -> str:
    """What a timed-out wait leaves to read: the hub's gap tracker, and who got their events."""
    feed: Any = services(server).live.hub.feed
    tracker = feed.tracker
    done = sum(1 for task in followers if task.done() and not task.cancelled())
    return (
        f"followers done {done}/500; cursor {tracker.cursor}, hole {tracker.hole}, "
        f"skipped by timeout {tracker.skipped_by_timeout}"
    )


@pytest.mark.slow
async def test_disconnect_storm_frees_every_subscription_and_others_carry_on(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    baseline = services(stream_server).live.hub.subscriber_count
    async with client(stream_server) as http:
        session = await new_session(http, headers)
    stop = asyncio.Event()

    async def writer() -> None:
        version = 2
        while not stop.is_set():
            await append(pool, session, version)
            version += 1
            await asyncio.sleep(0.01)

    writing = asyncio.create_task(writer())
    storm = httpx.AsyncClient(base_url=stream_server.url, limits=MANY, timeout=30)
    started = 0

    async def doomed() -> None:
        nonlocal started
        async with open_stream(storm, session, headers) as stream:
            await stream.next("domain_event", within=30)
            started += 1
            await asyncio.Event().wait()  # until cancelled

    tasks = [asyncio.create_task(doomed()) for _ in range(300)]
    try:
        await until(lambda: started == 300, within=60)
        # The storm: every client goes away at once, mid-stream.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await storm.aclose()
        await wait_for_subscribers(stream_server, baseline)
        async with client(stream_server) as http, open_stream(http, session, headers) as stream:
            survivor = await stream.domain_events(3)
        ids = [int(sse.id) for sse in survivor]
        assert ids == sorted(ids) and len(set(ids)) == 3
    finally:
        stop.set()
        await writing
        with contextlib.suppress(Exception):
            await storm.aclose()


async def test_slow_client_overflows_then_rereads_without_loss(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """A queue of 4 and a reader that waits while 60 events land: the hub drops the backlog,
    the reader re-reads from the database, and gets all 60 in order, once."""
    feed = PostgresEventFeed(database_url, pool, gap_timeout=60)
    hub = StreamHub(feed, queue_size=4, poll_interval=0.1)
    queries = PostgresGenesisQueries(pool)
    streams = LiveStreams(
        hub,
        feed,
        PostgresStreamTickets(pool),
        GenesisSessions(unit_of_work(pool, COMPOSER), queries),
        StreamOptions(ticket_ttl_seconds=60, keepalive_seconds=0.2),
    )
    await hub.start()
    session = uuid.uuid4()
    try:
        items = streams.follow(session, None).__aiter__()
        first = asyncio.create_task(anext(items))  # subscribes, then waits
        await until(lambda: hub.subscriber_count == 1)
        ids: list[int] = []
        for version in range(1, 61, 10):
            ids += await append(pool, str(session), version, count=10)
        await until(lambda: hub.horizon >= ids[-1])
        got: list[int] = []
        item = await first
        while len(got) < 60:
            if isinstance(item, StreamEvent):
                got.append(item.id)
                assert json.loads(item.data)["aggregate_id"] == str(session)
            item = await asyncio.wait_for(anext(items), 10)
        await items.aclose()  # type: ignore[attr-defined]
    finally:
        await hub.stop()
    assert got == ids
    assert hub.resyncs >= 1
    assert hub.subscriber_count == 0


@pytest.mark.slow
async def test_a_client_that_stops_reading_does_not_hold_back_the_others(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    """A raw socket client with a tiny receive buffer never reads: its stream backs up into the
    server's bounded queue (it overflows and is marked to re-read). A normal client on the same
    session gets all 300 large events meanwhile."""
    hub = services(stream_server).live.hub
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
    # The streams follow live only: once the hub is past the session's creation, it is not
    # sent to them (the hub reads the feed after the commit, so it may lag a moment).
    created = await pool.fetchval(
        "SELECT max(id) FROM domain_events WHERE aggregate_id = $1", str(session)
    )
    await until(lambda: hub.horizon >= created)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", stream_server.port))
    request = (
        f"GET /api/v1/events/stream?context_id={session} HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: {headers['Authorization']}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    try:
        async with client(stream_server) as http, open_stream(http, session, headers) as stream:
            await stream.next()
            await until(lambda: hub.subscriber_count == 2)
            ids: list[int] = []
            for version in range(2, 302, 30):  # 300 events of 32 kB: more than socket buffers
                ids += await append(pool, session, version, count=30, blob="x" * 32000)
            got = await stream.domain_events(300, within=60)
            assert [int(sse.id) for sse in got] == ids
        # The stuck client's queue overflowed: emptied, and it will re-read if it ever reads.
        # (The reading client may have overflowed too and re-read: it still got every event.)
        assert hub.lagging_count == 1
    finally:
        sock.close()
    await until(lambda: hub.subscriber_count == 0, within=10)
