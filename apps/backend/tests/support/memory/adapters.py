"""In-memory adapters of the storage ports (as eventsourcing's `popo.py`), so the application's
use cases run in unit tests without PostgreSQL. They keep the rules the use cases rely on (the
same refusals as the SQL, in the same order: memory/tables.py), not the SQL's performance;
tests/support/storage_contract.py holds the cases both run (memory in unit/, PostgreSQL in
integration/).

A transaction runs alone (one lock) on a copy of the tables that replaces them at commit; a
write outside a transaction is a one-write transaction.
"""

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

from infinite_scribe.application.ports.flows import FLOW_HANDLES
from infinite_scribe.application.ports.genesis import (
    GENESIS_SESSIONS,
    CommandTarget,
    EventLines,
    ExistingCommand,
    KeyLookup,
    KeyRecord,
    SessionSnapshot,
)
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.story import STORY
from infinite_scribe.application.ports.tasks import (
    ASYNC_TASKS,
    GenerationRequests,
    OutlinePart,
    StartedTask,
    TaskRecord,
    TaskView,
)
from infinite_scribe.application.ports.writes import ProposalInput, Write
from infinite_scribe.domain.genesis import VersionTarget, resolved
from infinite_scribe.domain.history import LoggedEvent, fold
from infinite_scribe.domain.wishes import PROMPT_SOURCES
from tests.support.memory.flows import MemoryHandles
from tests.support.memory.story_memory import MemoryBibles, MemoryStory
from tests.support.memory.tables import (
    PENDING,
    UNFINISHED,
    Tables,
    apply,
    key_holder,
)

R = TypeVar("R")


class MemoryDatabase:
    """The tables, the lock that runs one transaction at a time, and the ports on them."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = asyncio.Lock()
        self.commits = 0  # each write outside a transaction and each committed transaction

    def snapshot(self, session_id: UUID, user_id: UUID | None = None) -> SessionSnapshot | None:
        row = self.tables.sessions.get(session_id)
        if row is None or (user_id is not None and row["state"].user_id != user_id):
            return None
        return SessionSnapshot(row["state"], row["trashed_at"] is not None, row["trashed_at"])


class MemoryWrites:
    """`AggregateWrites` in "autocommit": one write, all or nothing."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def write(self, write: Write) -> list[int]:
        async with self.db.lock:
            tables = copy.deepcopy(self.db.tables)
            ids = apply(tables, write)
            self.db.tables = tables
            self.db.commits += 1
            return ids


class MemoryTransaction:
    """`Transaction` on a private copy of the tables."""

    def __init__(self, db: MemoryDatabase, tables: Tables) -> None:
        self.db = db
        self.tables = tables

    async def write(self, write: Write) -> list[int]:
        staged = copy.deepcopy(self.tables)
        ids = apply(staged, write)  # a refused statement changes nothing, as in SQL
        self.tables.__dict__.update(staged.__dict__)
        return ids

    def repository(self, key: RepositoryKey[R]) -> R:
        adapters: dict[str, Any] = {
            GENESIS_SESSIONS.name: MemoryGenesis(self.db, self.tables),
            ASYNC_TASKS.name: MemoryTasks(self.tables),
            FLOW_HANDLES.name: MemoryHandles(self.tables),
            STORY.name: MemoryStory(self.tables),
        }
        return cast(R, adapters[key.name])


