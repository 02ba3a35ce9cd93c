"""Rebuild the `genesis_sessions` projection from `domain_events` alone, or check it.

For each session: fold its events with the stage machine (`genesis.replay`) and the trash fold
(`trash.fold_trash`); a purged session must have no row. Each session is compared and rewritten
in a transaction of its own that locks its row, so a rebuild can run beside live traffic.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.projections import (
    PROJECTIONS,
    ProjectedRow,
    ProjectionQueries,
    state_columns,
)
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.retries import with_retries
from infinite_scribe.domain.genesis import replay
from infinite_scribe.domain.trash import PURGED, fold_trash
from shared_types import DomainEventRow

#: How a whole row differs: it exists but should not, or the other way round.
ROW = "row"


@dataclass(frozen=True)
class Difference:
    """One session whose stored row differs from its events: column -> (stored, expected)."""

    session_id: UUID
    fields: dict[str, tuple[Any, Any]]
    #: Set when the events themselves cannot be folded (then nothing is written).
    error: str | None = None


@dataclass
class RebuildReport:
    checked: int = 0
    rewritten: int = 0
    differences: list[Difference] = field(default_factory=list)


def project(session_id: UUID, events: Sequence[DomainEventRow]) -> ProjectedRow | None:
    """The row `events` imply (None: the session must have no row: no events, or purged)."""
    if not events:
        return None
    if any(event.event_type == PURGED for event in events):
        return None  # its payloads are erased; the tombstone says the row is gone for good
    pairs = [(event.event_type, event.payload) for event in events]
    trash = fold_trash(pairs)
    state = replay(session_id, pairs)
    if state is None:
        return None
    return ProjectedRow(state=state, trashed_at=trash.trashed_at, created_at=events[0].created_at)


def columns(row: ProjectedRow) -> dict[str, Any]:
    """The projected columns as the database holds them."""
    return {
        "user_id": row.state.user_id,
        **state_columns(row.state),
        "trashed_at": row.trashed_at,
        "branched_from": None if row.state.branched_from is None else dict(row.state.branched_from),
    }


def compare(stored: dict[str, Any] | None, expected: ProjectedRow | None) -> dict[str, Any]:
    """Column -> (stored, expected) for every column that differs; {} when equal."""
    if stored is None or expected is None:
        if stored is None and expected is None:
            return {}
        return {ROW: ("present" if stored else "missing", "present" if expected else "absent")}
    wanted = columns(expected)
    return {
        name: (stored.get(name), value)
        for name, value in wanted.items()
        if stored.get(name) != value
    }


class ProjectionRebuilder:
    """`scribe projections rebuild`: check or rewrite session rows from their events."""

    def __init__(self, uow: UnitOfWork, queries: ProjectionQueries) -> None:
        self.uow = uow
        self.queries = queries

    async def run(
        self,
        session_ids: Iterable[UUID] | None,
        *,
        write: bool,
        on_progress: Callable[[int], None] | None = None,
    ) -> RebuildReport:
        """Check (write=False) or rebuild the given sessions (None: every session);
        `on_progress(1)` after each (a progress bar's advance)."""
        ids = list(session_ids) if session_ids is not None else await self.queries.session_ids()
        report = RebuildReport()
        for session_id in ids:
            difference = await self.one(session_id, write=write)
            report.checked += 1
            if difference is not None:
                report.differences.append(difference)
                report.rewritten += int(write and difference.error is None)
            if on_progress is not None:
                on_progress(1)
        return report

    async def one(self, session_id: UUID, *, write: bool) -> Difference | None:
        async def attempt(number: int) -> Difference | None:
            async with self.uow.transaction() as tx:
                repository = tx.repository(PROJECTIONS)
                stored = await repository.lock_row(session_id)
                events = await repository.events(session_id)
                try:
                    expected = project(session_id, events)
                except (ValueError, KeyError, TypeError) as error:
                    return Difference(session_id, {}, error=f"events cannot be folded: {error}")
                fields = compare(stored, expected)
                if not fields:
                    return None
                if write:
                    await repository.write(session_id, expected)
                return Difference(session_id, fields)

        return await with_retries(attempt)
