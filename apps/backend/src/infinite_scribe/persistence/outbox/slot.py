"""The logical outbox (decision 2600): the replication slot the relay reads the writers'
`pg_logical_emit_message`s from (the switch that makes writers emit instead of inserting
`event_outbox` rows is persistence/outbox/switch.py).

The relay streams the slot (persistence/outbox/slot_stream.py); the SQL interface here (peek,
advance) serves the operator's switch and the tests, when no relay streams it.
"""

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import asyncpg
import orjson

from infinite_scribe.persistence.outbox import rows as outbox, visibility
from infinite_scribe.persistence.outbox.notifier import notify
from infinite_scribe.persistence.outbox.rows import MESSAGE_PREFIX

SLOT = "infinite_scribe_outbox"
#: pgoutput needs a publication; one with no tables sends only the messages.
PUBLICATION = "infinite_scribe_outbox"
_OPTIONS = f"'proto_version', '1', 'publication_names', '{PUBLICATION}', 'messages', 'true'"
_PEEK_SQL = f"SELECT lsn, data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2, {_OPTIONS})"
_PREFIX = MESSAGE_PREFIX.encode()
#: The slot position of a published message (8 bytes): after a restart the reader skips what
#: the broker already holds past the slot's confirmed point (relay/resume.py, decision 4004).
#: It is its transaction's commit LSN + 1 (read from the BEGIN record, so that the parts of a
#: large transaction carry it before its COMMIT is read): at or before a confirmed point (the
#: end LSN of a confirmed transaction) exactly when its transaction was confirmed.
POSITION_HEADER = "scribe_slot_lsn"


class LogicalModeUnavailable(Exception):
    """The server cannot run the logical outbox (wal_level, privileges)."""


class SlotMessage(NamedTuple):
    """One emitted event (`outbox_message`, migration 0015): where it goes, its CloudEvents
    headers (handed to the producer as they are parsed: a dict) and the envelope text. A tuple:
    one is made per published event."""

    topic: str
    key: str | None
    headers: dict[str, str | bytes]
    value: bytes

    @property
    def event_id(self) -> str:
        found = self.headers.get("ce_id", "")
        return found.decode() if isinstance(found, bytes) else found


@dataclass(frozen=True)
class SlotStatus:
    mode: str
    slot_exists: bool
    active: bool
    lag_bytes: int


#: An outbox message record starts with this after its type, flags and LSN (10 bytes).
_MARK = _PREFIX + b"\0"
#: Where its content starts: after the prefix, its NUL and the 4-byte content length.
_CONTENT = 10 + len(_MARK) + 4


def messages_of(records: Sequence[bytes], position: bytes | None = None) -> list[SlotMessage]:
    """The outbox messages among pgoutput's records (Begin and Commit records, and messages of
    other prefixes, are skipped), each with `position` (when given) as its `POSITION_HEADER`."""
    found = [message_of(data, position) for data in records if data[:1] == b"M"]
    return [message for message in found if message is not None]


def message_of(data: bytes, position: bytes | None) -> SlotMessage | None:
    """One pgoutput 'M' record as an outbox message (None: another prefix's). Format: 'M',
    flags, lsn (8 bytes), prefix NUL, length, content; content: the header line
    [topic, key, {header: value}], then the envelope.

    The reader's hot path (decision 4004): one slice for the header line, one `orjson.loads`,
    one slice for the value, one tuple; the parsed header dict goes to the producer as it is."""
    if not data.startswith(_MARK, 10):
        return None
    newline = data.index(b"\n", _CONTENT)
    topic, key, headers = orjson.loads(data[_CONTENT:newline])
    if position is not None:
        headers[POSITION_HEADER] = position
    # tuple.__new__: a NamedTuple's own constructor is a Python function (a frame per event).
    return tuple.__new__(SlotMessage, (topic, key, headers, data[newline + 1 :]))


#: pgoutput's BEGIN: 'B', the commit's LSN (8 bytes), the commit time (8), the xid (4).
_BEGIN = struct.Struct(">QqI")


def begun(begin: bytes) -> tuple[int, bytes]:
    """A BEGIN record's xid and the position of its transaction's messages."""
    commit_lsn, _, xid = _BEGIN.unpack_from(begin, 1)
    return xid, position_of(commit_lsn + 1)


def position_of(lsn: int) -> bytes:
    """An LSN as the position header's value (8 bytes, big-endian: ordered as LSNs are)."""
    return lsn.to_bytes(8, "big")


async def peek(connection: asyncpg.Connection, limit: int | None) -> list[asyncpg.Record]:
    """Up to about `limit` decoded records (whole transactions; None: every one) past the slot's
    confirmed point: (lsn, data) each."""
    return list(await connection.fetch(_PEEK_SQL, SLOT, limit))


