"""The session-list cursor: round trips exactly (microseconds, zone, id) and refuses forgeries.

The cases come from a seeded generator, not hypothesis (issue 67: its import and engine cost
the unit tier about 1 s for these two properties): the same few hundred cases every run,
the extremes of the range among them, and forgeries built from near-valid cursors, which
random text seldom reaches."""

import base64
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from infinite_scribe.application.ports.reads import SessionPosition
from infinite_scribe.application.reads import InvalidCursor, decode_position, encode_position

CASES = 300
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)  # a zone of -12 h keeps it within year 1
LATEST = datetime(9998, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def _moments(rng: random.Random) -> Iterator[tuple[datetime, int, uuid.UUID]]:
    span = int((LATEST - EARLIEST).total_seconds())
    for offset in (-12 * 60, 0, 14 * 60):
        for edge in (EARLIEST, LATEST):
            yield edge, offset, uuid.UUID(int=rng.getrandbits(128))
    for _ in range(CASES):
        moment = EARLIEST + timedelta(
            seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000)
        )
        yield moment, rng.randint(-12 * 60, 14 * 60), uuid.UUID(int=rng.getrandbits(128))


def test_round_trip() -> None:
    for moment, offset, session_id in _moments(random.Random(67)):
        zoned = moment.astimezone(timezone(timedelta(minutes=offset)))
        position = SessionPosition(zoned, session_id)
        cursor = encode_position(position.created_at, position.session_id)  # as page_of does
        assert cursor.isascii() and "=" not in cursor and "/" not in cursor
        assert SessionPosition(*decode_position(cursor)) == position


def _forged(rng: random.Random) -> str:
    """A cursor of almost the right shape: a wrong version, zone, time, id or length."""
    parts: list[object] = [
        rng.choice([1, 2, 0, -1, "1", None, 1.0]),
        rng.choice(
            [
                "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-12:00",
                "2024-01-01T00:00:00",
                "2024-02-30T00:00:00+00:00",
                datetime.now(UTC).isoformat(),
                "",
                7,
            ]
        ),
        rng.choice([str(uuid.uuid4()), "not-a-uuid", "", 3, None]),
    ]
    shape: object = rng.choice([parts, parts[:2], [*parts, 1], {"v": 1}, "x", 5])
    encoded = base64.urlsafe_b64encode(orjson.dumps(shape)).decode()
    return encoded.rstrip("=") if rng.random() < 0.5 else encoded


def _texts(rng: random.Random) -> Iterator[str]:
    alphabets = (
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
        '+/=!" \n\t\\{}[]:,',
        "éß中文😀\x00\u200b\ud7ff",
    )
    for _ in range(CASES):
        alphabet = "".join(rng.sample(alphabets, rng.randint(1, len(alphabets))))
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        yield _forged(rng)


def test_any_text_is_a_cursor_or_invalid_cursor() -> None:
    for text in _texts(random.Random(67)):
        try:
            decode_position(text)
        except InvalidCursor as error:
            assert error.error_code == "INVALID_CURSOR"


@pytest.mark.parametrize("cursor", ["", "!!!!", "bnVsbA", "WzFd", "W10"])
def test_forgeries_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_position(cursor)
