"""The most expensive bodies the documented bounds allow (docs/hostile-input.md), as JSON text:
many small values, many strings, many keys, one long string without separators (ASCII, CJK,
escapes), nesting to the depth limit and far past it. Each shape fits in the body limit once put
in place of one field of a request's example (`variants`)."""

import json
from collections.abc import Iterator
from typing import Any

from infinite_scribe.api.middleware.strict_json import (
    JSON_MAX_DEPTH,
    JSON_MAX_STRINGS,
    JSON_MAX_VALUES,
)

#: HTTP_MAX_BODY_BYTES's default, less room for the rest of the request's body.
BODY_ROOM = 1024 * 1024 - 4096
#: Under the complexity limits, with room for the rest of the example.
VALUES = JSON_MAX_VALUES - 200
STRINGS = JSON_MAX_STRINGS - 200
_SLOT = "\x00hostile-shape\x00"


def _many_strings() -> bytes:
    length = BODY_ROOM // STRINGS - 4  # quotes and comma
    return json.dumps(["s" * length] * STRINGS).encode()


def shapes() -> dict[str, bytes]:
    """Each shape's JSON text, by name."""
    deep_past = (VALUES - 10) // 2
    return {
        "many_values": json.dumps([0] * VALUES).encode(),
        "many_long_floats": json.dumps([1.2345678901234567e300] * VALUES).encode(),
        "many_empty_lists": b"[" + b",".join([b"[]"] * (VALUES // 2 - 10)) + b"]",
        "many_strings": _many_strings(),
        "many_keys": json.dumps({f"k{i}": i for i in range(STRINGS)}).encode(),
        "long_ascii": json.dumps("a" * BODY_ROOM).encode(),
        "long_cjk": json.dumps("雨" * (BODY_ROOM // 3), ensure_ascii=False).encode(),
        "long_escapes": json.dumps("雨" * (BODY_ROOM // 6)).encode(),
        "deep_to_the_limit": b"[" * (JSON_MAX_DEPTH - 4) + b"]" * (JSON_MAX_DEPTH - 4),
        "deep_past_parsers": b"[" * deep_past + b"]" * deep_past,
    }


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    else:
        yield path


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def places(example: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Where a shape goes: each leaf of the payload (each leaf of the body when there is no
    payload), and one more free-form key beside them."""
    root: tuple[Any, ...] = ("payload",) if isinstance(example.get("payload"), dict) else ()
    inside = example["payload"] if root else example
    leaves = [(*root, *leaf) for leaf in _leaf_paths(inside) if leaf]
    return [*leaves, (*root, "extra")]


def variants(example: dict[str, Any], shape: bytes) -> Iterator[tuple[str, bytes]]:
    """The example's JSON text with `shape` in each place, named by the place."""
    for place in places(example):
        if place[-1] == "extra":
            parent = _get(example, place[:-1])
            target = _replaced(example, place[:-1], {**parent, "extra": _SLOT})
        else:
            target = _replaced(example, place, _SLOT)
        text = json.dumps(target).encode().replace(json.dumps(_SLOT).encode(), shape)
        yield ".".join(str(step) for step in place), text


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value