class MemorySession:
    """The `Transaction` of `autocommit()`: reads see the committed tables, each write commits."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.writes = MemoryWrites(db)

    async def write(self, write: Write) -> list[int]:
        return await self.writes.write(write)

    def repository(self, key: RepositoryKey[R]) -> R:
        # The tasks too: an agent begins its task in autocommit (each statement commits).
        if key.name == ASYNC_TASKS.name:
            return cast(R, MemoryTasks(self.db.tables))
        if key.name == STORY.name:
            return cast(R, MemoryStory(self.db.tables))
        if key.name == NOVELS.name:
            return cast(R, MemoryBibles(self.db.tables))
        if key.name != GENESIS_SESSIONS.name:
            raise NotImplementedError(f"{key.name} is used inside transactions only")
        return cast(R, MemoryGenesis(self.db))


class MemoryUnitOfWork:
    """`UnitOfWork`: transactions serialised by the database's lock."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.writes = MemoryWrites(db)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[MemorySession]:
        yield MemorySession(self.db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        async with self.db.lock:
            tx = MemoryTransaction(self.db, copy.deepcopy(self.db.tables))
            yield tx
            self.db.tables = tx.tables  # an exception skips this: rolled back
            self.db.commits += 1


class MemoryGenesis:
    """`GenesisRepository` (on a transaction's tables) and `CommandQueries`/`GenesisQueries`
    (on the committed ones)."""

    def __init__(self, db: MemoryDatabase, tables: Tables | None = None) -> None:
        self.db = db
        self._tables = tables

    @property
    def tables(self) -> Tables:
        return self._tables if self._tables is not None else self.db.tables

    async def load(self, session_id: UUID) -> SessionSnapshot | None:
        row = self.tables.sessions.get(session_id)
        if row is None:
            return None
        return SessionSnapshot(row["state"], row["trashed_at"] is not None, row["trashed_at"])

    async def version_target(
        self, session_id: UUID, event_id: UUID, user_id: UUID
    ) -> VersionTarget | None:
        """Folded from the session's own events (it does not follow a branch's origin)."""
        return fold(self._events_of(session_id), with_changes=False).targets.get(event_id)

    async def latest_proposal_input(self, session_id: UUID) -> ProposalInput | None:
        found = [i for i in self.tables.proposal_inputs.values() if i.session_id == session_id]
        return found[-1] if found else None  # a dict keeps the order they were written in

    async def proposal_input(self, session_id: UUID, event_id: UUID) -> ProposalInput | None:
        found = self.tables.proposal_inputs.get(event_id)
        return found if found is not None and found.session_id == session_id else None

    async def session_input(self, session_id: UUID) -> dict[str, Any]:
        first = next(iter(self._events_of(session_id)), None)
        return dict((first.payload if first else {}).get("initial_user_input") or {})

    def _events_of(self, session_id: UUID) -> list[LoggedEvent]:
        own = [e for e in self.tables.events if e.aggregate_id == str(session_id)]
        restores = self.tables.restores
        return [
            LoggedEvent(e.event_id, session_id, e.event_type, payload, e.occurred_at)
            for e in own
            for payload in [
                resolved(e.payload, restores.get((session_id, e.aggregate_version or 0)))
            ]
        ]

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None:
        found = await self.load(session_id)
        return found if found is not None and found.state.user_id == user_id else None

    async def command_target(
        self, session_id: UUID, user_id: UUID, lookup: KeyLookup | None
    ) -> CommandTarget:
        record = None
        held = key_holder(self.tables, user_id, lookup.key) if lookup else None
        if held is not None:
            command = self._existing_of(held, same_key=True)
            record = KeyRecord(held["request_fingerprint"] or "", None, command=command)
        return CommandTarget(await self.snapshot(session_id, user_id), record)

    async def existing(
        self, aggregate_id: UUID, user_id: UUID, idempotency_key: str, command_type: str
    ) -> ExistingCommand | None:
        same = key_holder(self.tables, user_id, idempotency_key)
        if same is not None:
            return self._existing_of(same, same_key=True)
        rows = [r for r in self.tables.inbox.values() if r["aggregate_id"] == aggregate_id]
        pending = [r for r in rows if r["command_type"] == command_type and r["status"] in PENDING]
        return self._existing_of(pending[0], same_key=False) if pending else None

    def _existing_of(self, row: dict[str, Any], same_key: bool) -> ExistingCommand:
        tasks = self.tables.tasks.values()
        task = next((t["task_id"] for t in tasks if t["command_id"] == row["command_id"]), None)
        return ExistingCommand(
            row["command_id"], row["command_type"], row["status"], row["correlation_id"],
            same_key, task, row["aggregate_id"],
        )  # fmt: skip

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        events = [e for e in self.tables.events if e.aggregate_id == str(session_id)]
        return [e for e in events if (e.aggregate_version or 0) > after][:limit]

    async def session_event_lines(
        self, session_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        rows = await self.session_events(session_id, after, limit + 1)
        return event_lines(rows, limit, max_bytes, "aggregate_version")

    async def correlated_event_lines(
        self, correlation_id: UUID, user_id: UUID, after: int, limit: int, max_bytes: int
    ) -> EventLines:
        events = self.tables.events
        rows = [e for e in events if e.correlation_id == correlation_id][: limit + 1]
        return event_lines(rows, limit, max_bytes, "id")


class MemoryTasks:
    """`TaskRepository` on a transaction's tables (the lock is the transaction's)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def lock_for_event(self, request_event_id: UUID) -> TaskRecord | None:
        for t in self.tables.tasks.values():
            if t["request_event_id"] == request_event_id:
                return TaskRecord(
                    t["task_id"], t["task_type"], t["status"], t["command_id"], t["user_id"],
                    t["session_id"], t["correlation_id"], t["attempts"],
                )  # fmt: skip
        return None

    async def start_with_session(self, request_event_id: UUID) -> StartedTask | None:
        found = await self.lock_for_event(request_event_id)
        if found is None or found.status not in UNFINISHED:
            return None
        await self.start(found.task_id)
        task = await self.lock_for_event(request_event_id)
        assert task is not None
        row = self.tables.sessions.get(task.session_id)
        session = None
        if row is not None:
            trashed_at = row["trashed_at"]
            session = SessionSnapshot(row["state"], trashed_at is not None, trashed_at)
        return StartedTask(task, session, requests_of(self.tables, task.session_id))

    async def start(self, task_id: UUID) -> None:
        task = self.tables.tasks[task_id]
        if task["status"] in UNFINISHED:
            task.update(status="RUNNING", attempts=task["attempts"] + 1)
            command = self.tables.inbox.get(task["command_id"])
            if command is not None and command["status"] == "RECEIVED":
                command["status"] = "PROCESSING"


class MemoryTaskQueries:
    """`TaskQueries` on the committed tables (no re-drive: nothing goes stale in a test)."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def task(self, task_id: UUID, user_id: UUID) -> TaskView | None:
        t = self.db.tables.tasks.get(task_id)
        if t is None or t["user_id"] != user_id:
            return None
        return TaskView(
            t["task_id"], t["task_type"], t["status"], Decimal(0), None, None, None,
            datetime.now(UTC), None, None, t["session_id"], t["command_id"], t["correlation_id"],
        )  # fmt: skip

    async def touch(self, task_ids: list[UUID]) -> None:
        return None

    async def start_with_session(self, request_event_id: UUID) -> StartedTask | None:
        # In autocommit: on the committed tables, as the SQL statement commits at once.
        return await MemoryTasks(self.db.tables).start_with_session(request_event_id)

    async def redrive_stale(self, older_than_seconds: float, limit: int) -> int:
        return 0

    async def outline_parts(self, session_id: UUID, plan: str) -> dict[int, dict[str, Any]]:
        return dict(self.db.tables.outline_parts.get((session_id, plan), {}))

    async def save_outline_part(self, part: OutlinePart) -> None:
        parts = self.db.tables.outline_parts.setdefault((part.session_id, part.plan), {})
        parts.setdefault(part.part, dict(part.content))

    async def forget_outline(self, session_id: UUID, plan: str) -> None:
        self.db.tables.outline_parts.pop((session_id, plan), None)


def requests_of(tables: Tables, session_id: UUID) -> GenerationRequests:
    return [
        (e.event_id, e.event_type, dict(e.payload)) for e in tables.events
        if e.aggregate_id == str(session_id) and e.event_type in PROMPT_SOURCES
    ]  # fmt: skip


def event_lines(rows: list[Any], limit: int, max_bytes: int, position: str) -> EventLines:
    """At most `limit` of `rows` (one more tells there is more), none past the one that
    reaches `max_bytes`, as the SQL store cuts them (persistence/genesis/adapters.py);
    `position` names the field the cursor goes on from."""
    lines: list[str] = []
    size = 0
    for row in rows[:limit]:
        if lines and size >= max_bytes:
            break
        line = row.model_dump_json()
        lines.append(line)
        size += len(line.encode())
    more = len(rows) > len(lines)
    last = rows[len(lines) - 1] if lines else None
    return EventLines(lines, getattr(last, position, None) if more else None)
