"""The size of an event as the relay will produce it, so an event that can never be published is
refused when it is written, not found FAILED in the outbox holding its aggregate's later events.

The Kafka value is PostgreSQL's JSONB text of the envelope (`payload::text`, relay_store.py),
which can be larger than the JSON the client sent: JSONB writes `", "` and `": "` separators and
numbers in plain notation (`1e300` comes back as 301 digits). The headers are the CloudEvents
binary-mode set the relay adds. The figure is exact for the value except escapes, where it
errs high, never low.
"""

import math
import re
from collections.abc import Mapping
from typing import Any

import orjson

from infinite_scribe.domain.json_text import without_strings

#: Framing of one record in its own batch (the batch header is 61 bytes; the record's varints
#: and attributes stay under 30), rounded up.
RECORD_OVERHEAD = 128
DEFAULT_EVENT_MAX_BYTES = 900_000
#: Characters JSONB escapes: these seven as two characters, other controls as \u00XX.
_SHORT_ESCAPES = frozenset('"\\\b\f\n\r\t')
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
#: A number with an exponent, in JSON text without its strings.
_EXPONENT = re.compile(rb"-?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+")
#: orjson's exponents (sign, digits) and fractions of numbers with one (digits, sign); each
#: starts at a literal, which `re` finds with a fast search.
_EXPONENTS = re.compile(rb"e([-+])([0-9]+)")
_FRACTIONS = re.compile(rb"\.([0-9]+)e([-+])")


def jsonb_text_size(value: Any) -> int:
    """Bytes of `value`'s JSONB text output (`value` as `model_dump(mode="json")` gives it),
    counted from orjson's text (what PostgreSQL is sent, persistence/database.py) in C: JSONB
    writes `", "` and `": "` where orjson writes `,` and `:`, and numbers without exponent;
    strings are escaped alike. A walk in Python was 8-100 ms for a body of 19,800 values, on
    the loop (issue 49); it stays for what orjson refuses (a lone surrogate)."""
    try:
        text = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return walked_size(value)
    structure = without_strings(text)
    size = len(text) + structure.count(b",") + structure.count(b":")
    return size + _exponent_growth(structure)


def _exponent_growth(structure: bytes) -> int:
    """How many more characters the numbers of `structure` (orjson's text without strings)
    take without their exponents. orjson writes one digit before the point and a signed
    exponent: `d.Fe+n` is `n + 1` digits, and `d.Fe-m` is `0.`, `m - 1` zeros and the digits.
    Counted with regexes that start at a literal and comprehensions (a function call per
    number was 2 us, 40 ms for a body of 19,800 of them, on the loop: issue 49); a number of
    another shape (`E`, or a positive exponent under 16, which orjson never writes) is
    counted number by number."""
    exponents = _EXPONENTS.findall(structure)
    if not exponents:
        return 0
    ups = [int(digits) for sign, digits in exponents if sign == b"+"]
    downs = [int(digits) for sign, digits in exponents if sign == b"-"]
    every = structure.count(b"e") - structure.count(b"true") - structure.count(b"false")
    other_shape = b"E" in structure or len(exponents) != every
    if other_shape or (ups and min(ups) < 16) or (downs and min(downs) < 1):
        return sum(_plain_size(n.decode()) - len(n) for n in _EXPONENT.findall(structure))
    fractions = _FRACTIONS.findall(structure)
    up_points = sum(len(fraction) + 1 for fraction, sign in fractions if sign == b"+")
    down_points = sum(1 for _, sign in fractions if sign == b"-")
    written = sum(len(digits) for _, digits in exponents)
    return sum(ups) - up_points - 2 * len(ups) + sum(downs) - len(downs) - down_points - written


def walked_size(value: Any) -> int:
    """`jsonb_text_size`, by walking `value` (slow: for what orjson cannot write)."""
    if isinstance(value, str):
        return _string_size(value)
    if value is None:
        return 4
    if isinstance(value, bool):
        return 4 if value else 5
    if isinstance(value, int):
        return len(str(value))
    if isinstance(value, float):
        return _float_size(value)
    if isinstance(value, Mapping):
        if not value:
            return 2
        pairs = sum(_string_size(str(key)) + 2 + walked_size(v) for key, v in value.items())
        return 2 + pairs + 2 * (len(value) - 1)
    if isinstance(value, list | tuple):
        if not value:
            return 2
        return 2 + sum(walked_size(item) for item in value) + 2 * (len(value) - 1)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _string_size(text: str) -> int:
    size = len(text.encode("utf-8", "surrogatepass")) + 2
    for match in _NEEDS_ESCAPE.finditer(text):
        size += 1 if match.group() in _SHORT_ESCAPES else 5
    return size


def _float_size(number: float) -> int:
    if not math.isfinite(number):
        return 4  # never stored (strict JSON refuses it at the edge); counted as null
    # The text PostgreSQL is sent is orjson's (persistence/database.py); its numeric keeps the
    # decimal digits and prints them without an exponent: counted from the digits and the
    # exponent. (`Decimal(repr(number))` was 5 us a float, 113 ms for a body of 19,800 large
    # ones, issue 49; `repr` alone 3.4 us.)
    return _plain_size(orjson.dumps(number).decode())


def _plain_size(text: str) -> int:
    """Characters of the JSON number `text` written without an exponent."""
    if "e" not in text:
        return len(text)
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.lstrip("-").partition(".")
    sign = 1 if mantissa.startswith("-") else 0
    return _plain(sign, len(whole) + len(fraction), int(exponent) - len(fraction))


def _plain(sign: int, digits: int, scale: int) -> int:
    """Characters of `digits` digits times 10**`scale`, without an exponent."""
    if scale >= 0:
        return sign + digits + scale
    return sign + (digits + 1 if digits > -scale else 2 - scale)


def produced_size(envelope: Mapping[str, Any]) -> int:
    """Bytes of the Kafka record the relay makes of `envelope` (a `model_dump(mode="json")`):
    the key, the JSONB text value, the CloudEvents headers and the record framing."""
    metadata = envelope.get("metadata") or {}
    source = metadata.get("source_service") or "infinite-scribe"
    headers = {
        "ce_specversion": "1.0",
        "ce_id": str(envelope.get("event_id", "")),
        "ce_type": str(envelope.get("event_type", "")),
        "ce_source": f"/infinite-scribe/{source}",
        "content-type": "application/json",
        "ce_time": str(envelope.get("occurred_at") or ""),
        "ce_subject": str(envelope.get("aggregate_id") or ""),
        "ce_correlationid": str(envelope.get("correlation_id") or ""),
        "ce_causationid": str(envelope.get("causation_id") or ""),
        "traceparent": str(metadata.get("traceparent") or ""),
    }
    header_bytes = sum(len(name) + len(value.encode()) + 10 for name, value in headers.items())
    key = str(envelope.get("aggregate_id") or "").encode()
    return RECORD_OVERHEAD + len(key) + jsonb_text_size(dict(envelope)) + header_bytes
