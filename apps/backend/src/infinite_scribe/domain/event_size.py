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
from decimal import Decimal
from typing import Any

#: Framing of one record in its own batch (the batch header is 61 bytes; the record's varints
#: and attributes stay under 30), rounded up.
RECORD_OVERHEAD = 128
DEFAULT_EVENT_MAX_BYTES = 900_000
#: Characters JSONB escapes: these seven as two characters, other controls as \u00XX.
_SHORT_ESCAPES = frozenset('"\\\b\f\n\r\t')
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def jsonb_text_size(value: Any) -> int:
    """Bytes of `value`'s JSONB text output (`value` as `model_dump(mode="json")` gives it)."""
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
        pairs = sum(_string_size(str(key)) + 2 + jsonb_text_size(v) for key, v in value.items())
        return 2 + pairs + 2 * (len(value) - 1)
    if isinstance(value, list | tuple):
        if not value:
            return 2
        return 2 + sum(jsonb_text_size(item) for item in value) + 2 * (len(value) - 1)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _string_size(text: str) -> int:
    size = len(text.encode("utf-8", "surrogatepass")) + 2
    for match in _NEEDS_ESCAPE.finditer(text):
        size += 1 if match.group() in _SHORT_ESCAPES else 5
    return size


def _float_size(number: float) -> int:
    if not math.isfinite(number):
        return 4  # never stored (strict JSON refuses it at the edge); counted as null
    # PostgreSQL's numeric keeps the decimal digits and prints them without an exponent.
    return len(format(Decimal(repr(number)), "f"))


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
