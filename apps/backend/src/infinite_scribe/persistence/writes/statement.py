"""One write statement composed from declared parts, parameters bound by name.

Each part is a `StatementPart`: the CTEs it adds (their SQL asks for its parameters by name
through `p("name")`, which answers the placeholder), the values of those names, what the final
SELECT reads of it, and its refusals. Placeholders are handed out as the SQL asks for names, and
the arguments are looked up by the same names: adding a parameter or a part cannot shift another
part's values (tests/integration/test_write_statement.py).

Refusals do not rely on the order PostgreSQL runs the CTEs in (its documentation calls that
unpredictable): no part fails on its own (they insert with ON CONFLICT DO NOTHING or update
with a version check, and so write fewer rows), and one CASE in the final SELECT reads every
part's refusal conditions in the parts' rank (`PART_ORDER`, application/ports/writes.py) and
raises the first that holds through `scribe_expect` (migration 0012), which undoes the whole
statement. CASE tests its WHEN clauses in order, and `scribe_expect` is volatile, so the planner
cannot fold a branch ahead of its turn.

The statement of one shape (which parts, in which order) is built once and cached; asyncpg
then prepares it once per connection.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import asyncpg

from infinite_scribe.application.ports.writes import PART_ORDER
from infinite_scribe.persistence.writes.group_commit import GroupCommit

#: A part's SQL asks for a parameter by name; the answer is its placeholder ($n).
Placeholder = Callable[[str], str]


@dataclass(frozen=True)
class Refusal:
    """A condition (SQL) under which a part refuses the write, reported as a driver error with
    `sqlstate` and `constraint` (persistence/errors.py translates it)."""

    failed: str
    sqlstate: str
    constraint: str
    #: An SQL expression naming the constraint instead, when one condition has several causes
    #: that the statement tells apart only after it holds (`constraint` is then the last one).
    constraint_sql: str | None = None


class StatementPart(Protocol):
    """A piece of a write statement (see the module docstring)."""

    #: Identifies the SQL shape (same key -> same CTEs and reads, whatever the values).
    @property
    def shape(self) -> str: ...

    #: The `Write` field it writes (its rank in `PART_ORDER` orders its refusals).
    @property
    def part(self) -> str: ...

    def ctes(self, p: Placeholder) -> Sequence[tuple[str, str]]:
        """(name, body) of each CTE this part adds."""
        ...

    def reads(self) -> Sequence[str]:
        """Expressions of the final SELECT that the caller reads (each `AS` a column); none is
        needed to run a data-modifying CTE, which runs to completion whether read or not."""
        ...

    def values(self) -> Mapping[str, Any]:
        """The value of each parameter name its SQL asks for."""
        ...

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        """When this part refuses the write, most specific first (none: it never does)."""
        ...


class PlainPart:
    """What most parts are: one SQL shape, named as the part; nothing the final SELECT reads;
    no refusal of the write. A part says only where it differs."""

    part: ClassVar[str]

    @property
    def shape(self) -> str:
        return self.part

    def reads(self) -> Sequence[str]:
        return ()

    def refusals(self, p: Placeholder) -> Sequence[Refusal]:
        return ()


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
    ranked: list[tuple[int, int, int, Refusal]] = []
    for index, part in enumerate(parts):
        p = placeholder_of(index)
        for name, body in part.ctes(p):
            ctes.append(f"{name} AS (\n{body}\n)")
        reads.extend(part.reads())
        for within, refusal in enumerate(part.refusals(p)):
            ranked.append((PART_ORDER.index(part.part), index, within, refusal))
    if not ctes:
        raise ValueError("a write statement needs at least one part")
    if ranked:
        ranked.sort(key=lambda entry: entry[:3])  # a Refusal is not ordered
        reads.insert(0, _guard([refusal for *_, refusal in ranked]))
    sql = "WITH " + ",\n".join(ctes) + "\n" + _final_select(reads or ["true AS written"])
    return Compiled(sql, tuple(order))


#: How a refusal or a read counts a CTE's rows (`count_of`, `missing`).
_COUNT = re.compile(r"\(SELECT count\(\*\) FROM (\w+)\)")


def _final_select(reads: Sequence[str]) -> str:
    """The final SELECT, each CTE counted once (decision 4001): the refusals read a count up to
    three times, and each `(SELECT count(*) ...)` would be a subplan of its own, set up at every
    execution. The counts are the columns of a subquery (OFFSET 0 keeps the planner from
    pulling it up, which would copy them back) that the reads refer to. A data-modifying CTE
    runs to completion whether it is read or not."""
    counted: dict[str, None] = {}

    def column(match: re.Match[str]) -> str:
        counted[match.group(1)] = None
        return f"written.{match.group(1)}"

    columns = [_COUNT.sub(column, read) for read in reads]
    select = "SELECT " + ",\n       ".join(columns)
    if not counted:
        return select
    counts = ", ".join(f"(SELECT count(*) FROM {name}) AS {name}" for name in counted)
    return f"{select}\nFROM (SELECT {counts} OFFSET 0) AS written"


def _guard(refusals: Sequence[Refusal]) -> str:
    """The one expression that reports the first refusal by rank (module docstring)."""
    branches = "\n".join(
        f"  WHEN {r.failed} THEN scribe_expect(false, '{r.sqlstate}', {_named(r)})"
        for r in refusals
    )
    return f"CASE\n{branches}\n  ELSE true END AS refused"


def _named(refusal: Refusal) -> str:
    return refusal.constraint_sql or f"'{refusal.constraint}'"


def arguments(compiled: Compiled, parts: Sequence[StatementPart]) -> list[Any]:
    """The statement's arguments, each found by its part and name."""
    values = [part.values() for part in parts]
    return [values[index][name] for index, name in compiled.parameters]


async def run(
    connection: asyncpg.Connection | asyncpg.Pool,
    parts: Sequence[StatementPart],
    group: GroupCommit | None = None,
) -> Any:
    """Run the parts as one statement; the one row of the final SELECT (`group`: in autocommit
    on the pool, batched with the same shape's concurrent writes, writes/group_commit.py)."""
    compiled = compile_parts(parts)
    if group is not None:
        return await group.fetchrow(compiled.sql, arguments(compiled, parts))
    return await connection.fetchrow(compiled.sql, *arguments(compiled, parts))


def count_of(cte: str) -> str:
    """A final-SELECT read that runs `cte` and counts its rows."""
    return f"(SELECT count(*) FROM {cte}) AS {cte}"
