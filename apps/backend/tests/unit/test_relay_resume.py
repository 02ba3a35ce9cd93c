"""What the slot reader learns from a partition's tail after a restart (relay/resume.py,
decision 4004): messages past the confirmed point are noted by event id, one at or before it
ends the reading back, messages without a position (the table relay's) are read past."""

from infinite_scribe.persistence.outbox.slot import POSITION_HEADER, position_of
from infinite_scribe.persistence.outbox.slot_stream import Part
from infinite_scribe.relay.resume import Delivered, _note
from infinite_scribe.relay.slot_source import _reached


def test_a_message_past_the_confirmed_point_is_noted_by_its_event_id() -> None:
    found = Delivered(confirmed=100)
    headers = [("ce_id", b"e1"), (POSITION_HEADER, position_of(150))]
    assert _note(headers, found) is False  # keep reading back
    assert found.ids == {b"e1"} and found.furthest == 150


def test_a_message_at_or_before_the_confirmed_point_ends_the_reading_back() -> None:
    found = Delivered(confirmed=100)
    assert _note([("ce_id", b"e0"), (POSITION_HEADER, position_of(100))], found) is True
    assert found.ids == set()


def test_a_message_without_a_position_is_read_past() -> None:
    found = Delivered(confirmed=100)
    assert _note([("ce_id", b"row")], found) is False
    assert _note([("ce_id", b"odd"), (POSITION_HEADER, b"short")], found) is False
    assert found.ids == set()


def test_a_batch_ending_inside_a_transaction_reaches_just_before_its_position() -> None:
    # A whole transaction: its end. A part of one: its commit LSN (its position is that + 1),
    # so the broker's copies of the rest of it keep the resume going.
    assert _reached(Part([], 1010, 0, 0, 7, position_of(1001))) == 1010
    assert _reached(Part([], 0, 0, 0, 7, position_of(1001))) == 1000
    assert _reached(Part([], 0, 0, 0, 7, position_of(1001))) < 1001
