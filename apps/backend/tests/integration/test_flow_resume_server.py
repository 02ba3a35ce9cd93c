"""Issue 21, defects 6 and 9, against the real server process (`scribe api` alone, so no worker
sweeps expired handles): a flow past `expires_at` cannot be resumed, and the resume of an unknown
or another user's flow is a 404 like reading it."""

import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.integration.test_flow_handles import CONFIRM, Flows
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

FLOWS = "/api/v1/flows"
REPLY = {"command_type": "ConfirmStage", "payload": CONFIRM}


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings) as running:
        yield running


def _client(server: ApiProcess, settings: Settings, user: uuid.UUID) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {make_token(settings, user)}"}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30)


async def test_a_flow_past_its_expiry_is_expired_at_resume_time(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    flows = Flows(pool)
    user = uuid.uuid4()
    session_id, cid = await flows.paused_flow(user)
    await flows.control.pause_landed(cid)
    await pool.execute(
        "UPDATE flow_resume_handles SET expires_at = now() - interval '1 second' "
        "WHERE correlation_id = $1",
        cid,
    )
    async with _client(server, settings, user) as http:
        assert (await http.get(f"{FLOWS}/{cid}")).json()["status"] == "EXPIRED"
        refused = await http.post(f"{FLOWS}/{cid}/resume", json=REPLY)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error_code"] == "FLOW_HANDLE_EXPIRED"
        # A reply sent as a plain command still works, and resumes nothing.
        confirmed = await http.post(f"/api/v1/genesis/sessions/{session_id}/commands", json=REPLY)
        assert confirmed.status_code == 200, confirmed.text
    row = await pool.fetchrow(
        "SELECT status, resume_payload FROM flow_resume_handles WHERE correlation_id = $1", cid
    )
    assert (row["status"], row["resume_payload"]) == ("PAUSED", None)  # left to the sweeper
    resumed = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1 "
        "AND event_type = 'Genesis.Session.FlowResumed'",
        str(session_id),
    )
    assert resumed == 0


async def test_resume_of_an_unknown_or_foreign_flow_is_404_like_get(
    server: ApiProcess, settings: Settings, pool: asyncpg.Pool
) -> None:
    flows = Flows(pool)
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    _, cid = await flows.paused_flow(owner)
    await flows.control.pause_landed(cid)
    async with _client(server, settings, stranger) as http:
        for flow in (cid, str(uuid.uuid4())):
            read = await http.get(f"{FLOWS}/{flow}")
            resumed = await http.post(f"{FLOWS}/{flow}/resume", json=REPLY)
            assert read.status_code == resumed.status_code == 404, resumed.text
            assert read.json()["error_code"] == resumed.json()["error_code"] == "NOT_FOUND"
    async with _client(server, settings, owner) as http:
        assert (await http.get(f"{FLOWS}/{cid}")).json()["status"] == "PAUSED"  # untouched
