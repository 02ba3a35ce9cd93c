"""The causation tree around one event: its causes up to the command that started it, and
everything it caused, as a tree (GET /events/{event_id}/chain). Bounded in depth and size."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from infinite_scribe.application.ports.flows import EventChainQueries
from infinite_scribe.domain.errors import NotFound


class EventChains:
    def __init__(self, queries: EventChainQueries) -> None:
        self.queries = queries

    async def chain(
        self, event_id: UUID, user_id: UUID, *, depth: int, limit: int
    ) -> dict[str, Any]:
        """`ancestors` (root first), `tree` (the event with its nested `children`),
        `root_cause_id` (the command or event id the oldest ancestor names as its cause) and
        `truncated` (a bound cut the walk short). 404 for an unknown or foreign event."""
        event = await self.queries.event(event_id, user_id)
        if event is None:
            raise NotFound("Event not found")
        # One more than asked for on each side: its presence says a bound cut the walk.
        up = await self.queries.ancestors(event_id, user_id, depth + 1)
        rows = await self.queries.descendants(event_id, user_id, depth + 1, limit + 1)
        down = [dict(row) for row in rows if row["depth"] <= depth]
        truncated = len(up) > depth or len(down) < len(rows) or len(down) > limit
        ancestors = [dict(row) for row in reversed(up[:depth])]
        oldest = ancestors[0] if ancestors else dict(event)
        return {
            "root_cause_id": oldest["causation_id"],
            "ancestors": ancestors,
            "tree": build_tree(dict(event), down[:limit]),
            "truncated": truncated,
        }


def build_tree(root: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Nest `rows` (each with `event_id` and `causation_id`) under `root` by causation."""
    nodes: dict[Any, dict[str, Any]] = {root["event_id"]: {"event": dict(root), "children": []}}
    for row in rows:  # breadth first: a row's cause is always placed before it
        node = {"event": row, "children": []}
        nodes[row["event_id"]] = node
        parent = nodes.get(row["causation_id"])
        if parent is not None:
            parent["children"].append(node)
    return nodes[root["event_id"]]
