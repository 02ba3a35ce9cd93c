"""A database row read into the dataclass it stands for, field by field from its columns."""

from collections.abc import Mapping
from dataclasses import fields
from functools import cache
from typing import Any, TypeVar, cast

T = TypeVar("T")


@cache
def _names(kind: Any) -> tuple[str, ...]:
    return tuple(field.name for field in fields(kind))


def from_row(
    kind: type[T], row: Mapping[str, Any], columns: Mapping[str, str] | None = None, **given: Any
) -> T:
    """A `kind` (a dataclass) whose fields are `row`'s columns of the same name, or of the name
    `columns` maps a field to; the fields in `given` take those values instead (a column
    converted, or one the query may not select)."""
    renamed, dataclass = columns or {}, cast(Any, kind)
    read = {name: row[renamed.get(name, name)] for name in _names(dataclass) if name not in given}
    return cast(T, dataclass(**read, **given))
