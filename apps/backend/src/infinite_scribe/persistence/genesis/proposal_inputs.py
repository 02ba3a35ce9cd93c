"""What a proposal was generated from (issue 55, `proposal_inputs`): read by the prompt view,
a regeneration's command and the worker that answers it."""

from uuid import UUID

import asyncpg

from infinite_scribe.application.ports.writes import ProposalInput

_ONE = """SELECT event_id, session_id, request, messages FROM proposal_inputs
WHERE event_id = $1 AND session_id = $2"""


async def proposal_input(
    reader: asyncpg.Connection | asyncpg.Pool, session_id: UUID, event_id: UUID
) -> ProposalInput | None:
    row = await reader.fetchrow(_ONE, event_id, session_id)
    if row is None:
        return None
    return ProposalInput(row["event_id"], row["session_id"], row["request"], row["messages"])
