"""The session-list cursor: round trips exactly (microseconds, zone, id) and refuses forgeries."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from infinite_scribe.application.ports.reads import SessionPosition
from infinite_scribe.application.reads import InvalidCursor, decode_cursor, encode_position


@given(
    moment=st.datetimes(timezones=st.just(UTC)),
    offset=st.integers(min_value=-12 * 60, max_value=14 * 60),
    session_id=st.uuids(),
)
def test_round_trip(moment: datetime, offset: int, session_id: uuid.UUID) -> None:
    zoned = moment.astimezone(timezone(timedelta(minutes=offset)))
    position = SessionPosition(zoned, session_id)
    cursor = encode_position(position.created_at, position.session_id)  # as page_of makes it
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor
    assert decode_cursor(cursor) == position


@given(st.text(max_size=80))
def test_any_text_is_a_cursor_or_invalid_cursor(text: str) -> None:
    try:
        decode_cursor(text)
    except InvalidCursor as error:
        assert error.error_code == "INVALID_CURSOR"


@pytest.mark.parametrize("cursor", ["", "!!!!", "bnVsbA", "WzFd", "W10"])
def test_forgeries_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)
