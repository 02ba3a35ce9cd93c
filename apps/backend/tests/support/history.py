"""Helpers for the history tests: walk a session with offline proposals, read its history."""

from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.settings.settings import Settings
from tests.support.agent import offline_answer
from tests.support.genesis_client import BASE, command

STAGES = ["CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def ask(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, session_id: UUID, stage: str
) -> dict[str, Any]:
    """Request the stage's proposal and answer it with the offline generator."""
    kind = "RequestConceptGeneration" if stage == "CONCEPT_SELECTION" else "RequestStageGeneration"
    reply = ok(await command(http, session_id, kind, {}), 202)
    return await offline_answer(pool, settings.kafka_topic, UUID(reply["command_id"]))


async def revise(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, session_id: UUID, text: str
) -> dict[str, Any]:
    reply = ok(await command(http, session_id, "SubmitFeedback", {"feedback": text}), 202)
    return await offline_answer(pool, settings.kafka_topic, UUID(reply["command_id"]))


async def confirm(
    http: httpx.AsyncClient, session_id: UUID, stage: str, **payload: Any
) -> dict[str, Any]:
    body = {"stage": stage, "choice": 0} | payload
    return ok(await command(http, session_id, "ConfirmStage", body))


async def walk(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, session_id: UUID, stages: int
) -> None:
    """Propose and confirm the first `stages` stages (5: the session finishes)."""
    for stage in STAGES[:stages]:
        await ask(http, pool, settings, session_id, stage)
        await confirm(http, session_id, stage)


async def history(http: httpx.AsyncClient, session_id: UUID) -> dict[str, Any]:
    return ok(await http.get(f"{BASE}/{session_id}/history"))


def versions(body: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = next(s["versions"] for s in body["stages"] if s["stage"] == stage)
    return found


async def rollback(
    http: httpx.AsyncClient, session_id: UUID, event_id: str, **headers: str
) -> httpx.Response:
    return await command(http, session_id, "RollbackToVersion", {"event_id": event_id}, **headers)


async def branch(
    http: httpx.AsyncClient, session_id: UUID, event_id: str, **extra: Any
) -> httpx.Response:
    headers = extra.pop("headers", {})
    body = {"at_event_id": event_id} | extra
    return await http.post(f"{BASE}/{session_id}/branches", json=body, headers=headers)


async def event_count(pool: asyncpg.Pool, session_id: UUID) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1", str(session_id)
    )
    return count
