"""Reading over real HTTP and PostgreSQL: GET /genesis/sessions (own, newest first, cursor
pages, status filter, trash hidden) and GET /novels/{id} (owner only)."""

import asyncio
import base64
import uuid
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.genesis_client import BASE, command, new_session, state

STAGES = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]


async def all_pages(http: httpx.AsyncClient, **params: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await http.get(BASE, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["session_id"] for item in body["sessions"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_own_sessions_newest_first_in_cursor_pages(http: httpx.AsyncClient) -> None:
    created = [str(await new_session(http)) for _ in range(7)]
    pages = await all_pages(http, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [sid for page in pages for sid in page] == created[::-1]
    first = (await http.get(BASE, params={"limit": 1})).json()["sessions"][0]
    assert first["session_id"] == created[-1]
    assert first["status"] == "IN_PROGRESS" and first["current_stage"] == "CONCEPT_SELECTION"
    assert first["is_pending"] is False and first["novel_id"] is None and first["version"] == 1


async def test_a_session_is_named_by_its_working_title(http: httpx.AsyncClient) -> None:
    """Issue 29: null before, the confirmed concept's title, then the confirmed story's."""
    sid = await new_session(http)
    listed = (await http.get(BASE, params={"limit": 1})).json()["sessions"][0]
    assert listed["session_id"] == str(sid) and listed["title"] is None
    concept = {"stage": "CONCEPT_SELECTION", "data": {"title": "  雾港  ", "logline": "x"}}
    assert (await command(http, sid, "ConfirmStage", concept)).status_code == 200
    assert (await http.get(BASE, params={"limit": 1})).json()["sessions"][0]["title"] == "雾港"
    story = {"stage": "STORY_CONCEPTION", "data": {"title": "The Harbour in the Fog"}}
    assert (await command(http, sid, "ConfirmStage", story)).status_code == 200
    titled = (await http.get(BASE, params={"limit": 1})).json()["sessions"][0]
    assert titled["title"] == "The Harbour in the Fog"


async def test_a_page_is_stable_while_sessions_are_created(http: httpx.AsyncClient) -> None:
    older = [str(await new_session(http)) for _ in range(4)]
    first = (await http.get(BASE, params={"limit": 2})).json()
    # Sessions created between two page reads land on page one and never shift later pages.
    await asyncio.gather(*(new_session(http) for _ in range(3)))
    second = (await http.get(BASE, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [item["session_id"] for item in second["sessions"]] == older[1::-1]
    assert second["next_cursor"] is None


async def test_status_filter_and_trashed_sessions_hidden(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    kept = await new_session(http)
    abandoned = await new_session(http)
    trashed = await new_session(http)
    reply = await command(http, abandoned, "AbandonSession", {"reason": "no"})
    assert reply.status_code == 200, reply.text
    await pool.execute("UPDATE genesis_sessions SET trashed_at = now() WHERE id = $1", trashed)
    everything = await all_pages(http)
    assert everything == [[str(abandoned), str(kept)]]
    assert await all_pages(http, status="ABANDONED") == [[str(abandoned)]]
    assert await all_pages(http, status="IN_PROGRESS") == [[str(kept)]]
    assert await all_pages(http, status="COMPLETED") == [[]]


async def test_other_users_sessions_are_not_listed(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    mine = await new_session(http)
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as stranger:
        theirs = await new_session(stranger)
        assert await all_pages(stranger) == [[str(theirs)]]
    assert await all_pages(http) == [[str(mine)]]


def forged(parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor!"},
        {"cursor": "éé"},
        {"cursor": forged({"a": 1})},
        {"cursor": forged([1, "yesterday", str(uuid.uuid4())])},
        {"cursor": forged([1, "2024-01-01T00:00:00", str(uuid.uuid4())])},
        {"cursor": forged([2, "2024-01-01T00:00:00+00:00", str(uuid.uuid4())])},
        {"cursor": forged([1, "2024-01-01T00:00:00+00:00", 5])},
        {"cursor": "x" * 600},
        {"cursor": forged([1, "0001-01-01T00:00:00+14:00", str(uuid.uuid4())])},
        {"cursor": forged([1, "9999-12-31T23:59:59-14:00", str(uuid.uuid4())])},
        {"status": "SLEEPING"},
        {"limit": 0},
        {"limit": 101},
    ],
)
async def test_hostile_list_parameters_are_clear_422(
    http: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await http.get(BASE, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] in {"INVALID_CURSOR", "VALIDATION_ERROR"}


async def test_listing_needs_a_token(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        response = await anonymous.get(BASE)
    assert response.status_code == 401
    assert response.json()["error_code"] == "MISSING_TOKEN"


async def test_finished_session_novel_is_readable_by_its_owner_only(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    session_id = await new_session(http)
    for stage in STAGES:
        data = (
            {"title": "Storm Keeper", "theme": "loss"} if stage == "STORY_CONCEPTION" else {"n": 1}
        )
        reply = await command(http, session_id, "ConfirmStage", {"stage": stage, "data": data})
        assert reply.status_code == 200, reply.text
    novel_id = (await state(http, session_id))["novel_id"]
    assert novel_id is not None
    response = await http.get(f"/api/v1/novels/{novel_id}")
    assert response.status_code == 200, response.text
    novel = response.json()
    assert novel["novel_id"] == novel_id and novel["title"] == "Storm Keeper"
    assert novel["theme"] == "loss" and novel["status"] == "GENERATING"  # written, not in Genesis
    assert novel["genesis_session_id"] == str(session_id)
    listed = (await http.get(BASE, params={"status": "COMPLETED"})).json()["sessions"]
    assert [(item["session_id"], item["novel_id"]) for item in listed] == [
        (str(session_id), novel_id)
    ]
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as stranger:
        theirs = await stranger.get(f"/api/v1/novels/{novel_id}")
    assert theirs.status_code == 404 and theirs.json()["error_code"] == "NOT_FOUND"


async def test_missing_or_malformed_novel_id(http: httpx.AsyncClient) -> None:
    missing = await http.get(f"/api/v1/novels/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOT_FOUND"
    malformed = await http.get("/api/v1/novels/not-a-uuid")
    assert malformed.status_code == 422


async def test_list_rows_match_session_state(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    reply = await command(http, session_id, "RequestConceptGeneration")
    assert reply.status_code == 202, reply.text
    item = (await http.get(BASE)).json()["sessions"][0]
    current = await state(http, session_id)
    assert UUID(item["session_id"]) == session_id
    assert item["is_pending"] is current["is_pending"] is True
    assert item["version"] == current["version"]
