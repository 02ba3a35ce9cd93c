"""The logical outbox's replication stream (decision 2600): a walsender decodes the WAL once
and pushes each committed transaction's records as it commits; the reader confirms (feedback)
only what the broker acknowledged, so a new stream (after a kill, an outage, a restart) starts
again right after that point.

asyncpg has no replication protocol, so the stream runs psycopg2's `LogicalReplicationConnection`
in a thread of its own, which also parses the records into outbox messages (off the event loop:
decision 5300); they reach the loop through a bounded queue in parts of at most `part_size`
messages, so that the relay produces the first part of a large transaction while the thread
still reads the rest. The slot is its own lock: a second relay's START_REPLICATION is refused
while one streams it.
"""

import asyncio
import contextlib
import logging
import select
import struct
import threading
from dataclasses import dataclass

import psycopg2
import psycopg2.errors
import psycopg2.extras

from infinite_scribe.observability.thread_names import name_this_thread
from infinite_scribe.persistence.database import asyncpg_dsn
from infinite_scribe.persistence.outbox.slot import (
    PUBLICATION,
    SLOT,
    SlotMessage,
    begun,
    message_of,
)

logger = logging.getLogger(__name__)

_OPTIONS = {"proto_version": "1", "publication_names": PUBLICATION, "messages": "true"}
#: How often a relay whose slot another relay streams tries to take it over.
STANDBY_SECONDS = 2.0
_COMMIT_END = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class Part:
    """The outbox messages of a committed transaction, in order: all of them, or a part of a
    large one. `end_lsn` is 0 but in its last part, where it says where the next one starts."""

    messages: list[SlotMessage]
    end_lsn: int
    generation: int
    #: The replication connection that streamed it (SlotStream.connection).
    connection: int
    #: Its transaction's xid (0: unknown): the reader waits until it is visible
    #: (outbox/visibility.py).
    xid: int = 0
    #: Its messages' position (slot.POSITION_HEADER).
    position: bytes = bytes(8)


class SlotStream:
    """Streams the slot from a thread; `batch()` hands parts of transactions to the event loop."""

    def __init__(
        self, database_url: str, part_size: int = 2_000, max_queued: int = 100_000
    ) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.part_size = part_size
        self.max_queued = max_queued
        self._queue: asyncio.Queue[Part] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._running = True
        # Messages (and parts) handed over and taken: each counter has one writer.
        self._pushed = 0
        self._taken = 0
        self._confirmed = 0  # the flush position to report (set by the loop, sent by the thread)
        self._generation = 0  # a new stream after restart(); older transactions are dropped
        #: Replication connections made so far (the thread's only): a new one streams again
        #: from the slot's confirmed point, so what older ones queued is dropped.
        self.connection = 0
        self._restart = threading.Event()
        self._thread = threading.Thread(
            target=self._stream_forever, name="outbox-slot", daemon=True
        )
        self._thread.start()

    async def batch(self, limit: int, wait_seconds: float) -> list[Part] | None:
        """The parts queued now (at least one, up to about `limit` messages), in commit order;
        None when none came within `wait_seconds`."""
        try:
            async with asyncio.timeout(wait_seconds):  # not wait_for: see event_feed.wait
                first = await self._queue.get()
        except TimeoutError:
            return None
        taken = [first]
        size = len(first.messages) + 1
        while size < limit and not self._queue.empty():
            taken.append(self._queue.get_nowait())
            size += len(taken[-1].messages) + 1
        self._taken += size
        generation, connection = self._generation, self.connection
        current = [t for t in taken if t.generation == generation and t.connection == connection]
        return current or None

    def confirm(self, lsn: int) -> None:
        """Everything before `lsn` was acknowledged: the slot may forget it."""
        self._confirmed = max(self._confirmed, lsn)

    def restart(self) -> None:
        """Drop what was streamed but not confirmed and stream again from the confirmed point."""
        self._generation += 1
        self._restart.set()

    def close(self) -> None:
        self._running = False
        self._restart.set()  # a wait between attempts ends now, not after its second
        self._thread.join(5)

    # -- the thread ---------------------------------------------------------------------------

    def _stream_forever(self) -> None:
        name_this_thread("outbox-slot")
        while self._running:
            generation = self._generation
            self._restart.clear()
            try:
                self._stream(generation)
            except psycopg2.errors.ObjectInUse:
                # Another relay streams the slot: stand by, take over when it stops.
                logger.debug("another relay streams the outbox slot")
                self._restart.wait(STANDBY_SECONDS)
            except psycopg2.Error as error:
                logger.warning("outbox slot stream interrupted (%s); starting again", error)
                self._restart.wait(1.0)
            except Exception:  # a bug must not end the stream for good: logged, then again
                logger.exception("outbox slot stream failed; starting again")
                self._restart.wait(1.0)

    def _stream(self, generation: int) -> None:
        factory = psycopg2.extras.LogicalReplicationConnection
        connection = psycopg2.connect(self.dsn, connection_factory=factory)
        cursor = None
        try:
            cursor = connection.cursor()
            cursor.start_replication(slot_name=SLOT, decode=False, options=_OPTIONS)
            self.connection += 1
            number = self.connection
            logger.info("streaming the logical outbox slot")
            # Not the last confirmation again: after a crash the slot may be back at its last
            # checkpoint, and the reader must learn that point (relay/resume.py) before a
            # feedback moves it; the next acknowledged batch moves it.
            sent = self._confirmed
            parts = _Parts(self, generation, number)
            readable = readable_poller(connection.fileno())
            while self._running and not self._restart.is_set():
                if self._confirmed != sent:
                    sent = self._confirmed
                    # At once (force): without it psycopg2 reports only every status interval
                    # (10 s), and whatever the broker acknowledged in between was read and
                    # published again after a kill or a take-over (decision 3500).
                    cursor.send_feedback(flush_lsn=sent, force=True)
                if self._pushed - self._taken >= self.max_queued:  # the loop is behind
                    self._restart.wait(0.01)
                    continue
                if not parts.read(cursor):
                    readable.poll(_IDLE_MS)
        finally:
            with contextlib.suppress(psycopg2.Error):
                if cursor is not None and self._confirmed:
                    # A clean stop reports its last confirmation (else it is sent again).
                    cursor.send_feedback(flush_lsn=self._confirmed, force=True)
                connection.close()


