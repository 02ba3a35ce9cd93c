"""A flow's handles are found by its correlation id through an index, whatever their status
(migration 0022): the lookups the agent, the sweeper, the API and the trash run. With
sequential scans disabled, a plan that still scans the table has no index to use."""

import asyncio
import uuid

import asyncpg

from infinite_scribe.persistence.tasks.flow_handles import PostgresFlowHandles, PostgresFlowQueries


async def _lookups(connection: asyncpg.Connection) -> list[tuple[str, tuple[object, ...]]]:
    """The SQL (and arguments) of every lookup by correlation id, as the adapters send it."""
    seen: list[tuple[str, tuple[object, ...]]] = []
    connection.add_query_logger(lambda record: seen.append((record.query, record.args)))
    correlation = str(uuid.uuid4())
    handles = PostgresFlowHandles(connection)
    async with connection.transaction():
        await handles.get(correlation)
        await handles.lock(correlation)
    await PostgresFlowQueries(connection).handle_for(correlation, uuid.uuid4())  # type: ignore[arg-type]
    await asyncio.sleep(0)  # asyncpg calls a query logger with call_soon: let the last one run
    return [(query, args) for query, args in seen if "flow_resume_handles" in query]


async def test_lookups_by_correlation_use_an_index(clean_db: asyncpg.Pool) -> None:
    async with clean_db.acquire() as connection:
        lookups = await _lookups(connection)
        assert len(lookups) == 3, lookups
        await connection.execute("SET enable_seqscan = off")
        try:
            for query, args in lookups:
                plan = "\n".join(r[0] for r in await connection.fetch(f"EXPLAIN {query}", *args))
                assert "Seq Scan on flow_resume_handles" not in plan, f"{query}\n{plan}"
        finally:
            await connection.execute("RESET enable_seqscan")
