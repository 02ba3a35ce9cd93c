"""The continuity check for tests (issue 48): a novel finished through the API with a bible of
named characters, and its chapters confirmed as events the check consumes directly (no broker:
the consumer's use case is called as the worker's handler calls it)."""

import itertools
import uuid
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.agents.continuity.bible import read_bible, read_for
from infinite_scribe.application.continuity import ContinuityWork
from infinite_scribe.domain.chapters import AGGREGATE_TYPE, CONFIRMED, ROLLED_BACK
from infinite_scribe.persistence.repositories import unit_of_work
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata
from tests.conftest import TEST_TOPIC
from tests.support.events import append_events
from tests.support.genesis_client import command, new_session, state

NOVELS = "/api/v1/novels"
EN_BIBLE: dict[str, dict[str, Any]] = {
    "CONCEPT_SELECTION": {"title": "Salt Harbour", "logline": "A pilot and a doctor."},
    "STORY_CONCEPTION": {"premise": "A storm hides a crime."},
    "WORLDVIEW": {"locations": [{"name": "Port Sable", "description": "a harbour"}]},
    "CHARACTERS": {
        "characters": [
            {
                "name": "Mara Quinn",
                "role": "protagonist",
                "description": "Mara Quinn has red hair.",
            },
            {"name": "Ilya Brandt", "role": "mentor", "description": "An old doctor."},
        ]
    },
    "PLOT_OUTLINE": {
        "chapters": [{"title": f"Chapter {n}", "summary": f"Part {n}"} for n in range(1, 31)]
    },
}
# Versions far past what the novel's commands reach in a test: the appended confirmations
# never take a version a command (WaiveFinding) writes.
_VERSIONS = itertools.count(100_000)


async def finished(http: httpx.AsyncClient, bible: dict[str, dict[str, Any]] = EN_BIBLE) -> UUID:
    """A novel whose Genesis confirmed `bible`, stage by stage, through the API."""
    session_id = await new_session(http)
    for stage, data in bible.items():
        reply = await command(http, session_id, "ConfirmStage", {"stage": stage, "data": data})
        assert reply.status_code == 200, reply.text
    return UUID(str((await state(http, session_id))["novel_id"]))


def continuity_work(pool: asyncpg.Pool) -> ContinuityWork:
    uow = unit_of_work(pool, WriteComposer(TEST_TOPIC))
    return ContinuityWork(uow, "test.continuity", "test", read_for, read_bible)


def novel_event(
    novel_id: UUID, user_id: UUID, event_type: str, payload: dict[str, Any]
) -> EventEnvelope:
    return EventEnvelope(
        event_type=event_type,
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=str(novel_id),
        aggregate_version=next(_VERSIONS),
        correlation_id=uuid.uuid4(),
        payload=payload,
        metadata=EventMetadata(user_id=str(user_id), source_service="test"),
    )


async def confirm(
    pool: asyncpg.Pool, work: ContinuityWork, novel: tuple[UUID, UUID], chapter: int, text: str
) -> EventEnvelope:
    """Chapter `chapter` confirmed as `text` (the event stored), then checked."""
    event = novel_event(*novel, CONFIRMED, {"chapter": chapter, "text": text, "edited": False})
    await append_events(pool, [event], wake=False)
    assert await work.handle(event)
    return event


async def roll_back(
    pool: asyncpg.Pool, work: ContinuityWork, novel: tuple[UUID, UUID], payload: dict[str, Any]
) -> EventEnvelope:
    event = novel_event(*novel, ROLLED_BACK, {"to_event_id": str(uuid.uuid4())} | payload)
    await append_events(pool, [event], wake=False)
    assert await work.handle(event)
    return event


async def findings(http: httpx.AsyncClient, novel_id: UUID, **params: Any) -> list[dict[str, Any]]:
    reply = await http.get(f"{NOVELS}/{novel_id}/findings", params=params)
    assert reply.status_code == 200, reply.text
    found: list[dict[str, Any]] = reply.json()["findings"]
    return found


async def memory(http: httpx.AsyncClient, novel_id: UUID) -> dict[str, Any]:
    reply = await http.get(f"{NOVELS}/{novel_id}/memory")
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found
