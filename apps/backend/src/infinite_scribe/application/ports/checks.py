"""What the continuity check needs of its ledger beyond the results' row (issue 71): the check
is taken at its start, so a restart knows a check was begun and how often."""

from typing import Protocol
from uuid import UUID


class CheckLedger(Protocol):
    """The continuity consumer's start-of-check rows (persistence/tasks/checks.py)."""

    async def begin(self, consumer: str, event_id: UUID) -> int | None:
        """This check's attempt number (1 the first time), taken before any work; None: the
        event is checked already (its results' ledger row exists), nothing to do."""
        ...

    async def finish(self, consumer: str, event_id: UUID) -> None:
        """Forget the attempts of a check whose results are stored."""
        ...
