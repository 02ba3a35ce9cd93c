"""The bounds the settings groups share, each a field factory that takes the description:
a span of seconds (an interval, a timeout, a lease), a count of things held at once, a
listener's port. A field with bounds of its own says them with `Field`."""

from pydantic import Field
from pydantic.fields import FieldInfo

#: The longest span `seconds` allows unless a field says otherwise: an hour.
HOUR = 3600
#: The most `count` allows unless a field says otherwise.
MAX_COUNT = 100_000


def seconds(description: str, *, le: float = HOUR) -> FieldInfo:
    """A span of seconds: more than 0, at most `le`."""
    return Field(gt=0, le=le, description=description)


def count(description: str, *, le: int = MAX_COUNT) -> FieldInfo:
    """How many of something: at least 1, at most `le`."""
    return Field(ge=1, le=le, description=description)


def port(description: str, *, ge: int = 0) -> FieldInfo:
    """A TCP port: at least `ge` (0: any free port, or none, as the field says), at most 65535."""
    return Field(ge=ge, le=65535, description=description)
