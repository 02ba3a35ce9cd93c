"""Lay out a causation tree for SVG: depth from left to right, leaves one row each, a parent
centred on its children. Pure; the template draws the boxes, links and edges."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COLUMN = 280
ROW = 52
BOX_WIDTH = 250
BOX_HEIGHT = 38
MARGIN = 12


@dataclass
class Node:
    x: float
    y: float
    label: str
    detail: str
    event_id: str | None
    highlighted: bool = False


@dataclass
class Layout:
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[float, float, float, float]] = field(default_factory=list)
    width: float = 0
    height: float = 0
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def layout(tree: dict[str, Any], highlight: str | None = None) -> Layout:
    result = Layout()
    next_row = [0]

    def place(node: dict[str, Any], depth: int, is_root: bool) -> Node:
        children = [place(child, depth + 1, False) for child in node["children"]]
        if children:
            y = sum(child.y for child in children) / len(children)
        else:
            y = MARGIN + next_row[0] * ROW
            next_row[0] += 1
        event = node["event"]
        event_id = str(event["event_id"])
        placed = Node(
            x=MARGIN + depth * COLUMN,
            y=y,
            label=_short(str(event.get("event_type") or "")),
            detail="the first command" if is_root else _detail(event),
            event_id=None if is_root else event_id,
            highlighted=event_id == highlight,
        )
        result.nodes.append(placed)
        for child in children:
            result.edges.append(
                (placed.x + BOX_WIDTH, y + BOX_HEIGHT / 2, child.x, child.y + BOX_HEIGHT / 2)
            )
        return placed

    place(tree, 0, True)
    result.width = max(n.x for n in result.nodes) + BOX_WIDTH + MARGIN
    result.height = max(n.y for n in result.nodes) + BOX_HEIGHT + MARGIN
    return result


def _short(event_type: str) -> str:
    """Genesis.Session.Concept.Proposed -> Session.Concept.Proposed (fits the box)."""
    parts = event_type.split(".")
    text = ".".join(parts[1:]) if len(parts) > 2 else event_type
    return text if len(text) <= 34 else f"…{text[-33:]}"


def _detail(event: dict[str, Any]) -> str:
    version = event.get("aggregate_version")
    created = event.get("created_at")
    when = created.strftime("%H:%M:%S") if isinstance(created, datetime) else ""
    return f"#{event.get('id')} v{version} {when}".strip()
