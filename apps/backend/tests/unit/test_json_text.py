"""The C-level readings of JSON text (issue 49) agree with the Python walks they replaced."""

import math
import random
import struct
from typing import Any

import pytest

from infinite_scribe.domain.commands import MAX_DEPTH, _walked, storable_json
from infinite_scribe.domain.event_size import jsonb_text_size, walked_size
from infinite_scribe.domain.json_text import (
    has_digit_run,
    nested_deeper,
    string_count,
    without_strings,
)


def _floats(count: int) -> list[float]:
    found = (struct.unpack("d", random.Random(7).randbytes(8))[0] for _ in range(count))
    numbers = [struct.unpack("d", random.Random(n).randbytes(8))[0] for n in range(count)]
    return [number for number in [*found, *numbers] if math.isfinite(number)]


SAMPLES: list[Any] = [
    {"a": [1, 2.5, 1e300, -1.5e-7, 'x\n"\\\x01é雨', None, True, False, {}], "k:,": "v,:"},
    [1.2345678901234567e300] * 500,
    [1e16, 1e15, 1e-5, 5e-324, -0.0, 0.1, -1e22, 1.5e-300, 1.7976931348623157e308],
    _floats(5000),
    {"text": "雨" * 1000, "keys": {f"k{i}": i for i in range(300)}},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_the_jsonb_size_from_text_is_the_walked_size(value: Any) -> None:
    assert jsonb_text_size(value) == walked_size(value)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"x": _nested(MAX_DEPTH - 1)},
        {"x": _nested(MAX_DEPTH)},
        {"a": 2**63 - 1},
        {"a": 2**63},
        {"a": "\\u0000 is text"},
        {"a": "a\x00b"},
        {"a": "\ud800"},
        {"a": 1234567890123456789012},
    ],
)
def test_storable_json_agrees_with_the_walk(value: Any) -> None:
    try:
        _walked(value)
    except ValueError:
        with pytest.raises(ValueError):
            storable_json(value)
    else:
        assert storable_json(value) is value


def test_strings_counted_and_taken_out_with_their_escapes() -> None:
    text = b'{"a": "x\\"y", "b\\\\": ["c", 1], "d": "\\\\"}'
    assert string_count(text) == 6
    assert without_strings(text) == b"{: , : [, 1], : }"
    assert string_count(b'["unterminated') == 1


def test_nesting_and_digit_runs() -> None:
    assert not nested_deeper(b"[[[]]]", 3) and nested_deeper(b"[[[[]]]]", 3)
    assert nested_deeper(b"{[{[]}]}", 3)  # one level a pass, whatever the kind
    assert not nested_deeper(b"[]]", 3)  # not JSON: the parser's to say
    assert has_digit_run(b"[1, 1234567890123456789]", 19)
    assert not has_digit_run(b"[1.234567890123456789]", 19)
