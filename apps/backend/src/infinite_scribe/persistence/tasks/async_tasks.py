"""Adapters of the task ports: `async_tasks` in SQL (their writes are `Write` parts,
writes/task_parts.py)."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.tasks import OutlinePart, StartedTask, TaskRecord, TaskView
from infinite_scribe.domain.genesis import AGGREGATE_TYPE
from infinite_scribe.domain.wishes import PROMPT_KEYS, PROMPT_SOURCES
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import envelope_json
from infinite_scribe.persistence.genesis.sessions import SNAPSHOT_COLUMNS, snapshot_of
from infinite_scribe.persistence.outbox import rows as outbox
from infinite_scribe.persistence.outbox.notifier import notify
from infinite_scribe.persistence.rows import from_row
from infinite_scribe.persistence.writes.group_commit import GroupCommit

_RECORD_COLUMNS = (
    "id, task_type, status::text AS status, triggered_by_command_id, user_id, session_id, "
    "correlation_id, attempts"
)


#: Fields read from columns of other names: a task's own row, the row joined with its session
#: (the session's columns keep their names there), and its owner's view.
_TASK = {"task_id": "id", "command_id": "triggered_by_command_id"}
_JOINED_TASK = {
    "command_id": "triggered_by_command_id",
    "status": "task_status",
    "user_id": "task_user_id",
}
_VIEW_FIELDS = _TASK | {"result": "result_data", "error": "error_data"}


class PostgresTaskRepository:
    """`TaskRepository` on the connection of one transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def lock_for_event(self, request_event_id: UUID) -> TaskRecord | None:
        # FOR UPDATE: a redelivered request handled by a second worker waits here for the
        # first one's result transaction, then finds the message in the ledger.
        row = await self.connection.fetchrow(
            f"SELECT {_RECORD_COLUMNS} FROM async_tasks WHERE request_event_id = $1 FOR UPDATE",
            request_event_id,
        )
        return None if row is None else from_row(TaskRecord, row, _TASK)

    async def start(self, task_id: UUID) -> None:
        await self.connection.execute(
            "WITH task AS (UPDATE async_tasks SET status = 'RUNNING', attempts = attempts + 1, "
            "started_at = coalesce(started_at, clock_timestamp()), message = 'started', "
            "updated_at = now() "
            "WHERE id = $1 AND status IN ('PENDING', 'RUNNING') RETURNING triggered_by_command_id) "
            "UPDATE command_inbox c SET status = 'PROCESSING', updated_at = now() FROM task "
            "WHERE c.id = task.triggered_by_command_id AND c.status = 'RECEIVED'",
            task_id,
        )


#: The request's task RUNNING (only a PENDING or RUNNING one) and its command PROCESSING,
#: committed without waiting for the WAL flush (`quick`, decision 7203): a start is a claim the
#: re-drive recovers. Lost in a crash, the task is PENDING (or RUNNING) and untouched, so the
#: sweeper publishes its request again; and the answer's durable commit flushes the WAL up to
#: itself, the start's record with it, so no answer outlives its start.
_START_CTES = f"""
WITH quick AS (
    SELECT set_config('synchronous_commit', 'off', true)
), task AS (
    UPDATE async_tasks SET status = 'RUNNING', attempts = attempts + 1,
        started_at = coalesce(started_at, clock_timestamp()), message = 'started',
        updated_at = now()
    WHERE request_event_id = $1 AND status IN ('PENDING', 'RUNNING')
    RETURNING {_RECORD_COLUMNS}
), command AS (
    UPDATE command_inbox c SET status = 'PROCESSING', updated_at = now() FROM task
    WHERE c.id = task.triggered_by_command_id AND c.status = 'RECEIVED'
)
"""


def _prompt_sources(session_id: str) -> str:
    """The session's prompt sources ($2 its aggregate type, $3 PROMPT_SOURCES), the latest of
    each type and stage only, each payload cut to PROMPT_KEYS ($4). The folds that read them
    (domain/wishes.py) end where the latest of each leaves them: a later request of a type and
    stage supersedes an earlier one, a confirmation counts until the rollback after it, and
    the last rollback's `confirmed_by` replaces what came before. So rows and bytes stay
    bounded however many stages were confirmed, rolled back and asked for again (issue 54:
    every payload whole was 17.4 s at 60 requests; a row for each was linear in the log).
    Hot rows only: a session with work in flight is never archived (decision 5101)."""
    return f"""
    SELECT id, event_id, event_type, (
               SELECT coalesce(jsonb_object_agg(key, value), '{{}}'::jsonb)
               FROM jsonb_each(payload) WHERE key = ANY($4)
           ) AS payload
    FROM (
        SELECT DISTINCT ON (event_type, payload ->> 'stage') id, event_id, event_type, payload
        FROM domain_events
        WHERE aggregate_type = $2 AND aggregate_id = {session_id} AND event_type = ANY($3)
          AND NOT archived
        ORDER BY event_type, payload ->> 'stage', id DESC
    ) latest"""


_START_WITH_SESSION = (
    _START_CTES
    + f"""SELECT task.id AS task_id, task.task_type, task.status AS task_status,
       task.triggered_by_command_id, task.user_id AS task_user_id, task.session_id,
       task.correlation_id, task.attempts, s.*, r.*
FROM quick LEFT JOIN task ON true
LEFT JOIN LATERAL (
    SELECT {SNAPSHOT_COLUMNS} FROM genesis_sessions WHERE id = task.session_id
) s ON true
LEFT JOIN LATERAL (
    SELECT array_agg(event_id::text ORDER BY id) AS request_ids,
           array_agg(event_type ORDER BY id) AS request_types,
           jsonb_agg(payload ORDER BY id) AS request_payloads
    FROM ({_prompt_sources("task.session_id::text")}) sources
) r ON true
LIMIT 1
"""
)

