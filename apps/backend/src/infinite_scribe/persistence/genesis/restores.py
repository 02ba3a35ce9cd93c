"""The state a rollback or a branch restored, read beside its event (decision 5403): every
reader that folds a restore (a version's state, the rebuild) reads its rows here and resolves
its payload with `domain.genesis.resolved`."""

from typing import TypeAlias
from uuid import UUID

import asyncpg

from infinite_scribe.domain.genesis import Restored

Reader: TypeAlias = asyncpg.Connection | asyncpg.Pool

_ROWS = """SELECT seq, confirmed_data, last_result FROM session_restores
WHERE session_id = $1 AND seq = ANY($2::int[])"""


async def restores_of(reader: Reader, session_id: UUID, seqs: list[int]) -> dict[int, Restored]:
    """The rows of the session's restores at `seqs` (a restore written before decision 5403
    has none: its event carries its state)."""
    if not seqs:
        return {}
    rows = await reader.fetch(_ROWS, session_id, seqs)
    return {r["seq"]: Restored(r["confirmed_data"], r["last_result"]) for r in rows}
