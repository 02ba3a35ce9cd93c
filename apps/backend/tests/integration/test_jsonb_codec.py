"""The pools' JSON codecs (persistence/database.py): `jsonb` and `json` go in the binary format
(issue 40: no array literal quoting of `jsonb[]`, no text round trip), and a value comes back as
it went in, non-ASCII text, big integers and nesting included, alone or in an array."""

from typing import Any

import pytest

from infinite_scribe.persistence import database
from infinite_scribe.persistence.database import connect

VALUES: list[Any] = [
    {"name": "苏禾", "emoji": "🐉", "quote": 'a "b" \\ c', "nul_free": "tab\tnewline\n"},
    {"big": 2**63 - 1, "small": -(2**63), "float": 1.5, "exp": 1e300, "zero": 0},
    [1, [2, [3, {"deep": None}]], True, False, ""],
    "a bare string, with a comma, and {braces}",
    12345678901234567,
    {},
    [],
]


@pytest.mark.parametrize("value", VALUES)
async def test_a_value_round_trips(database_url: str, value: Any) -> None:
    connection = await connect(database_url)
    try:
        assert await connection.fetchval("SELECT $1::jsonb", value) == value
        assert await connection.fetchval("SELECT $1::json", value) == value
        if not isinstance(value, list):  # a list in an array is a sub-array to asyncpg
            assert await connection.fetchval("SELECT $1::jsonb[]", [value, value]) == [value] * 2
        # What PostgreSQL stored is the value's JSON, not a string of it.
        assert await connection.fetchval("SELECT jsonb_typeof($1::jsonb)", value) in (
            "object",
            "array",
            "string",
            "number",
        )
    finally:
        await connection.close()


async def test_stored_text_is_unchanged(database_url: str) -> None:
    connection = await connect(database_url)
    try:
        text = await connection.fetchval("SELECT ($1::jsonb)::text", {"k": "苏禾", "n": 2**60})
        assert text == '{"k": "苏禾", "n": 1152921504606846976}'
        # A value PostgreSQL produced decodes as it would from text.
        assert await connection.fetchval('SELECT \'[1, "é", {"a": null}]\'::jsonb') == [
            1,
            "é",
            {"a": None},
        ]
    finally:
        await connection.close()


def test_jsonb_travels_binary() -> None:
    """The jsonb codec is the binary one (the text one cost a quoted array literal per
    `jsonb[]` and PostgreSQL's array_in): a version byte, then orjson's bytes."""
    assert database._jsonb_encode({"k": "苏禾"}) == b"\x01" + '{"k":"苏禾"}'.encode()
    assert database._jsonb_decode(b'\x01{"k":[1]}') == {"k": [1]}
    with pytest.raises(ValueError, match="version"):
        database._jsonb_decode(b'\x02{"k":[1]}')
