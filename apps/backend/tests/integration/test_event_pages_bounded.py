"""Every read that returns stored payloads is bounded in bytes (issue 49): a session's events
page and a flow's stop at EVENT_PAGE_MAX_BYTES (2 MiB) of JSON (one event past it at most),
with the cursor where they stopped; following the cursors reads every event once, in order.
On 5af61bc a page of 500 big events was 38.8 MB, 14 s of the loop and 1.6 GB of memory."""

import uuid

import asyncpg
import httpx
import orjson

from infinite_scribe.application.sessions import EVENT_PAGE_MAX_BYTES
from tests.support.genesis_client import BASE

BIG = 400_000  # characters of one event's payload: 40 of them are twice the page bound
COUNT = 40


async def _big_session(http: httpx.AsyncClient, pool: asyncpg.Pool) -> tuple[str, uuid.UUID]:
    created = (await http.post(BASE)).json()
    session_id, flow = created["session_id"], uuid.UUID(created["correlation_id"])
    user = await pool.fetchval("SELECT user_id FROM genesis_sessions WHERE id = $1", session_id)
    # Appended straight to the log: the API refuses an event this size, the log may hold older
    # ones (and a page of 500 events of EVENT_MAX_BYTES each is the same problem).
    await pool.executemany(
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version, "
        "correlation_id, payload, metadata) VALUES ('Genesis.Session.Noted', 'GENESIS_SESSION', "
        "$1, $2, $3, $4, $5)",
        [
            (session_id, version, flow, {"text": str(version) * BIG}, {"user_id": str(user)})
            for version in range(2, COUNT + 2)
        ],
    )
    return session_id, flow


async def _all_pages(
    http: httpx.AsyncClient, url: str, **query: str
) -> list[list[dict[str, object]]]:
    pages, cursor = [], None
    while True:
        params = {"limit": 500, **query, **({"cursor": cursor} if cursor else {})}
        reply = await http.get(url, params=params)
        assert reply.status_code == 200, reply.text[:300]
        assert len(reply.content) <= EVENT_PAGE_MAX_BYTES + 2 * BIG, len(reply.content)
        body = orjson.loads(reply.content)
        pages.append(body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_a_session_page_stops_at_its_byte_bound_and_the_cursor_goes_on(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    session_id, flow = await _big_session(http, pool)
    pages = await _all_pages(http, f"{BASE}/{session_id}/events")
    assert len(pages) >= 2
    versions = [event["aggregate_version"] for page in pages for event in page]
    assert versions == list(range(1, COUNT + 2))
    first = pages[0]
    assert first[0]["event_type"] == "Genesis.Session.Created"
    assert first[1]["payload"] == {"text": "2" * BIG} and first[1]["correlation_id"] == str(flow)

    flow_pages = await _all_pages(http, "/api/v1/events", correlation_id=str(flow))
    assert len(flow_pages) >= 2
    ids = [event["id"] for page in flow_pages for event in page]
    assert len(ids) == COUNT + 1 and ids == sorted(ids)


async def test_a_small_page_is_whole_and_the_last(http: httpx.AsyncClient) -> None:
    session_id = (await http.post(BASE)).json()["session_id"]
    reply = await http.get(f"{BASE}/{session_id}/events", params={"limit": 1})
    body = reply.json()
    assert [e["aggregate_version"] for e in body["events"]] == [1]
    assert body["next_cursor"] is None
    again = await http.get(f"{BASE}/{session_id}/events", params={"cursor": "bad"})
    assert again.status_code == 422
