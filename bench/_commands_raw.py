"""The raw SQL limit: the command's statements issued directly with asyncpg (its one read and
its one composed write statement, both in autocommit, as the API sends them)."""

import asyncio
import itertools
import time
import uuid
from dataclasses import replace

import asyncpg

from infinite_scribe.application.ports.writes import (
    InboxEntry,
    NewNovel,
    SnapshotSave,
    Supersede,
    Write,
)
from infinite_scribe.domain.genesis import GenesisStage
from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.persistence.database import create_pool, keep_session
from infinite_scribe.persistence.genesis import sessions as sql
from infinite_scribe.persistence.writes.composer import WriteComposer
from shared_types import EventEnvelope, EventMetadata

STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
NEXT = {**dict(itertools.pairwise(STAGES)), "PLOT_OUTLINE": "FINISHED"}
COMPOSER = WriteComposer("domain-events")


async def _command(
    pool: asyncpg.Pool, session_id: uuid.UUID, user_id: uuid.UUID, step: int
) -> None:
    """One command's statements: the session read, then inbox + event + outbox + snapshot
    (+ supersede, novel) as one statement."""
    command_id = uuid.uuid4()
    is_request = step == 0
    command_type = "RequestConceptGeneration" if is_request else "ConfirmStage"
    target = await sql.command_target(pool, session_id, user_id, None)
    assert target.snapshot is not None
    state = target.snapshot.state
    event_type = (
        "Genesis.Session.ConceptGenerationRequested"
        if is_request
        else "Genesis.Session.StageConfirmed"
    )
    event = EventEnvelope(
        event_type=event_type,
        aggregate_type="GENESIS_SESSION",
        aggregate_id=str(session_id),
        aggregate_version=state.version + 1,
        correlation_id=command_id,
        causation_id=command_id,
        payload={"stage": state_stage(step)},
        metadata=EventMetadata(user_id=str(user_id), source_service="api", request_id="r"),
    )
    stage = state_stage(step) if is_request else NEXT[state_stage(step)]
    novel_id = uuid.uuid4() if stage == "FINISHED" else None
    after = replace(
        state,
        current_stage=GenesisStage(stage),
        pending_command_type=command_type if is_request else None,
        novel_id=novel_id,
        version=state.version + 1,
    )
    entry = InboxEntry(
        command_id, session_id, user_id, command_type, f"command:{command_id}",
        {} if is_request else {"stage": state_stage(step), "data": {}},
        "RECEIVED" if is_request else "COMPLETED",
    )  # fmt: skip
    write = Write(
        inbox=entry,
        events=[event],
        snapshot=SnapshotSave(state.version, after),
        supersede=Supersede(session_id, command_type) if step == 1 else None,
        novel=(
            NewNovel(novel_id, user_id, NovelBible(title="Bench"), session_id, after.version)
            if novel_id
            else None
        ),
    )
    await COMPOSER.write(pool, write)


def state_stage(step: int) -> str:
    return STAGES[max(step - 1, 0)]


async def raw_sql_tps(database_url: str, clients: int, seconds: float) -> tuple[float, int]:
    """Transactions per second of `clients` tasks walking sessions like the API benchmark."""
    pool = await create_pool(
        database_url, min_size=clients, max_size=clients, reset=keep_session
    )  # as the API's pool
    user_id = uuid.uuid4()
    done = 0
    try:

        async def client(end: float) -> None:
            nonlocal done
            while time.perf_counter() < end:
                session_id = uuid.uuid4()
                await pool.execute(
                    "INSERT INTO genesis_sessions (id, user_id, version) VALUES ($1, $2, 1)",
                    session_id,
                    user_id,
                )
                for step in range(6):
                    if time.perf_counter() >= end:
                        break
                    await _command(pool, session_id, user_id, step)
                    done += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(began + seconds) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    finally:
        await pool.close()
    return done / elapsed, done
