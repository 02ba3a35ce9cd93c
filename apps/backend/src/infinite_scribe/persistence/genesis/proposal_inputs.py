"""What a proposal was generated from (issue 55, `proposal_inputs`): read by the prompt view,
a regeneration's command and the worker that answers it."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.writes import ProposalInput

_ONE = """SELECT event_id, session_id, request, messages FROM proposal_inputs
WHERE event_id = $1 AND session_id = $2"""


_LATEST = """SELECT event_id, session_id, request, messages FROM proposal_inputs
WHERE session_id = $1 ORDER BY created_at DESC LIMIT 1"""


async def latest(
    reader: asyncpg.Connection | asyncpg.Pool, session_id: UUID
) -> ProposalInput | None:
    row = await reader.fetchrow(_LATEST, session_id)
    return None if row is None else _input(row)


async def proposal_input(
    reader: asyncpg.Connection | asyncpg.Pool, session_id: UUID, event_id: UUID
) -> ProposalInput | None:
    row = await reader.fetchrow(_ONE, event_id, session_id)
    return None if row is None else _input(row)


def _input(row: asyncpg.Record) -> ProposalInput:
    return ProposalInput(row["event_id"], row["session_id"], row["request"], row["messages"])
