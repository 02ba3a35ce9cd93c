"""One write statement composed from declared parts, parameters bound by name.

Each part is a `StatementPart`: the CTEs it adds (their SQL asks for its parameters by name
through `p("name")`, which answers the placeholder), the values of those names, and what the
final SELECT reads of it (reading every part in the order of `Write`'s fields fixes the order
the parts run in, and a part that must change a row asserts it there with `scribe_expect`,
migration 0010, so a refused part undoes the whole statement). Placeholders are handed out as
the SQL asks for names, and the arguments are looked up by the same names: adding a parameter
or a part cannot shift another part's values (tests/integration/relay... test_write_statement).

The statement of one shape (which parts, in which order) is built once and cached; asyncpg
then prepares it once per connection.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

#: A part's SQL asks for a parameter by name; the answer is its placeholder ($n).
Placeholder = Callable[[str], str]


class StatementPart(Protocol):
    """A piece of a write statement (see the module docstring)."""

    #: Identifies the SQL shape (same key -> same CTEs and reads, whatever the values).
    @property
    def shape(self) -> str: ...

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        """(name, body) of each CTE this part adds."""
        ...

    def reads(self) -> Sequence[str]:
        """Expressions of the final SELECT that read this part's CTEs (each `AS` a column)."""
        ...

    def values(self) -> Mapping[str, Any]:
        """The value of each parameter name its SQL asks for."""
        ...


@dataclass(frozen=True)
class Compiled:
    sql: str
    #: (index of the part, parameter name) for $1, $2, ... in order.
    parameters: tuple[tuple[int, str], ...]


_CACHE: dict[tuple[str, ...], Compiled] = {}


def compile_parts(parts: Sequence[StatementPart]) -> Compiled:
    """The statement of these parts' shape (built once per shape)."""
    key = tuple(part.shape for part in parts)
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = _CACHE[key] = _compile(parts)
    return compiled


def _compile(parts: Sequence[StatementPart]) -> Compiled:
    order: list[tuple[int, str]] = []
    numbers: dict[tuple[int, str], int] = {}

    def placeholder_of(index: int) -> Placeholder:
        def p(name: str) -> str:
            slot = (index, name)
            if slot not in numbers:
                order.append(slot)
                numbers[slot] = len(order)
            return f"${numbers[slot]}"

        return p

    ctes: list[str] = []
    reads: list[str] = []
    for index, part in enumerate(parts):
        for name, body in part.ctes(placeholder_of(index)):
            ctes.append(f"{name} AS (\n{body}\n)")
        reads.extend(part.reads())
    if not reads:
        raise ValueError("a write statement needs at least one part")
    sql = "WITH " + ",\n".join(ctes) + "\nSELECT " + ",\n       ".join(reads)
    return Compiled(sql, tuple(order))


def arguments(compiled: Compiled, parts: Sequence[StatementPart]) -> list[Any]:
    """The statement's arguments, each found by its part and name."""
    values = [part.values() for part in parts]
    return [values[index][name] for index, name in compiled.parameters]


async def run(connection: asyncpg.Connection | asyncpg.Pool, parts: Sequence[StatementPart]) -> Any:
    """Run the parts as one statement; the one row of the final SELECT."""
    compiled = compile_parts(parts)
    return await connection.fetchrow(compiled.sql, *arguments(compiled, parts))


def count_of(cte: str) -> str:
    """A final-SELECT read that runs `cte` and counts its rows."""
    return f"(SELECT count(*) FROM {cte}) AS {cte}"


def expect_one(cte: str, errcode: str, constraint: str) -> str:
    """A final-SELECT read that fails the statement unless `cte` returned exactly one row:
    `errcode` 23505 with `constraint` reads as that unique index refusing it, 40001 as a lost
    race (persistence/errors.py translates both)."""
    return f"scribe_expect((SELECT count(*) FROM {cte}) = 1, '{errcode}', '{constraint}') AS {cte}"
