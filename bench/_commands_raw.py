"""The raw SQL limit: the command transaction's statements issued directly with asyncpg."""

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from infinite_scribe.domain.novel import NovelBible
from infinite_scribe.persistence import genesis_sessions as sql
from infinite_scribe.persistence import novels as novels_sql
from infinite_scribe.persistence.database import create_pool
from infinite_scribe.persistence.event_store import _APPEND_SQL

STAGES = ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")
NEXT = {**dict(itertools.pairwise(STAGES)), "PLOT_OUTLINE": "FINISHED"}


async def _command(
    connection: asyncpg.Connection, session_id: uuid.UUID, user_id: uuid.UUID, step: int
) -> None:
    """One command as the API runs it: inbox+load, events+outbox+notify, (supersede, novel),
    snapshot update, all in one REPEATABLE READ transaction."""
    command_id = uuid.uuid4()
    is_request = step == 0
    command_type = "RequestConceptGeneration" if is_request else "ConfirmStage"
    async with connection.transaction(isolation="repeatable_read"):
        snapshot = await sql.insert_command_and_load(
            connection,
            session_id=session_id,
            user_id=user_id,
            command_id=command_id,
            command_type=command_type,
            idempotency_key=f"command:{command_id}",
            payload={} if is_request else {"stage": state_stage(step), "data": {}},
            status="RECEIVED" if is_request else "COMPLETED",
        )
        assert snapshot is not None
        state = snapshot.state
        event_id = uuid.uuid4()
        event_type = (
            "Genesis.Session.ConceptGenerationRequested"
            if is_request
            else "Genesis.Session.StageConfirmed"
        )
        payload = {"stage": state_stage(step)}
        metadata = {"user_id": str(user_id), "source_service": "api", "request_id": "r"}
        envelope = {
            "event_id": str(event_id),
            "event_type": event_type,
            "aggregate_id": str(session_id),
            "payload": payload,
            "metadata": metadata,
        }
        await connection.fetch(
            _APPEND_SQL,
            [event_id],
            [command_id],
            [command_id],
            [event_type],
            [1],
            ["GENESIS_SESSION"],
            [str(session_id)],
            [state.version + 1],
            [payload],
            [metadata],
            [datetime.now(UTC)],
            "domain-events",
            [envelope],
        )
        if step == 1:
            await sql.supersede_pending(connection, session_id, command_type)
        stage = state_stage(step) if is_request else NEXT[state_stage(step)]
        novel_id = None
        if stage == "FINISHED":
            novel_id = uuid.uuid4()
            await novels_sql.insert_novel(connection, novel_id, user_id, NovelBible(title="Bench"))
        new_state = state.__class__(
            session_id=session_id,
            user_id=user_id,
            current_stage=state.current_stage.__class__(stage),
            confirmed_data={},
            pending_command_type=command_type if is_request else None,
            novel_id=novel_id,
            version=state.version + 1,
        )
        assert await sql.update_snapshot(connection, state.version, new_state)


def state_stage(step: int) -> str:
    return STAGES[max(step - 1, 0)]


async def raw_sql_tps(database_url: str, clients: int, seconds: float) -> tuple[float, int]:
    """Transactions per second of `clients` tasks walking sessions like the API benchmark."""
    pool = await create_pool(database_url, min_size=clients, max_size=clients)
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
                    async with pool.acquire() as connection:
                        await _command(connection, session_id, user_id, step)
                    done += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(began + seconds) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    finally:
        await pool.close()
    return done / elapsed, done
