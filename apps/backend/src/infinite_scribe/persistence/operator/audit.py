"""The operator audit log and the dead letters' dispositions in PostgreSQL (migration
0011_operator_audit); adapters of application/ports/operator.py."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.operator import AuditEntry
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.rows import from_row

_COLUMNS = "action_id, actor_id, action, target, row_count, created_at, finished_at"


def _entry(row: asyncpg.Record) -> AuditEntry:
    return from_row(AuditEntry, row, target=dict(row["target"]))


class PostgresAuditLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, action_id: UUID) -> AuditEntry | None:
        with translated():
            row = await self.pool.fetchrow(
                f"SELECT {_COLUMNS} FROM operator_audit WHERE action_id = $1", action_id
            )
        return _entry(row) if row is not None else None

    async def claim(self, entry: AuditEntry) -> AuditEntry | None:
        with translated():
            # ON CONFLICT DO NOTHING: the first submission of a form claims its action id
            # (the idempotency key); a repeat reads the stored entry instead.
            inserted = await self.pool.fetchval(
                "INSERT INTO operator_audit (action_id, actor_id, action, target) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (action_id) DO NOTHING RETURNING 1",
                entry.action_id,
                entry.actor_id,
                entry.action,
                entry.target,
            )
        if inserted is not None:
            return None
        stored = await self.find(entry.action_id)
        assert stored is not None  # finished entries are never deleted
        return stored

    async def complete(
        self, action_id: UUID, row_count: int, outcome: dict[str, str] | None = None
    ) -> AuditEntry:
        with translated():
            row = await self.pool.fetchrow(
                "UPDATE operator_audit SET row_count = $2, finished_at = now(), "
                "target = CASE WHEN $3::jsonb IS NULL THEN target "
                "ELSE target || jsonb_build_object('outcome', $3::jsonb) END "
                f"WHERE action_id = $1 RETURNING {_COLUMNS}",
                action_id,
                row_count,
                outcome,
            )
        assert row is not None
        return _entry(row)

    async def abandon(self, action_id: UUID) -> None:
        with translated():
            await self.pool.execute(
                "DELETE FROM operator_audit WHERE action_id = $1 AND finished_at IS NULL",
                action_id,
            )

    async def recent(self, limit: int, action: str | None = None) -> list[AuditEntry]:
        with translated():
            rows = await self.pool.fetch(
                f"SELECT {_COLUMNS} FROM operator_audit WHERE ($2::text IS NULL OR action = $2) "
                "ORDER BY created_at DESC, id LIMIT $1",
                limit,
                action,
            )
        return [_entry(row) for row in rows]


class PostgresDispositions:
    """Which dead letters of `topic` (the dead-letter topic) were replayed or discarded."""

    def __init__(self, pool: asyncpg.Pool, topic: str) -> None:
        self.pool = pool
        self.topic = topic

    async def all(self) -> dict[str, str]:
        with translated():
            rows = await self.pool.fetch(
                'SELECT partition, "offset", disposition FROM dead_letter_dispositions '
                "WHERE topic = $1",
                self.topic,
            )
        return {f"{r['partition']}:{r['offset']}": r["disposition"] for r in rows}

    async def claim(self, positions: list[str], disposition: str, action_id: UUID) -> list[str]:
        partitions, offsets = _arrays(positions)
        with translated():
            # The primary key makes each letter's disposition once-only: a concurrent claim of
            # the same letter inserts nothing and so replays nothing.
            rows = await self.pool.fetch(
                'INSERT INTO dead_letter_dispositions (topic, partition, "offset", disposition, '
                "action_id) SELECT $1, p, o, $4, $5 "
                "FROM unnest($2::int[], $3::bigint[]) AS t(p, o) "
                'ON CONFLICT DO NOTHING RETURNING partition, "offset"',
                self.topic,
                partitions,
                offsets,
                disposition,
                action_id,
            )
        return sorted(f"{r['partition']}:{r['offset']}" for r in rows)

    async def release(self, positions: list[str], action_id: UUID) -> None:
        partitions, offsets = _arrays(positions)
        with translated():
            await self.pool.execute(
                "DELETE FROM dead_letter_dispositions d USING unnest($2::int[], $3::bigint[]) "
                't(p, o) WHERE d.topic = $1 AND d.partition = t.p AND d."offset" = t.o '
                "AND d.action_id = $4",
                self.topic,
                partitions,
                offsets,
                action_id,
            )


def _position(text: str) -> tuple[int, int]:
    partition, _, offset = text.partition(":")
    return int(partition), int(offset)


def _arrays(positions: list[str]) -> tuple[list[int], list[int]]:
    """The positions (PARTITION:OFFSET) as the two arrays the statements unnest."""
    parsed = [_position(text) for text in positions]
    return [p for p, _ in parsed], [o for _, o in parsed]
