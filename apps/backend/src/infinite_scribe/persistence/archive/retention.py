"""Retention of the tables that grow beside the event log (issue 51, decision 5101): finished
tasks, the inbox rows of finished commands and the consumers' ledger rows older than a cutoff,
deleted in bounded batches. The event log keeps everything; these are derived and only matter
while a command or a message can still come back (a repeat within the idempotency window, a
redelivery within the topic's retention). SENT outbox rows and idempotency records have their
own cleanups (`scribe outbox cleanup`, `scribe idempotency cleanup`).

Each batch reads its victims in physical order with a LIMIT: rows are appended in time order,
so the old ones come first and a batch stops early, without an index on the age (which every
write would pay for)."""

import asyncpg

# Tasks first: an inbox row a task points at is kept until its task goes.
_PRUNES = {
    "async_tasks": """
        WITH doomed AS (
            SELECT id FROM async_tasks
            WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED')
              AND updated_at < now() - make_interval(secs => $1)
            LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (DELETE FROM async_tasks t USING doomed WHERE t.id = doomed.id RETURNING 1)
        SELECT count(*) FROM gone""",
    "command_inbox": """
        WITH doomed AS (
            SELECT id FROM command_inbox c
            WHERE status IN ('COMPLETED', 'FAILED')
              AND created_at < now() - make_interval(secs => $1)
              AND NOT EXISTS (SELECT 1 FROM async_tasks t WHERE t.triggered_by_command_id = c.id)
            LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (DELETE FROM command_inbox c USING doomed WHERE c.id = doomed.id RETURNING 1)
        SELECT count(*) FROM gone""",
    "processed_messages": """
        WITH doomed AS (
            SELECT ctid FROM processed_messages
            WHERE processed_at < now() - make_interval(secs => $1)
            LIMIT $2 FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM processed_messages p USING doomed WHERE p.ctid = doomed.ctid RETURNING 1
        )
        SELECT count(*) FROM gone""",
}


async def prune(
    pool: asyncpg.Pool, older_than_seconds: float, batch: int = 1000, max_batches: int = 1000
) -> dict[str, int]:
    """Delete what is older than the cutoff, table by table; returns the count per table."""
    counts: dict[str, int] = {}
    for table, statement in _PRUNES.items():
        counts[table] = 0
        for _ in range(max_batches):
            deleted = int(await pool.fetchval(statement, older_than_seconds, batch))
            counts[table] += deleted
            if deleted < batch:
                break
    return counts
