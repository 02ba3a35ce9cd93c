"""SQL of an outline's parts (decision 5404): read a plan's parts, keep one (and the task's
progress with it), forget a plan once its proposal is written."""

from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.tasks import OutlinePart

_PARTS = "SELECT part, content FROM outline_parts WHERE session_id = $1 AND plan = $2"

# The part and the task's progress in one statement; a part kept twice (a redelivered request
# that raced its first copy) keeps the first: the plan is the same, so is what follows it.
_SAVE = """
WITH kept AS (
    INSERT INTO outline_parts (session_id, plan, part, content) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE async_tasks SET progress = $6, updated_at = now() WHERE id = $5 AND status = 'RUNNING'
"""

_FORGET = "DELETE FROM outline_parts WHERE session_id = $1 AND plan = $2"


async def parts(pool: asyncpg.Pool, session_id: UUID, plan: str) -> dict[int, dict[str, Any]]:
    return {row["part"]: row["content"] for row in await pool.fetch(_PARTS, session_id, plan)}


async def save(pool: asyncpg.Pool, kept: OutlinePart) -> None:
    await pool.execute(
        _SAVE,
        kept.session_id,
        kept.plan,
        kept.part,
        dict(kept.content),
        kept.task_id,
        kept.progress,
    )


async def forget(pool: asyncpg.Pool, session_id: UUID, plan: str) -> None:
    await pool.execute(_FORGET, session_id, plan)