def payloads(records: Sequence[asyncpg.Record]) -> list[bytes]:
    """The pgoutput records of peeked rows."""
    return [record["data"] for record in records]


async def advance(connection: asyncpg.Connection, lsn: int) -> None:
    """Confirm everything up to `lsn` (a peeked record's): never read again."""
    await connection.execute("SELECT pg_replication_slot_advance($1, $2::pg_lsn)", SLOT, lsn)


async def slot_exists(connection: asyncpg.Connection | asyncpg.Pool) -> bool:
    # Slot names are the server's, not the database's: another database's is not ours.
    return bool(
        await connection.fetchval(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 "
            "AND database = current_database()",
            SLOT,
        )
    )


async def status(pool: asyncpg.Pool) -> SlotStatus:
    row = await pool.fetchrow(
        "SELECT (SELECT mode FROM outbox_mode) AS mode, "
        "s.active, pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint AS lag "
        "FROM (SELECT 1) one LEFT JOIN pg_replication_slots s "
        "ON s.slot_name = $1 AND s.database = current_database()",
        SLOT,
    )
    assert row is not None
    return SlotStatus(row["mode"], row["lag"] is not None, bool(row["active"]), row["lag"] or 0)


async def create(connection: asyncpg.Connection) -> None:
    """The publication and the slot, if missing (the switch, persistence/outbox/switch.py)."""
    if not await connection.fetchval(
        "SELECT 1 FROM pg_publication WHERE pubname = $1", PUBLICATION
    ):
        await connection.execute(f"CREATE PUBLICATION {PUBLICATION}")
    if not await slot_exists(connection):
        await connection.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", SLOT)


async def drop(connection: asyncpg.Connection) -> None:
    """Drop the slot and the publication, whatever the slot holds (a database with a slot
    cannot be dropped); the writers' switch is left as it is."""
    if await slot_exists(connection):
        await connection.execute("SELECT pg_drop_replication_slot($1)", SLOT)
    await connection.execute(f"DROP PUBLICATION IF EXISTS {PUBLICATION}")


@dataclass(frozen=True, slots=True)
class Diverted:
    """A slot message handed to the table, with its first refusal when it was refused."""

    message: SlotMessage
    error: str | None = None
    error_class: str | None = None
    retry_in: float = 0.0
    failed: bool = False


#: A batch's first look, one round trip: a current snapshot (are its transactions visible?) and
#: whether the table holds an unsent row at all: the first entry of the unsent rows' partial
#: index, in its order so that the planner takes it whatever its statistics say (an EXISTS
#: without the order was a sequential scan of 300,000 sent rows, 34 ms, before an ANALYZE).
_LOOK_SQL = (
    "SELECT pg_current_snapshot()::text, (SELECT position FROM event_outbox "
    "WHERE status <> 'SENT' ORDER BY key, position LIMIT 1) IS NOT NULL"
)
#: The batch's keys with unsent rows in the table (their messages queue behind those rows).
_HELD_SQL = (
    "SELECT ARRAY(SELECT DISTINCT key FROM event_outbox "
    "WHERE key = ANY($1::text[]) AND status <> 'SENT')"
)


async def held_keys_once_visible(
    connection: asyncpg.Connection, xids: Iterable[int], keys: Iterable[str | None]
) -> set[str]:
    """Once no transaction of `xids` runs (visibility.py), the keys of `keys` with unsent rows
    in the table. One query when the transactions are visible already and the table holds no
    unsent row (the usual case): a batch's keys, up to thousands, are sent and looked up only
    when it does (measured: their encoding was 7% of the relay loop's time in a drain)."""
    wanted = [xid for xid in xids if xid]
    snapshot, unsent = await connection.fetchrow(_LOOK_SQL)
    if wanted and visibility.running(snapshot, wanted):
        await visibility.wait_visible(connection, wanted)
        _, unsent = await connection.fetchrow(_LOOK_SQL)  # as seen after them
    if not unsent:
        return set()
    wanted_keys = list({key for key in keys if key})
    return set(await connection.fetchval(_HELD_SQL, wanted_keys)) if wanted_keys else set()


async def divert(
    connection: asyncpg.Connection, rows: Sequence[Diverted], *, wake: bool = True
) -> None:
    """Hand messages to the table (the polling relay publishes them, retries and holds), in
    `rows`' order, then wake the relays (`wake`: the caller commits first, then wakes them)."""
    if not rows:
        return
    await outbox.enqueue_handed_over(
        connection,
        [
            outbox.HandedOver(
                r.message.event_id,
                r.message.topic,
                r.message.key,
                r.message.value.decode(),
                r.error,
                r.error_class,
                r.retry_in,
                r.failed,
            )
            for r in rows
        ],
    )
    if wake:
        await notify(connection)  # autocommit: the rows are committed
