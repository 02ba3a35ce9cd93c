"""The cards' lists edited before confirming (issue 38): a character, a location, an act or a
chapter added (its blank card filled in), removed or moved. ConfirmStage's `data` replaces a
top-level field whole (domain/confirmation.py), so the edited list is simply sent as it now
is. Form fields, by the list item's path (`characters.2`):

- `pos:<path>`: the item's position (a number); the list is sorted by it, ties keep order;
- `drop:<path>`: the item is left out;
- `f:<list>.<n>.<field>` with `n` one past the list's end: the blank card, a new item once
  any of its texts is filled in."""

import re
from collections.abc import Mapping
from typing import Any

_INDEX = re.compile(r"^(?P<list>.+)\.(?P<index>\d+)$")


def blank_of(item: Any) -> Any:
    """An item like `item` with nothing in it: the blank card of a list (a list of objects
    keeps one blank object, so a new act has a chapter to fill in)."""
    if isinstance(item, Mapping):
        return {key: blank_of(value) for key, value in item.items()}
    if isinstance(item, list):
        return [blank_of(item[0])] if item and isinstance(item[0], Mapping) else []
    return "" if isinstance(item, str) else item


def grow(option: dict[str, Any], fields: Mapping[str, list[str]]) -> None:
    """Append a blank item to each list whose blank card the form filled in (shorter paths
    first: a new act before its chapters)."""
    filled = [name[2:] for name, values in fields.items() if name.startswith("f:") and any(values)]
    for path in sorted(filled, key=lambda p: p.count(".")):
        steps = path.split(".")
        for depth in range(1, len(steps)):
            holder = _at(option, steps[: depth - 1])
            items = step_into(holder, steps[depth - 1])
            index = steps[depth]
            if _is_cards(items) and index.isdigit() and int(index) == len(items):
                items.append(blank_of(items[-1]))


def arrange(option: dict[str, Any], fields: Mapping[str, list[str]]) -> None:
    """Sort each list by its items' `pos:` fields and leave out those with `drop:`; nested
    lists first, while their parents' indices still name them."""
    lists: dict[str, dict[int, tuple[float, bool]]] = {}
    for name, values in fields.items():
        kind, _, path = name.partition(":")
        found = _INDEX.match(path) if kind in ("pos", "drop") else None
        if found is None:
            continue
        place = lists.setdefault(found["list"], {})
        index = int(found["index"])
        position, dropped = place.get(index, (float(index), False))
        if kind == "drop":
            dropped = True
        else:
            position = _number(values[-1] if values else "", position)
        place[index] = (position, dropped)
    for path in sorted(lists, key=lambda p: -p.count(".")):
        items = _at(option, path.split("."))
        if not _is_cards(items):
            continue
        place = lists[path]
        order = sorted(range(len(items)), key=lambda i: (place.get(i, (float(i), False))[0], i))
        kept = [items[i] for i in order if not place.get(i, (0.0, False))[1]]
        items[:] = kept or items  # a list the writer emptied stays: a stage needs its items


def _number(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _is_cards(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], Mapping)


def _at(holder: Any, steps: list[str]) -> Any:
    for step in steps:
        holder = step_into(holder, step)
    return holder


def step_into(holder: Any, step: str) -> Any:
    """One step down a path; None where the option has nothing there."""
    if isinstance(holder, Mapping):
        return holder.get(step)
    if isinstance(holder, list) and step.isdigit() and int(step) < len(holder):
        return holder[int(step)]
    return None
