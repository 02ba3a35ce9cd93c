"""Migration 0033 on a populated database (issue 51; Marten's "partitioning introduced on an
existing database"): every event stays, in the hot partition, with its id, and the ids go on
from the same sequence; the keys, the append-only guard and the move work on the new shape;
the downgrade brings archived rows back into one table and its old keys."""

import asyncpg
import pytest

from infinite_scribe.persistence import migrate
from tests.support.one_value import one_value

BEFORE = "0032_novel_status"
# Content of every event but its partition, in id order: equal before and after.
_DIGEST = (
    "SELECT md5(string_agg(concat_ws('|', id, event_id, event_type, aggregate_type, "
    "aggregate_id, aggregate_version, payload::text, metadata::text, created_at), ',' "
    "ORDER BY id)) FROM domain_events"
)
_SEED = (
    "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version, "
    "payload) SELECT 'Genesis.Session.StageConfirmed', 'GENESIS_SESSION', 's' || (g / 20), "
    "g % 20 + 1, jsonb_build_object('n', g) FROM generate_series(0, 4999) g"
)
_INDEXES = "SELECT count(*) FROM pg_indexes WHERE tablename = $1"
_ONE = (
    "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version) "
    "VALUES ('Genesis.Session.StageConfirmed', 'GENESIS_SESSION', $1, $2) RETURNING id"
)


def _parts(url: str) -> object:
    return one_value(
        url,
        "SELECT string_agg(p || ':' || n, ',' ORDER BY p) FROM (SELECT tableoid::regclass::text "
        "AS p, count(*) AS n FROM domain_events GROUP BY 1) x",
    )


def _refused(url: str, statement: str, *args: object) -> type[BaseException]:
    with pytest.raises(asyncpg.PostgresError) as error:
        one_value(url, statement, *args)
    return type(error.value)


def test_a_populated_database_is_partitioned_in_place_and_back(fresh_database: object) -> None:
    url = str(fresh_database())  # type: ignore[operator]
    migrate.upgrade(url, BEFORE)
    one_value(url, _SEED)
    digest = one_value(url, _DIGEST)

    migrate.upgrade(url)

    assert _parts(url) == "domain_events_hot:5000"
    assert one_value(url, _DIGEST) == digest
    # Each of the parent's indexes adopted or built once on the partition: no index twice.
    assert one_value(url, _INDEXES, "domain_events_hot") == one_value(
        url, _INDEXES, "domain_events"
    )
    assert one_value(url, _ONE, "s-new", 1) == 5001  # the same sequence goes on
    assert _refused(url, _ONE, "s1", 3) is asyncpg.UniqueViolationError
    assert _refused(url, "DELETE FROM domain_events WHERE id = 1") is asyncpg.RestrictViolationError
    assert _refused(url, "UPDATE domain_events SET archived = true WHERE id = 1") is (
        asyncpg.RestrictViolationError
    )
    assert one_value(url, "SELECT move_stream_events('GENESIS_SESSION', 's1', true)") == 20
    assert _parts(url) == "domain_events_archived:20,domain_events_hot:4981"

    migrate.downgrade(url, BEFORE)

    assert _parts(url) == "domain_events:5001"
    assert (
        one_value(url, "SELECT relkind::text FROM pg_class WHERE relname = 'domain_events'") == "r"
    )
    assert _refused(url, _ONE, "s1", 3) is asyncpg.UniqueViolationError
    assert _refused(url, "DELETE FROM domain_events WHERE id = 1") is asyncpg.RestrictViolationError
    assert int(one_value(url, _ONE, "s-new", 2)) > 5001  # type: ignore[call-overload]
    migrate.upgrade(url)
    assert _parts(url) == "domain_events_hot:5002"
