"""The part order is declared once (`PART_ORDER`): the SQL composer and the memory adapter
follow it, the statement's guard reports refusals in it whatever the parts' text order, and a
write cannot declare two parts that move the same rows."""

import uuid

import pytest

from infinite_scribe.application.ports.writes import (
    PART_ORDER,
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
    LEDGER_KEY,
    PENDING_COMMAND_INDEX,
)
from infinite_scribe.persistence.writes.composer import WriteComposer
from infinite_scribe.persistence.writes.genesis_parts import SNAPSHOT_VERSION_CHECK, SnapshotPart
from infinite_scribe.persistence.writes.parts import InboxPart
from infinite_scribe.persistence.writes.statement import compile_parts
from infinite_scribe.persistence.writes.task_parts import LedgerPart
from tests.support.memory import tables as memory_tables

STATE = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=2)
ENTRY = InboxEntry(uuid.uuid4(), STATE.session_id, STATE.user_id, "X", "k", {}, "RECEIVED")
LEDGER = LedgerRow("c", uuid.uuid4())


def test_the_order_of_the_parts_is_the_order_of_writes_fields() -> None:
    assert PART_ORDER == (
        "ledger", "session", "inbox", "events", "snapshot", "supersede",
        "novel", "restore", "proposal_input", "chapters", "story", "task", "task_finish",
        "flow_handle",
    )  # fmt: skip
    assert list(memory_tables._APPLIERS) == list(PART_ORDER)
    write = Write(snapshot=SnapshotSave(1, STATE), inbox=ENTRY, ledger=LEDGER)
    assert [type(part) for part in WriteComposer("t").parts(write)] == [
        LedgerPart,
        InboxPart,
        SnapshotPart,
    ]


def test_the_guard_reports_refusals_by_rank_whatever_the_text_order() -> None:
    parts = [
        SnapshotPart(SnapshotSave(1, STATE)),
        InboxPart(ENTRY),
        LedgerPart(LEDGER),
    ]
    sql = compile_parts(parts).sql
    guard = sql[sql.index("CASE") : sql.index("END AS refused")]
    named = [
        LEDGER_KEY,
        IDEMPOTENCY_KEY_INDEX,
        PENDING_COMMAND_INDEX,
        SNAPSHOT_VERSION_CHECK,
    ]
    at = [guard.index(f"'{name}'") for name in named]
    assert at == sorted(at), guard
    # The snapshot's CTE comes first in the text: the guard does not follow the text.
    assert sql.index("snapshot AS") < sql.index("ledger AS")


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
    merged = mine.merged(Write(inbox=other, ledger=LEDGER, events=[second]))  # type: ignore[list-item]
    assert merged.declared() == [
        ("ledger", LEDGER),
        ("inbox", other),
        ("events", (first, second)),
        ("snapshot", save),
    ]
    assert mine.merged(Write()) == mine
    assert mine.declared() == [("inbox", ENTRY), ("events", (first,)), ("snapshot", save)]
