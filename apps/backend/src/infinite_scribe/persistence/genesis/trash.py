"""SQL of the trash: load and move a session in and out of it, purge it, list the trash."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.ports.reads import SessionSummary
from infinite_scribe.application.ports.trash import PurgedRows
from infinite_scribe.domain.chapters import AGGREGATE_TYPE as NOVEL_AGGREGATE
from infinite_scribe.domain.genesis_events import AGGREGATE_TYPE as SESSION_AGGREGATE
from infinite_scribe.domain.story_memory import AGGREGATE_TYPE as STORY_AGGREGATE
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.genesis.reads import summary_of
from infinite_scribe.persistence.genesis.sessions import load_session

_SUMMARY = (
    "SELECT id, status::text AS status, current_stage::text AS current_stage, version, "
    "pending_command_type IS NOT NULL AS is_pending, novel_id, "
    "created_at, updated_at, trashed_at FROM genesis_sessions "
)

# Every flow the session took part in: the correlation ids of its events and of its commands
# (a resume handle is registered under a flow's correlation id).
_CORRELATIONS = """
SELECT DISTINCT c::text FROM (
    SELECT correlation_id FROM domain_events WHERE aggregate_type = $2 AND aggregate_id = $3
    UNION SELECT correlation_id FROM command_inbox WHERE session_id = $1
) AS flows(c) WHERE c IS NOT NULL
"""


def _deleting(rows: Sequence[tuple[str, str, str]]) -> str:
    """One CTE a (name, table, condition): the table's rows where the condition holds,
    deleted (each returns 1 a row, to be counted)."""
    return ", ".join(
        f"{name} AS (\n    DELETE FROM {table} WHERE {where} RETURNING 1\n)"
        for name, table, where in rows
    )


#: What a purge deletes by its session's id ($1) or its novel's ($3), after its flows' resume
#: handles and its tasks.
_SESSION_ROWS = (
    ("commands", "command_inbox", "session_id = $1"),
    ("session", "genesis_sessions", "id = $1"),
    ("finishes", "session_finishes", "session_id = $1"),
    ("restores", "session_restores", "session_id = $1"),
    ("outline", "outline_parts", "session_id = $1"),
    ("inputs", "proposal_inputs", "session_id = $1"),
    ("novel", "novels", "id = $3"),
)

# One statement, so the purge costs one round trip besides the erasure. Tasks before the inbox
# rows they point at (the FK would null them otherwise, and they would be orphans).
_PURGE_ROWS = f"""
WITH handles AS (
    DELETE FROM flow_resume_handles WHERE correlation_id = ANY($2::text[]) RETURNING 1
), tasks AS (
    DELETE FROM async_tasks
    WHERE session_id = $1
       OR triggered_by_command_id IN (SELECT id FROM command_inbox WHERE session_id = $1)
    RETURNING 1
), {_deleting(_SESSION_ROWS)}
SELECT (SELECT count(*) FROM handles) AS resume_handles, (SELECT count(*) FROM tasks) AS tasks,
       (SELECT count(*) FROM commands) AS commands, (SELECT count(*) FROM novel) AS novels
"""


def _purge_outbox(kept: str) -> str:
    """The outbox keeps a copy of each envelope: sent rows go (the relay is done with them); an
    unsent row is still delivered, for order's sake, but with its payload erased too. `kept`
    (SQL) holds for every row but the tombstone, which is left whole."""
    return f"""
