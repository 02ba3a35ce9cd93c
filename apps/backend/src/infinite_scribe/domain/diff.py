"""Field-by-field differences between two versions of a stage's content, pure.

A change is `{"path": "characters[0].name", "before": ..., "after": ...}`: objects are compared
key by key and lists index by index, so a renamed character is one change at its name rather
than the whole cast; a field that appears or disappears is one change with `None` on the
missing side. The walk is bounded (`limit` changes) because it runs on stored content of any
size; the proposal models and the event size limit already bound the input.
"""

from collections.abc import Mapping
from typing import Any

from infinite_scribe.domain.proposals import PROPOSAL_META

#: What a version says about itself rather than the story (never a change the writer made):
#: a proposal's own metadata (its source, notes, the feedback it took in) and its stage.
ABOUT = frozenset({*PROPOSAL_META, "stage"})
#: At most this many changes per comparison (the rest is summarised by `truncated`).
MAX_CHANGES = 500

Change = dict[str, Any]


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, limit: int = MAX_CHANGES
) -> list[Change]:
    """What differs from `before` to `after` (top-level `ABOUT` fields left out), in a stable
    order; `[]` when `before` is None (a first version has nothing to differ from)."""
    if before is None or after is None:
        return []
    out: list[Change] = []
    _walk("", _content(before), _content(after), out, limit)
    return out


def changed_paths(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The paths `changes` reports (a confirmation's edits against the chosen option)."""
    return [change["path"] for change in changes(before or {}, after)]


def _content(version: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in version.items() if key not in ABOUT}


def _walk(path: str, before: Any, after: Any, out: list[Change], limit: int) -> None:
    if len(out) >= limit or before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = list(before) + [key for key in after if key not in before]
        for key in keys:
            child = f"{path}.{key}" if path else str(key)
            _walk(child, before.get(key), after.get(key), out, limit)
        return
    if isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            _walk(f"{path}[{index}]", old, new, out, limit)
        return
    out.append({"path": path, "before": before, "after": after})
