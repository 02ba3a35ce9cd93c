"""A running generation as the writer's page shows it (issue 38, decision 4003): how long ago
it was asked for (the latest request event's time; the page counts on from it) and the form
that cancels it. What the model has written so far streams into the drafts column."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from infinite_scribe.domain.genesis import GENERATION_REQUEST_EVENTS


def pending_seconds(events: Iterable[Mapping[str, Any]], now: datetime | None = None) -> int:
    """Whole seconds since the latest request among `events` (oldest first); 0 when none."""
    asked: datetime | None = None
    for event in events:
        if event["event_type"] in GENERATION_REQUEST_EVENTS:
            asked = event.get("created_at") or asked
    if asked is None:
        return 0
    moment = now or datetime.now(UTC)
    return max(0, int((moment - asked).total_seconds()))