WITH sent AS (
    DELETE FROM event_outbox WHERE key = $1 AND status = 'SENT' AND {kept} RETURNING 1
), unsent AS (
    UPDATE event_outbox SET payload = jsonb_set(payload, '{{payload}}', '{{}}'::jsonb)
    WHERE key = $1 AND status <> 'SENT' AND {kept} AND payload ? 'payload'
    RETURNING 1
)
SELECT (SELECT count(*) FROM sent) + (SELECT count(*) FROM unsent)
"""


#: The session's outbox rows ($1: its key), all but its tombstone ($2: the purge's event).
_PURGE_OUTBOX = _purge_outbox("event_id <> $2")

#: A novel's own commands and tasks ($1: the novel's id, their aggregate's).
_NOVEL_ROWS = (
    ("tasks", "async_tasks", "session_id = $1"),
    ("commands", "command_inbox", "session_id = $1"),
)
_PURGE_NOVEL_ROWS = f"""
WITH {_deleting(_NOVEL_ROWS)}
SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM commands) AS commands
"""

#: The novel's outbox rows, its tombstone (the last event of its stream) left whole.
_PURGE_NOVEL_OUTBOX = _purge_outbox("payload->>'event_type' NOT LIKE '%.Purged'")


class PostgresTrashRepository:
    """`TrashRepository` on the connection of one transaction."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def load(self, session_id: UUID, user_id: UUID | None) -> SessionSnapshot | None:
        return await load_session(self.connection, session_id, user_id)

    async def purge(self, session: SessionSnapshot, purge_event_id: UUID) -> PurgedRows:
        session_id = session.state.session_id
        flows = [
            row[0]
            for row in await self.connection.fetch(
                _CORRELATIONS, session_id, SESSION_AGGREGATE, str(session_id)
            )
        ]
        counts = await self.connection.fetchrow(
            _PURGE_ROWS, session_id, flows, session.state.novel_id
        )
        erased = await self.connection.fetchval(
            "SELECT erase_purged_aggregate($1, $2)", SESSION_AGGREGATE, str(session_id)
        )
        outbox = await self.connection.fetchval(_PURGE_OUTBOX, str(session_id), purge_event_id)
        novel = await self._purge_novel_stream(session.state.novel_id)
        return PurgedRows(
            events_erased=int(erased) + novel["events"],
            commands=int(counts["commands"]) + novel["commands"],
            tasks=int(counts["tasks"]) + novel["tasks"],
            resume_handles=int(counts["resume_handles"]),
            novels=int(counts["novels"]),
            outbox_rows=int(outbox) + novel["outbox"],
        )

    async def _purge_novel_stream(self, novel_id: UUID | None) -> dict[str, int]:
        """The novel's own streams (its chapters, issue 39; its story memory, issue 48): its
        commands and tasks deleted, its events' payloads erased (their `...Purged` tombstones
        were written first), its outbox copies gone or erased."""
        if novel_id is None:
            return {"events": 0, "commands": 0, "tasks": 0, "outbox": 0}
        rows = await self.connection.fetchrow(_PURGE_NOVEL_ROWS, novel_id)
        erased = 0
        # Its story memory's stream too (issue 48: it quotes the chapters), when it has one.
        for aggregate in (NOVEL_AGGREGATE, STORY_AGGREGATE):
            erased += await self.connection.fetchval(
                "SELECT erase_purged_aggregate($1, $2)", aggregate, str(novel_id)
            )
        outbox = await self.connection.fetchval(_PURGE_NOVEL_OUTBOX, str(novel_id))
        return {
            "events": int(erased),
            "commands": int(rows["commands"]),
            "tasks": int(rows["tasks"]),
            "outbox": int(outbox),
        }


class PostgresTrashQueries:
    """`TrashQueries` on the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def trashed(
        self, user_id: UUID, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[SessionSummary]:
        # Keyset on (trashed_at, id), newest first: a session trashed meanwhile lands on page
        # one and never shifts later pages (as OFFSET would).
        with translated():
            rows = await self.pool.fetch(
                _SUMMARY + "WHERE user_id = $1 AND trashed_at IS NOT NULL "
                "AND ($2::timestamptz IS NULL OR (trashed_at, id) < ($2::timestamptz, $3::uuid)) "
                "ORDER BY trashed_at DESC, id DESC LIMIT $4",
                user_id,
                None if after is None else after[0],
                None if after is None else after[1],
                limit,
            )
        return [summary_of(row) for row in rows]

    async def was_purged(self, session_id: UUID, user_id: UUID) -> bool:
        with translated():
            found = await self.pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM domain_events WHERE aggregate_type = $1 "
                "AND aggregate_id = $2 AND event_type = 'Genesis.Session.Purged' "
                "AND metadata->>'user_id' = $3)",
                SESSION_AGGREGATE,
                str(session_id),
                str(user_id),
            )
        return bool(found)

    async def expired(self, trashed_before: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        with translated():
            rows = await self.pool.fetch(
                "SELECT id, user_id FROM genesis_sessions "
                "WHERE trashed_at IS NOT NULL AND trashed_at < $1 ORDER BY trashed_at LIMIT $2",
                trashed_before,
                limit,
            )
        return [(row["id"], row["user_id"]) for row in rows]
