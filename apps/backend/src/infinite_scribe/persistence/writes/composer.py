"""`AggregateWrites` on PostgreSQL: `WriteComposer` turns a `Write` into one statement of its
parts (writes/statement.py; the parts' SQL in writes/parts.py, writes/genesis_parts.py,
writes/task_parts.py), run in autocommit on the pool (`PoolWrites`: the command path, one
round trip) or on the
connection of a transaction (`PostgresTransaction.write`). It is the only writer of events.

Events are checked before anything is written: names (the controlled vocabulary), versions set,
and the produced size (an event too big to publish could never leave the outbox).

One outbox mode per statement (decision 4001): a composer learns its database's mode on its first
write and writes the statement of that mode; the statement's guard reads the mode under the
switch's fence and refuses it, writing nothing, after a switch. In autocommit the composer then
runs the other mode's statement at once; in a transaction the refusal is a `ConcurrencyConflict`
(the transaction is lost: its caller runs it again, as after any serialization failure), and the
next write uses the other mode. A composer serves one database (its mode is that database's).
"""

import asyncio
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import orjson

from infinite_scribe.application.ports.writes import PART_ORDER, Write, check_events
from infinite_scribe.domain.errors import ConcurrencyConflict, EventTooLarge
from infinite_scribe.domain.event_size import (
    DEFAULT_EVENT_MAX_BYTES,
    RECORD_OVERHEAD,
    produced_size,
)
from infinite_scribe.persistence.errors import translated
from infinite_scribe.persistence.event_store import stored_metadata
from infinite_scribe.persistence.outbox.rows import MODE_SWITCHED, TABLE, other_mode, read_mode
from infinite_scribe.persistence.writes import genesis_parts, parts, task_parts
from infinite_scribe.persistence.writes.chapter_parts import ChaptersPart
from infinite_scribe.persistence.writes.group_commit import GroupCommit
from infinite_scribe.persistence.writes.statement import StatementPart, run
from infinite_scribe.persistence.writes.story_parts import StoryPart
from shared_types import EventEnvelope

#: A number in exponent notation (a token after `:`, `[` or `,` in orjson's compact output):
#: PostgreSQL prints it in full (1e300: 301 digits). A string that looks so only costs the
#: exact measure.
_EXPONENT = re.compile(rb"[:\[,]-?\d+(?:\.\d+)?[eE]")
#: Header names, the source prefix and the framing of every header (event_size.produced_size).
_HEADER_ROOM = 512


def _texts(events: Sequence[EventEnvelope]) -> list[bytes]:
    # Each envelope is written to JSON once (issue 40): that text is measured and is the
    # outbox's value as it is (an orjson Fragment the jsonb codec copies).
    return [_ENVELOPE_JSON(event) for event in events]


def surely_fits_json(text: bytes, limit: int) -> bool:
    """A cheap upper bound of `produced_size` from the envelope's compact JSON `text` (the
    exact walk was the command path's busiest Python function): without exponent numbers the
    JSONB text is at most twice the JSON (one more byte per separator), and the key and every
    header value are copies of envelope fields, so at most the JSON once more each side. False
    only means "measure it exactly"."""
    if RECORD_OVERHEAD + 4 * len(text) + _HEADER_ROOM > limit:
        return False  # before the scan: 6 ms a MiB, on the loop (issue 49)
    return _EXPONENT.search(text) is None


#: One thread for all the measuring of a process: two or more would each take the GIL from
#: the loop in turn (bounded in total, as the exports are: application/cpu.py).
_MEASURING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-size")

#: An envelope's JSON as pydantic writes it for `model_dump_json` (bytes, no str round trip).
_ENVELOPE_JSON = EventEnvelope.__pydantic_serializer__.to_json


