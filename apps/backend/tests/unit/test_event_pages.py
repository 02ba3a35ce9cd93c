"""Issue 41: a page of a session's events is bounded in bytes, not only in events (the console's
timeline read up to 500 events, 100-210 MB with big ones), and says where to read on."""

from typing import Any
from uuid import UUID, uuid4

import pytest

from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.sessions import GenesisSessions
from infinite_scribe.domain.genesis import GenesisState


class Events:
    """The two reads `events_within` makes, over a list (the port's contract, in memory); it
    counts the rows handed out, which is what the bound is for."""

    def __init__(self, session_id: UUID, payloads: list[dict[str, Any]]) -> None:
        self.session = GenesisState(session_id=session_id, user_id=uuid4(), version=0)
        self.rows = [
            {"aggregate_version": version, "payload": payload}
            for version, payload in enumerate(payloads, start=1)
        ]
        self.handed_out = 0

    async def snapshot(self, session_id: UUID, user_id: UUID) -> SessionSnapshot | None:
        return SessionSnapshot(self.session, trashed=False)

    async def session_events(self, session_id: UUID, after: int, limit: int) -> list[Any]:
        page = [row for row in self.rows if row["aggregate_version"] > after][:limit]
        self.handed_out += len(page)
        return page


async def _page(payloads: list[dict[str, Any]], after: int, limit: int, max_bytes: int) -> Any:
    session_id = uuid4()
    events = Events(session_id, payloads)
    sessions = GenesisSessions(None, events)  # type: ignore[arg-type]  # reads only
    page = await sessions.events_within(session_id, uuid4(), after, limit, max_bytes)
    return page, events.handed_out


async def test_big_events_stop_the_page_at_its_byte_bound() -> None:
    payloads = [{"text": "x" * 100_000} for _ in range(500)]
    page, handed_out = await _page(payloads, 0, 500, 1_000_000)
    versions = [row["aggregate_version"] for row in page.events]
    assert versions == list(range(1, 11))  # 10 x 100 KB reach the bound
    assert page.more_after == 10
    assert handed_out <= 11  # one page of 10 and the look-ahead: not 500
    following, _ = await _page(payloads, page.more_after, 500, 1_000_000)
    assert following.events[0]["aggregate_version"] == 11


@pytest.mark.parametrize(("count", "more"), [(0, None), (7, None), (30, None), (31, 30)])
async def test_small_events_stop_at_the_count(count: int, more: int | None) -> None:
    page, _ = await _page([{"n": n} for n in range(count)], 0, 30, 1_000_000)
    assert len(page.events) == min(count, 30)
    assert page.more_after == more
