"""The work a JSON body may cause, counted from its text (api/middleware/strict_json.py)."""

import orjson

from infinite_scribe.api.middleware.strict_json import (
    JSON_MAX_DEPTH,
    JSON_MAX_STRINGS,
    JSON_MAX_VALUES,
    too_complex,
)


def test_many_small_values_are_too_complex() -> None:
    lists = orjson.dumps({"payload": {"preferences": {"x": [[]] * 215_000}}})
    assert "values, more than the 20000" in (too_complex(lists) or "")
    numbers = orjson.dumps(list(range(JSON_MAX_VALUES)))
    assert too_complex(numbers) is not None
    assert too_complex(orjson.dumps(list(range(JSON_MAX_VALUES - 10)))) is None
    strings = orjson.dumps(["x"] * (JSON_MAX_STRINGS + 1))
    assert "strings" in (too_complex(strings) or "")


def test_punctuation_inside_strings_does_not_count() -> None:
    prose = 'He said, "no": [then] {left}, and, and, and. ' * 20_000
    assert too_complex(orjson.dumps({"feedback": prose})) is None
    escaped = orjson.dumps({"text": 'a\\",b' * 50_000})  # escaped quotes stay inside
    assert too_complex(escaped) is None


def test_unterminated_strings_are_scanned_once() -> None:
    # Each would make a failing string pattern start again at every later quote (quadratic).
    for body in (b'"' + b'\\"' * 300_000, b'"' + b'\\"' * 300_000 + b"\\", b'\\"' * 300_000):
        assert too_complex(body) is None
    assert too_complex(b'"a' * 300_000) is not None  # 150,000 strings


def test_nesting_past_the_depth_limit_is_too_complex() -> None:
    def nested(depth: int, opening: bytes = b"[", closing: bytes = b"]") -> bytes:
        return opening * depth + closing * depth

    assert too_complex(nested(JSON_MAX_DEPTH)) is None
    assert "nested deeper than the 64" in (too_complex(nested(JSON_MAX_DEPTH + 1)) or "")
    objects = b'{"a":' * (JSON_MAX_DEPTH + 1) + b"1" + b"}" * (JSON_MAX_DEPTH + 1)
    assert too_complex(objects) is not None
    # 1,000 levels made a validation error's repr recurse past Python's limit (a 500).
    assert too_complex(b'{"payload": {"stage": ' + nested(1000) + b"}}") is not None
    wide = orjson.dumps([[[1]] * 5000, {"a": [{"b": []}]}])
    assert too_complex(wide) is None
    assert too_complex(orjson.dumps(["[[[[[" * 100])) is None  # brackets in strings
    assert too_complex(b"[" * 100) is None  # never closed: not JSON, the parser says so