_VIEW = """
SELECT id, task_type, status::text AS status, progress, message, result_data, error_data,
       created_at, started_at, finished_at, session_id, triggered_by_command_id, correlation_id
FROM async_tasks WHERE id = $1 AND user_id = $2
"""

# Stale: unfinished and untouched for a while (a worker generating sends heartbeats, which
# touch updated_at). SKIP LOCKED: a task a worker holds right now is not stale.
_REDRIVE = """
WITH stale AS (
    SELECT id, request_event_id FROM async_tasks
    WHERE status IN ('PENDING', 'RUNNING') AND updated_at < now() - make_interval(secs => $1)
      AND request_event_id IS NOT NULL
    ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
), touched AS (
    UPDATE async_tasks t SET message = 'request re-published', updated_at = now()
    FROM stale WHERE t.id = stale.id
)
SELECT e.* FROM domain_events e JOIN stale ON e.event_id = stale.request_event_id ORDER BY e.id
"""


class PostgresTaskQueries:
    """`TaskQueries` on the pool; re-driven requests go to `topic` through the outbox; begins
    through `group` (the process's group commit; one of its own on the pool when not given)."""

    def __init__(self, pool: asyncpg.Pool, topic: str, group: GroupCommit | None = None) -> None:
        self.pool = pool
        self.topic = topic
        self.group = GroupCommit(pool) if group is None else group

    async def start_with_session(self, request_event_id: UUID) -> StartedTask | None:
        # One statement for the begin (issue 40): the session and the requests are read in
        # the statement's snapshot, taken before a wait on the task's lock; the answer's
        # version check catches a session moved since (the agent reads it again then). The
        # begins that arrive while one is in flight leave as one batch (group commit: one
        # round trip, one commit; issue 80), so the statement answers one row for every
        # request (LIMIT 1: group commit pairs rows with members), its task's columns null
        # when there was nothing to start. The requests come as text[] and one jsonb: uuid[]
        # and jsonb[] results make asyncpg read their types on each new connection (3
        # statements), in the burst's begins.
        arguments = (request_event_id, AGGREGATE_TYPE, list(PROMPT_SOURCES), list(PROMPT_KEYS))
        with translated():
            row = await self.group.fetchrow(_START_WITH_SESSION, arguments)
        if row["task_id"] is None:
            return None
        task = from_row(TaskRecord, row, _JOINED_TASK)
        session = None if row["id"] is None else snapshot_of(row)
        found = zip(
            row["request_ids"] or [],
            row["request_types"] or [],
            row["request_payloads"] or [],
            strict=True,
        )
        return StartedTask(task, session, [(UUID(i), kind, payload) for i, kind, payload in found])

    async def task(self, task_id: UUID, user_id: UUID) -> TaskView | None:
        with translated():
            row = await self.pool.fetchrow(_VIEW, task_id, user_id)
        if row is None:
            return None
        return from_row(TaskView, row, _VIEW_FIELDS)

    async def outline_parts(self, session_id: UUID, plan: str) -> dict[int, dict[str, Any]]:
        with translated():
            rows = await self.pool.fetch(_PARTS, session_id, plan)
        return {row["part"]: row["content"] for row in rows}

    async def save_outline_part(self, part: OutlinePart) -> None:
        kept = (part.session_id, part.plan, part.part, dict(part.content), part.task_id)
        with translated():
            await self.pool.execute(_SAVE_PART, *kept, part.progress)

    async def forget_outline(self, session_id: UUID, plan: str) -> None:
        with translated():
            await self.pool.execute(_FORGET_PARTS, session_id, plan)

    async def touch(self, task_ids: list[UUID]) -> None:
        with translated():
            # updated_at is what the re-drive sweeper reads; the trigger sets it on any UPDATE.
            await self.pool.execute(
                "UPDATE async_tasks SET updated_at = clock_timestamp() "
                "WHERE id = ANY($1::uuid[]) AND status = 'RUNNING'",
                task_ids,
            )

    async def tell(self, messages: Mapping[UUID, str]) -> None:
        with translated():
            await self.pool.execute(
                "UPDATE async_tasks t SET message = m.message "
                "FROM unnest($1::uuid[], $2::text[]) AS m(id, message) "
                "WHERE t.id = m.id AND t.status = 'RUNNING'",
                list(messages),
                [message[:500] for message in messages.values()],
            )

    async def redrive_stale(self, older_than_seconds: float, limit: int) -> int:
        with translated():
            async with self.pool.acquire() as connection, connection.transaction():
                rows = await connection.fetch(_REDRIVE, older_than_seconds, limit)
                envelopes = [envelope_json(row) for row in rows]
                await outbox.enqueue(connection, self.topic, envelopes)
            if envelopes:  # after the commit: a NOTIFY in it would serialise commits (1000)
                await notify(self.pool)
        return len(envelopes)


# An outline's parts (decision 5404): a plan's parts read, one kept (and the task's progress with
# it), a plan forgotten once its proposal is written.
_PARTS = "SELECT part, content FROM outline_parts WHERE session_id = $1 AND plan = $2"
# The part and the task's progress in one statement; a part kept twice (a redelivered request
# that raced its first copy) keeps the first: the plan is the same, so is what follows it.
_SAVE_PART = """
WITH kept AS (
    INSERT INTO outline_parts (session_id, plan, part, content) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING RETURNING 1
)
UPDATE async_tasks SET progress = $6, updated_at = now() WHERE id = $5 AND status = 'RUNNING'
"""
_FORGET_PARTS = "DELETE FROM outline_parts WHERE session_id = $1 AND plan = $2"
