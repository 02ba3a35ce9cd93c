"""Issue 41, J1: every media type FastAPI parses as JSON goes through the strict check, on the
real server process (`scribe api`), on the FastAPI route and on the pure-ASGI command route."""

import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

SESSIONS = "/api/v1/genesis/sessions"
MEDIA_TYPES = [
    "application/vnd.api+json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/x+json; charset=utf-8",
    "Application/JSON; charset=utf-8",
]


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings) as running:
        yield running


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
async def test_numbers_json_cannot_carry_are_422_for_every_json_media_type(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool, media_type: str, number: str
) -> None:
    # These were 201/202 with the number stored as null: only `application/json` was checked.
    user_id = uuid.uuid4()
    headers = {"Authorization": f"Bearer {make_token(settings, user_id)}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        opening = '{"initial_user_input": {"x": NUMBER}}'.replace("NUMBER", number)
        answer = await client.post(SESSIONS, content=opening, headers={"Content-Type": media_type})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "initial_user_input", "x"]
        created = await client.post(SESSIONS)
        session_id = created.json()["session_id"]
        body = '{"command_type": "ConfirmStage", "payload": {"data": {"score": NUMBER}}}'
        answer = await client.post(
            f"{SESSIONS}/{session_id}/commands",
            content=body.replace("NUMBER", number),
            headers={"Content-Type": media_type},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "payload", "data", "score"]
    sessions = await pool.fetchval(
        "SELECT count(*) FROM genesis_sessions WHERE user_id = $1", user_id
    )
    commands = await pool.fetchval(
        "SELECT count(*) FROM command_inbox WHERE session_id = $1", uuid.UUID(session_id)
    )
    assert (sessions, commands) == (1, 0)


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
async def test_finite_bodies_still_work_with_every_json_media_type(
    server: ApiProcess, settings: Settings, media_type: str
) -> None:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        created = await client.post(
            SESSIONS,
            content='{"initial_user_input": {"x": 1.5}}',
            headers={"Content-Type": media_type},
        )
        assert created.status_code == 201, created.text
        sent = await client.post(
            f"{SESSIONS}/{created.json()['session_id']}/commands",
            content='{"command_type": "RequestConceptGeneration", "payload": {}}',
            headers={"Content-Type": media_type},
        )
        assert sent.status_code == 202, sent.text