class WriteComposer:
    """Turns a `Write` into the statement parts of its shape (topic and size limit fixed)."""

    def __init__(self, topic: str, max_event_bytes: int = DEFAULT_EVENT_MAX_BYTES) -> None:
        self.topic = topic
        self.max_event_bytes = max_event_bytes
        #: The outbox mode the statements are written for (None: read at the first write).
        self.outbox_mode: str | None = None
        #: The SQL of each part of `Write`, by its name in `PART_ORDER`.
        self._makers: dict[str, Callable[[Any], StatementPart]] = {
            "ledger": task_parts.LedgerPart,
            "session": genesis_parts.NewSessionPart,
            "inbox": parts.InboxPart,
            "events": self.events_part,
            "snapshot": genesis_parts.SnapshotPart,
            "supersede": genesis_parts.SupersedePart,
            "novel": genesis_parts.NovelPart,
            "restore": genesis_parts.RestorePart,
            "proposal_input": genesis_parts.ProposalInputPart,
            "chapters": ChaptersPart,
            "story": StoryPart,
            "task": task_parts.TaskPart,
            "task_finish": task_parts.TaskFinishPart,
            "flow_handle": task_parts.flow_handle_part,
        }
        if set(self._makers) != set(PART_ORDER):
            raise TypeError("every part of Write needs its SQL here")

    def events_part(
        self, events: Sequence[EventEnvelope], texts: list[bytes] | None = None
    ) -> parts.EventsPart:
        """`texts`: the events' JSON, already measured (`write` measures large ones in a
        thread); without them they are made and measured here."""
        check_events(events)
        if texts is None:
            texts = _texts(events)
            self._check_sizes(self._unsure(events, texts))
        metadata = [stored_metadata(event) for event in events]
        envelopes = [orjson.Fragment(text) for text in texts]
        mode = self.outbox_mode or TABLE
        return parts.EventsPart(events, envelopes, metadata, self.topic, mode)

    def _unsure(self, events: Sequence[EventEnvelope], texts: list[bytes]) -> list[EventEnvelope]:
        """The events whose JSON is too close to the limit to be sure without measuring."""
        return [
            event
            for event, text in zip(events, texts, strict=True)
            if not surely_fits_json(text, self.max_event_bytes)
        ]

    def _check_sizes(self, events: Sequence[EventEnvelope]) -> None:
        for event in events:
            size = produced_size(event.model_dump(mode="json"))
            if size > self.max_event_bytes:
                raise EventTooLarge(event.event_type, size, self.max_event_bytes)

    async def _measured(self, events: Sequence[EventEnvelope]) -> list[bytes]:
        """The events' JSON, the large ones measured in a worker thread: measuring is 10-30 ms
        of Python for a body of many numbers, which on the loop held every other request
        (issue 49); the thread gives the loop its turn at each GIL switch (5 ms)."""
        texts = _texts(events)
        unsure = self._unsure(events, texts)
        if unsure:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(_MEASURING, self._check_sizes, unsure)
        return texts

    def parts(self, write: Write, texts: list[bytes] | None = None) -> list[StatementPart]:
        """The statement parts of the parts `write` declares, in `PART_ORDER` (`texts`: its
        events' JSON, measured)."""
        return [
            self.events_part(value, texts) if name == "events" else self._makers[name](value)
            for name, value in write.declared()
        ]

    async def write(
        self,
        connection: asyncpg.Connection | asyncpg.Pool,
        write: Write,
        group: GroupCommit | None = None,
    ) -> list[int]:
        """Run `write` as one statement; the events' global ids (errors translated). `group`:
        the pool's group commit, for a write in autocommit."""
        with translated():
            if write.events and self.outbox_mode is None:
                self.outbox_mode = await read_mode(connection)
            texts = await self._measured(write.events) if write.events else None
            statement_parts = self.parts(write, texts)
            try:
                row = await run(connection, statement_parts, group)
            except asyncpg.SerializationError as error:
                if error.constraint_name != MODE_SWITCHED:
                    raise
                row = await self._switched(connection, write, statement_parts, group)
        ids = row["event_ids"] if write.events else None
        return [int(i) for i in ids or []]

    async def _switched(
        self,
        connection: asyncpg.Connection | asyncpg.Pool,
        write: Write,
        refused: list[StatementPart],
        group: GroupCommit | None = None,
    ) -> Any:
        """The mode was switched since this composer learned it: learn the other one, and run
        the write again in it unless a transaction was lost with the refused statement."""
        events = next(part for part in refused if isinstance(part, parts.EventsPart))
        self.outbox_mode = other_mode(events.mode)
        if isinstance(connection, asyncpg.Pool) or not connection.is_in_transaction():
            return await run(connection, self.parts(write), group)
        raise ConcurrencyConflict("The outbox mode was switched; run the transaction again")


class PoolWrites:
    """`AggregateWrites` in autocommit: each write is its own transaction, one round trip, or a
    member of its group commit's batch (writes/group_commit.py)."""

    def __init__(
        self, pool: asyncpg.Pool, composer: WriteComposer, group: GroupCommit | None = None
    ) -> None:
        self.pool = pool
        self.composer = composer
        #: Concurrent writes of one shape batched into one transaction (None: each alone).
        self.group = group
        #: Called after each write that appended events (the coalesced relay wake-up).
        self.on_commit: Callable[[], None] | None = None

    async def write(self, write: Write) -> list[int]:
        ids = await self.composer.write(self.pool, write, self.group)
        if write.events and self.on_commit is not None:
            self.on_commit()
        return ids
