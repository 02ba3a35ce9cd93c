"""Every shared-types table model matches the live columns: names, types and nullability."""

import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import asyncpg
import pytest

from shared_types import DATABASE_ENUMS, TABLE_MODELS, TableModel

PYTHON_TYPES_BY_PG: dict[str, tuple[type, ...]] = {
    "uuid": (UUID,),
    "text": (str,),
    "integer": (int,),
    "bigint": (int,),
    "boolean": (bool,),
    "jsonb": (dict, list),  # an object, or an array (a chapter's beats)
    "timestamp with time zone": (datetime,),
    "numeric": (Decimal,),
    "bytea": (bytes,),
}


def _unwrap(annotation: object) -> tuple[object, bool]:
    """(base type, nullable) of `X | None`, `dict[str, Any]`, ..."""
    nullable = False
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        nullable = type(None) in args
        remaining = [arg for arg in args if arg is not type(None)]
        annotation = remaining[0]
    origin = typing.get_origin(annotation)
    return (origin or annotation), nullable


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda model: model.__tablename__)
async def test_model_matches_live_columns(pool: asyncpg.Pool, model: type[TableModel]) -> None:
    columns = await pool.fetch(
        "SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1",
        model.__tablename__,
    )
    assert columns, f"table {model.__tablename__} does not exist"
    assert {c["column_name"] for c in columns} == set(model.model_fields)
    for column in columns:
        field = model.model_fields[column["column_name"]]
        base, nullable = _unwrap(field.annotation)
        assert nullable == (column["is_nullable"] == "YES"), column["column_name"]
        if column["data_type"] == "USER-DEFINED":
            assert isinstance(base, type) and issubclass(base, StrEnum)
            assert DATABASE_ENUMS[column["udt_name"]] is base, column["column_name"]
        else:
            assert base in PYTHON_TYPES_BY_PG[column["data_type"]], column["column_name"]
            assert field.is_required() == (not nullable), column["column_name"]
