"""Reconnects without a new ticket: the stream grant set when a stream opens lets the same
client reopen it with its spent ticket and `Last-Event-ID` (what an EventSource does), and
nothing else: not another session, not another client, not a forged grant."""

import uuid

import asyncpg

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.sse_client import (
    STREAM,
    TICKETS,
    auth,
    client,
    new_session,
    open_stream,
    stream_server as stream_server,
    stream_settings as stream_settings,
)
from tests.support.stream import append


async def test_a_spent_ticket_reopens_the_stream_with_its_grant(
    stream_server: LiveServer, stream_settings: Settings, pool: asyncpg.Pool
) -> None:
    headers = auth(stream_settings, uuid.uuid4())
    async with client(stream_server) as http:
        session = await new_session(http, headers)
        ticket = (await http.post(TICKETS, json={"context_id": session}, headers=headers)).json()[
            "ticket"
        ]
        async with open_stream(http, session, ticket=ticket, last_event_id=0) as stream:
            grant = stream.response.headers["set-cookie"]
            assert "HttpOnly" in grant and "Path=/api/v1/events/stream" in grant
            (created,) = await stream.domain_events(1)
        ids = await append(pool, session, 2, count=3)  # committed while disconnected
        resume = {"Last-Event-ID": created.id}
        async with open_stream(http, session, resume, ticket=ticket) as stream:
            assert [int(e.id) for e in await stream.domain_events(3)] == ids
            more = await append(pool, session, 5)
            assert [int(e.id) for e in await stream.domain_events(1)] == more

        other_session = await new_session(http, headers)
        refused = await http.get(STREAM, params={"context_id": other_session, "ticket": ticket})
        assert refused.status_code == 404  # the ticket is another session's; no grant for this
        forged_cookie = {f"scribe_stream_{uuid.UUID(other_session).hex}": "1.a.b.9999999999.x"}
        http.cookies.update(forged_cookie)
        forged = await http.get(STREAM, params={"context_id": other_session})
        assert forged.status_code == 401 and forged.json()["error_code"] == "MISSING_TOKEN"
