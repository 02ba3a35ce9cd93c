"""Helpers for the trash tests: walk a session, trash/restore/purge it over HTTP."""

import uuid
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.agent import answer_request
from tests.support.genesis_client import BASE, command

STAGES = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]


async def trash(http: httpx.AsyncClient, session_id: UUID, **headers: str) -> httpx.Response:
    return await http.post(f"{BASE}/{session_id}/trash", headers=headers)


async def restore(http: httpx.AsyncClient, session_id: UUID) -> httpx.Response:
    return await http.post(f"{BASE}/{session_id}/restore")


async def purge(http: httpx.AsyncClient, session_id: UUID) -> httpx.Response:
    return await http.delete(f"{BASE}/{session_id}")


async def confirm_all(http: httpx.AsyncClient, session_id: UUID) -> None:
    """Confirm every stage: the session finishes and creates its novel."""
    for stage in STAGES:
        response = await command(
            http, session_id, "ConfirmStage", {"stage": stage, "data": {"title": f"T {stage}"}}
        )
        assert response.status_code == 200, response.text


def stranger(live_url: str, settings: Settings) -> httpx.AsyncClient:
    token = make_token(settings, uuid.uuid4())
    return httpx.AsyncClient(
        base_url=live_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def propose(
    pool: asyncpg.Pool, settings: Settings, session_id: UUID, reply: dict[str, Any], stage: str
) -> None:
    """What the agent worker does: append a proposal answering the command in `reply`."""
    await answer_request(
        pool, settings.kafka_topic, UUID(reply["command_id"]), {"idea": f"proposal for {stage}"}
    )
