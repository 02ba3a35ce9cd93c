"""Pages of events as JSON texts from the memory tables, as the SQL store cuts them
(persistence/genesis/event_lines.py)."""

from typing import Any

from infinite_scribe.application.ports.genesis import EventLines


def event_lines(rows: list[Any], limit: int, max_bytes: int, position: str) -> EventLines:
    """At most `limit` of `rows` (one more tells there is more), none past the one that
    reaches `max_bytes`; `position` names the field the cursor goes on from."""
    lines: list[str] = []
    size = 0
    for row in rows[:limit]:
        if lines and size >= max_bytes:
            break
        line = row.model_dump_json()
        lines.append(line)
        size += len(line.encode())
    more = len(rows) > len(lines)
    last = rows[len(lines) - 1] if lines else None
    return EventLines(lines, getattr(last, position, None) if more else None)
