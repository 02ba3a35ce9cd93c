"""Synchronous wrappers of the outbox operations for the command line (one pool per call)."""

import asyncpg

from infinite_scribe.persistence.database import run_with_pool
from infinite_scribe.persistence.outbox import operations, slot, switch


def status(database_url: str) -> str:
    report = run_with_pool(database_url, operations.status)
    logical = run_with_pool(database_url, slot.status)
    lines = [f"outbox mode: {logical.mode}"]
    if logical.slot_exists:
        lines.append(
            f"logical slot {slot.SLOT}: {'read by a relay' if logical.active else 'not read'}, "
            f"{logical.lag_bytes} bytes of WAL behind"
        )
    lines.append("outbox rows:")
    for name in ("PENDING", "SENT", "FAILED"):
        lines.append(f"  {name:<8} {report.counts.get(name, 0)}")
    age = report.oldest_pending_age_seconds
    lines.append(f"oldest PENDING: {f'{age:.1f}s ago' if age is not None else 'none'}")
    if report.held:
        lines.append(f"held behind a FAILED row of their key: {report.held}")
    for row in report.failed:
        lines.append(
            f"FAILED {row['id']} key={row['key']} topic={row['topic']} attempts={row['attempts']} "
            f"{row['last_error_class']}: {row['last_error']}"
        )
    return "\n".join(lines)


def logical(database_url: str, on: bool) -> switch.Off | None:
    """Switch the database's outbox to messages (True) or back to rows (persistence/outbox/
    switch.py); what off handed to the table, None for on."""

    async def flip(pool: asyncpg.Pool) -> switch.Off | None:
        async with pool.acquire() as connection:
            if on:
                await switch.switch_on(connection)
                return None
            return await switch.switch_off(connection)

    return run_with_pool(database_url, flip)


def default_mode(database_url: str, wanted: str) -> str:
    """The outbox mode of a new embedded database (`scribe up`, decision 4004): `wanted`, or
    the table mode with the reason when the server cannot run the logical outbox. A line for
    the log."""
    if wanted != "logical":
        return "outbox mode of the new database: table (EMBEDDED_OUTBOX_MODE=table)"
    try:
        logical(database_url, True)
    except slot.LogicalModeUnavailable as error:
        return f"outbox mode of the new database: table ({error})"
    return "outbox mode of the new database: logical (`scribe outbox logical off` switches back)"
