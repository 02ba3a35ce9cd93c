"""A read's dataclass handed to its response model."""

from dataclasses import fields
from typing import Any


def shallow_fields(view: Any) -> dict[str, Any]:
    """The dataclass `view`'s fields by name, its values as they are: `dataclasses.asdict`
    deep-copies every nested dict and list in Python, seconds on the event loop for a novel's
    bible (issue 49: 2.2 s for 4 MB; this, microseconds)."""
    return {field.name: getattr(view, field.name) for field in fields(view)}
