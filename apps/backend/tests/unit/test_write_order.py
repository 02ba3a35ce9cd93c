"""The part order is declared once (`PART_ORDER`): the SQL composer and the memory adapter
follow it, the statement's guard reports refusals in it whatever the parts' text order, and a
write cannot declare two parts that move the same rows."""

import uuid

import pytest

from infinite_scribe.application.ports.writes import (
    PART_ORDER,
    IdempotencyRecord,
    InboxEntry,
    LedgerRow,
    NewSession,
    SnapshotSave,
    Supersede,
    TaskFinish,
    Write,
)
from infinite_scribe.domain.genesis import GenesisState
from infinite_scribe.persistence.errors import (
    IDEMPOTENCY_KEY_INDEX,
    IDEMPOTENCY_RECORD_KEY,
    LEDGER_KEY,
    PENDING_COMMAND_INDEX,
)
from infinite_scribe.persistence.in_memory import tables as memory_tables
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.genesis_parts import SNAPSHOT_VERSION_CHECK, SnapshotPart
from infinite_scribe.persistence.writes.parts import IdempotencyPart, InboxPart
from infinite_scribe.persistence.writes.statement import compile_parts
from infinite_scribe.persistence.writes.task_parts import LedgerPart

STATE = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=2)
ENTRY = InboxEntry(uuid.uuid4(), STATE.session_id, STATE.user_id, "X", "k", {}, "RECEIVED")
RECORD = IdempotencyRecord("s", "k", "fp", 200, [], b"", 60)


def test_the_order_of_the_parts_is_the_order_of_writes_fields() -> None:
    assert PART_ORDER == (
        "idempotency", "ledger", "session", "inbox", "events", "snapshot", "supersede",
        "novel", "restore", "proposal_input", "chapters", "story", "task", "task_finish",
        "flow_handle",
    )  # fmt: skip
    assert list(memory_tables._APPLIERS) == list(PART_ORDER)
    write = Write(snapshot=SnapshotSave(1, STATE), inbox=ENTRY, idempotency=RECORD)
    assert [type(part) for part in WriteComposer("t").parts(write)] == [
        IdempotencyPart,
        InboxPart,
        SnapshotPart,
    ]


def test_the_guard_reports_refusals_by_rank_whatever_the_text_order() -> None:
    parts = [
        SnapshotPart(SnapshotSave(1, STATE)),
        InboxPart(ENTRY),
        LedgerPart(LedgerRow("c", uuid.uuid4())),
        IdempotencyPart(RECORD),
    ]
    sql = compile_parts(parts).sql
    guard = sql[sql.index("CASE") : sql.index("END AS refused")]
    named = [
        IDEMPOTENCY_RECORD_KEY,
        LEDGER_KEY,
        IDEMPOTENCY_KEY_INDEX,
        PENDING_COMMAND_INDEX,
        SNAPSHOT_VERSION_CHECK,
    ]
    at = [guard.index(f"'{name}'") for name in named]
    assert at == sorted(at), guard
    # The snapshot's CTE comes first in the text: the guard does not follow the text.
    assert sql.index("snapshot AS") < sql.index("idempotency AS")


def test_a_write_refuses_two_parts_that_move_the_same_rows() -> None:
    with pytest.raises(ValueError, match="not both"):
        Write(
            session=NewSession(STATE.session_id, STATE.user_id, 1), snapshot=SnapshotSave(1, STATE)
        )
    finish = TaskFinish(uuid.uuid4(), "COMPLETED", {}, None, "done")
    with pytest.raises(ValueError, match="same tasks"):
        Write(supersede=Supersede(STATE.session_id, "ConfirmStage")).merged(
            Write(task_finish=finish)
        )


def test_no_events_is_no_part() -> None:
    assert Write(events=[]).declared() == []
    assert Write(events=[], inbox=ENTRY).declared() == [("inbox", ENTRY)]
    assert isinstance(Write(events=[]).events, tuple)


def test_merged_keeps_its_parts_takes_the_others_and_adds_the_events() -> None:
    first, second = object(), object()
    save = SnapshotSave(2, STATE)
    mine = Write(inbox=ENTRY, events=[first], snapshot=save)  # type: ignore[list-item]
    other = InboxEntry(uuid.uuid4(), STATE.session_id, STATE.user_id, "Y", "j", {}, "RECEIVED")
    merged = mine.merged(Write(inbox=other, idempotency=RECORD, events=[second]))  # type: ignore[list-item]
    assert merged.declared() == [
        ("idempotency", RECORD),
        ("inbox", other),
        ("events", (first, second)),
        ("snapshot", save),
    ]
    assert mine.merged(Write()) == mine
    assert mine.declared() == [("inbox", ENTRY), ("events", (first,)), ("snapshot", save)]