#: How long the stream thread waits for the server's next message when none is there (ms).
_IDLE_MS = 100


def readable_poller(fileno: int) -> "select.poll":
    """A poller of one descriptor's input: poll(), not select(), which raises "filedescriptor
    out of range" for a descriptor above FD_SETSIZE (1024) in a process holding many files
    (found in CI: the stream restarted and read its slot again)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return poller


class _Parts:
    """The stream thread's reading: pgoutput records into parts (one per commit, or per
    `part_size` messages of a large transaction), handed to the loop as they are made."""

    def __init__(self, stream: SlotStream, generation: int, connection: int) -> None:
        self.stream = stream
        self.generation, self.connection = generation, connection
        self.messages: list[SlotMessage] = []
        self.xid, self.position = 0, bytes(8)
        self.push = stream._loop.call_soon_threadsafe

    def read(self, cursor: psycopg2.extras.ReplicationCursor) -> bool:
        """Everything the walsender has sent so far (a burst, without the stream's checks);
        False when nothing was waiting."""
        read, stream, limit = cursor.read_message, self.stream, self.stream.part_size
        messages, got = self.messages, False
        while (record := read()) is not None:
            got, data = True, record.payload
            kind = data[:1]
            if kind == b"M":
                message = message_of(data, self.position)
                if message is None:
                    continue
                messages.append(message)
                if len(messages) < limit:
                    continue
                messages = self._hand_over(messages, 0)
            elif kind == b"B":
                self.xid, self.position = begun(data)
                continue
            elif kind == b"C":  # commit: flags, commit lsn, end lsn, time
                messages = self._hand_over(messages, _COMMIT_END.unpack_from(data, 10)[0])
            if stream._pushed - stream._taken >= stream.max_queued:
                break  # the loop is behind: the stream waits for it
        self.messages = messages
        return got

    def _hand_over(self, messages: list[SlotMessage], end_lsn: int) -> list[SlotMessage]:
        part = Part(messages, end_lsn, self.generation, self.connection, self.xid, self.position)
        self.stream._pushed += len(messages) + 1
        self.push(self.stream._queue.put_nowait, part)
        return []
