"""The slot's batches acknowledged in order (relay/slot_source.py, decision 7202): the second
waits for the first, a key the first sent to the table holds the second's messages of it, and the
slot is confirmed batch after batch; a batch streamed again drops the one after it too."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from confluent_kafka import KafkaError

from infinite_scribe.persistence.outbox import slot
from infinite_scribe.relay import slot_source
from infinite_scribe.relay.delivery import refusal_of
from infinite_scribe.relay.outcome import sort_reports
from infinite_scribe.relay.slot_source import SlotBatch, SlotSource, behind, row_of

REFUSED = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "too large")
TIMED_OUT = KafkaError(KafkaError._MSG_TIMED_OUT, "timed out")


def _message(key: str, seq: int) -> slot.SlotMessage:
    return slot.SlotMessage("t", key, {"ce_id": f"{key}-{seq}"}, f"{key}{seq}".encode())


class _Stream:
    def __init__(self) -> None:
        self.confirmed: list[int] = []
        self.restarts = 0

    def confirm(self, lsn: int) -> None:
        self.confirmed.append(lsn)

    def restart(self) -> None:
        self.restarts += 1


class _Pool:
    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[None]:
        await asyncio.sleep(0)
        yield None


def _source(monkeypatch: pytest.MonkeyPatch, diverted: list[list[str]]) -> SlotSource:
    async def divert(_connection: Any, rows: list[slot.Diverted]) -> None:
        diverted.append([d.message.value.decode() for d in rows])

    monkeypatch.setattr(slot_source.slot, "divert", divert)
    source = SlotSource.__new__(SlotSource)
    source.pool = _Pool()  # type: ignore[assignment]
    source._stream = _Stream()  # type: ignore[assignment]
    source._pending, source._resuming, source._resume, source._pause = [], False, None, 0.0
    return source


def _batch(source: SlotSource, messages: list[slot.SlotMessage], end: int) -> SlotBatch:
    after = source._pending[-1].acked if source._pending else None
    source._pending.append(SlotBatch(messages, messages, [], end, after))
    return source._pending[-1]


async def test_the_second_batch_waits_and_holds_the_first_ones_refused_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    diverted: list[list[str]] = []
    source = _source(monkeypatch, diverted)
    first = _batch(source, [_message("k", 1), _message("a", 1)], end=10)
    second = _batch(source, [_message("k", 2), _message("a", 2)], end=20)
    # The second's reports come first, all acknowledged: it must wait for the first.
    later = asyncio.ensure_future(source.acknowledge(second, None, []))
    await asyncio.sleep(0.01)
    assert not later.done() and diverted == []
    outcome = sort_reports(source.rows(first), [REFUSED, None])
    refusals = [refusal_of(row, error, (1.0,), 1000) for row, error in outcome.rejected]
    done = await source.acknowledge(first, outcome, refusals)
    assert (done.sent, done.released) == (1, 0)
    held = await later
    assert (held.sent, held.released) == (1, 1)  # a2 sent; k2 behind k1 in the table
    assert diverted == [["k1"], ["k2"]]
    assert source._stream.confirmed == [10, 20]  # type: ignore[union-attr]
    assert source._pending == []


async def test_a_first_batch_streamed_again_drops_the_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    diverted: list[list[str]] = []
    source = _source(monkeypatch, diverted)
    first = _batch(source, [_message("k", 1)], end=10)
    second = _batch(source, [_message("a", 1)], end=20)
    later = asyncio.ensure_future(source.acknowledge(second, None, []))
    outcome = sort_reports(source.rows(first), [TIMED_OUT])
    assert (await source.acknowledge(first, outcome, [])).sent == 0
    assert (await later).sent == 0  # streamed again from the confirmed point, with the first
    assert source._stream.confirmed == [] and source._stream.restarts == 1  # type: ignore[union-attr]
    source.settled(second)  # already dropped: nothing more to stream again
    assert source._stream.restarts == 1  # type: ignore[union-attr]


def test_behind_holds_only_what_was_acknowledged_of_the_carried_keys() -> None:
    rows = [row_of(_message(k, n), i) for i, (k, n) in enumerate([("k", 1), ("a", 1), ("k", 2)])]
    outcome = behind(rows, sort_reports(rows, [None, None, REFUSED]), frozenset({"k"}))
    assert [row.position for row in outcome.held] == [0]
    assert [row.position for row, _ in outcome.rejected] == [2]
    assert len(outcome.sent) == 1 and outcome.overtaken == 1
    untouched = sort_reports(rows, [None, None, None])
    assert behind(rows, untouched, frozenset({"b"})) is untouched
