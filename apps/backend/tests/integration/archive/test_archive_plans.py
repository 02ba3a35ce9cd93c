"""The hot statements never read the archive (issue 51): each one's plan, with archived rows in
the table, names the hot partition only (pruned at planning). A transparent read of one stream
names both, which shows the check can fail."""

import inspect
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import orjson
import pytest

from infinite_scribe.application.ports.writes import SnapshotSave, Write
from infinite_scribe.domain.genesis import AGGREGATE_TYPE
from infinite_scribe.domain.wishes import PROMPT_KEYS, PROMPT_SOURCES
from infinite_scribe.persistence.archive import store as archive_store
from infinite_scribe.persistence.event_store import load_events
from infinite_scribe.persistence.relay import store as relay_store
from infinite_scribe.persistence.story_memory import store
from infinite_scribe.persistence.stream import event_feed
from infinite_scribe.persistence.tasks import async_tasks
from infinite_scribe.persistence.writes import statement as write_statement
from infinite_scribe.persistence.writes.composer import WriteComposer
from tests.conftest import TEST_TOPIC
from tests.integration.test_write_statement import _entry, _event, _session

ARCHIVED = "domain_events_archived"


def _relations(node: dict[str, Any]) -> Iterator[str]:
    if "Relation Name" in node:
        yield node["Relation Name"]
    for child in node.get("Plans", []):
        yield from _relations(child)


async def _plan(pool: asyncpg.Pool, sql: str, *args: Any) -> set[str]:
    found = await pool.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    plan = orjson.loads(found) if isinstance(found, str | bytes) else found
    return set(_relations(plan[0]["Plan"]))


@pytest.fixture
async def archived_rows(pool: asyncpg.Pool) -> None:
    """A thousand archived events besides the hot ones, analyzed: the planner sees them."""
    await pool.execute(
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version, "
        "archived) SELECT 'Genesis.Session.StageConfirmed', 'GENESIS_SESSION', "
        "$1 || (g / 10)::text, g % 10 + 1, true FROM generate_series(0, 999) g",
        uuid.uuid4().hex,
    )
    await pool.execute("ANALYZE domain_events")


async def test_the_command_write_statement_touches_the_hot_partition_only(
    pool: asyncpg.Pool, archived_rows: None
) -> None:
    state = await _session(pool)
    write = Write(
        inbox=_entry(state),
        events=[_event(str(state.session_id), 2)],
        snapshot=SnapshotSave(1, state),
    )
    parts = WriteComposer(TEST_TOPIC).parts(write)
    compiled = write_statement.compile_parts(parts)
    relations = await _plan(pool, compiled.sql, *write_statement.arguments(compiled, parts))
    assert "domain_events_hot" in relations and ARCHIVED not in relations


@pytest.mark.parametrize(
    "name", ["event feed", "worker start", "generation requests", "chapter text", "archive head"]
)
async def test_a_hot_read_is_pruned_to_the_hot_partition(
    pool: asyncpg.Pool, archived_rows: None, name: str
) -> None:
    session = str(uuid.uuid4())
    statements: dict[str, tuple[str, tuple[Any, ...]]] = {
        "event feed": (event_feed._ADVANCE, (0, 100)),
        "worker start": (
            async_tasks._START_WITH_SESSION,
            (uuid.uuid4(), AGGREGATE_TYPE, list(PROMPT_SOURCES), list(PROMPT_KEYS)),
        ),
        "generation requests": (
            f"SELECT * FROM ({async_tasks._prompt_sources('$1')}) s",
            (session, AGGREGATE_TYPE, list(PROMPT_SOURCES), list(PROMPT_KEYS)),
        ),
        "chapter text": (store._CHAPTER_TEXT, (uuid.uuid4(), 1, "1")),
        "archive head": (archive_store._ARCHIVE_VERSION, ("ARCHIVE", session)),
    }
    sql, args = statements[name]
    relations = await _plan(pool, sql, *args)
    assert "domain_events_hot" in relations and ARCHIVED not in relations, relations


async def test_a_transparent_read_names_both_partitions(
    pool: asyncpg.Pool, archived_rows: None
) -> None:
    source = inspect.getsource(load_events)
    sql = source[source.index('"SELECT') : source.index("ORDER BY aggregate_version") + 26]
    sql = "".join(part.strip().strip('"') for part in sql.splitlines())
    relations = await _plan(pool, sql, "GENESIS_SESSION", "1", 0)
    assert {"domain_events_hot", ARCHIVED} <= relations


def test_the_relay_never_reads_the_event_log() -> None:
    assert "domain_events" not in "".join(
        value for name, value in vars(relay_store).items() if name.endswith("_SQL")
    )
