"""The history a page at a time (issue 54, decision 5402): pages of any size put together are
the whole fold of the lineage, changes included across page boundaries; a lineage past the old
limits (5,000 events) pages instead of a 413; a cursor we did not give is a 422."""

import json
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.genesis import version_payload
from infinite_scribe.domain.history import fold, session_history
from infinite_scribe.persistence import migrate
from infinite_scribe.persistence.genesis.adapters import PostgresGenesisQueries
from infinite_scribe.settings.settings import Settings
from tests.support.genesis_client import BASE, new_session
from tests.support.history import (
    ask,
    branch,
    confirm,
    history,
    ok,
    revise,
    rollback,
    versions,
    walk as walk_stages,
)
from tests.support.history_limits import HistoryLimits, HistoryTooLarge
from tests.support.lineage import lineage
from tests.support.one_value import one_value


async def _pages(http: httpx.AsyncClient, session_id: UUID, limit: int) -> list[dict[str, Any]]:
    """Every page of the history, newest first."""
    pages, before = [], None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"before": before} if before else {})
        page = ok(await http.get(f"{BASE}/{session_id}/history", params=params))
        pages.append(page)
        before = page["next_before"]
        if before is None:
            return pages


def _joined(pages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The pages' versions by stage, oldest first (the pages come newest first)."""
    stages: dict[str, list[dict[str, Any]]] = {}
    for page in reversed(pages):
        for stage in page["stages"]:
            stages.setdefault(stage["stage"], []).extend(stage["versions"])
    return stages


async def test_pages_of_any_size_are_the_whole_fold_with_changes_across_pages(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    source = await new_session(http, initial_user_input={"idea": "a lighthouse keeper"})
    await walk_stages(http, pool, settings, source, 2)
    await ask(http, pool, settings, source, "WORLDVIEW")
    await revise(http, pool, settings, source, "colder, and at sea")
    await confirm(http, source, "WORLDVIEW")
    for stage in ("CHARACTERS", "PLOT_OUTLINE"):
        await ask(http, pool, settings, source, stage)
        await confirm(http, source, stage)
    body = await history(http, source)
    ok(await rollback(http, source, versions(body, "WORLDVIEW")[0]["event_id"]))
    ok(await rollback(http, source, versions(body, "FINISHED")[0]["event_id"]))
    restores = versions(await history(http, source), "WORLDVIEW")
    ok(await rollback(http, source, restores[-1]["event_id"]))  # back to a rollback's version
    child = UUID(
        ok(await branch(http, source, versions(body, "CHARACTERS")[-1]["event_id"]), 201)[
            "session_id"
        ]
    )
    await ask(http, pool, settings, child, "PLOT_OUTLINE")
    await revise(http, pool, settings, child, "end it in winter")
    for session_id in (source, child):
        whole = session_history(await lineage(pool, session_id, HistoryLimits()))
        expected = {s["stage"]: s["versions"] for s in json.loads(json.dumps(whole, default=str))}
        total = sum(len(v) for v in expected.values())
        for limit in (1, 3, 200):
            pages = await _pages(http, session_id, limit)
            assert len(pages) == -(-total // limit)  # the last page says it is the last
            joined = _joined(pages)
            assert {s: v for s, v in joined.items() if v} == {
                s: v for s, v in expected.items() if v
            }
    revised = _joined(await _pages(http, child, 1))["PLOT_OUTLINE"]
    assert revised[-1]["kind"] == "revised" and revised[-1]["feedback"] == "end it in winter"
    await _targets_are_the_folds(pool, source)
    await _targets_are_the_folds(pool, child)
    inherited = versions(body, "STORY_CONCEPTION")[0]["event_id"]  # the origin's version
    ok(await rollback(http, child, inherited))
    state = ok(await http.get(f"{BASE}/{child}/state"))
    assert (
        state["current_stage"] == "STORY_CONCEPTION"
        and "STORY_CONCEPTION" not in state["confirmed_data"]
    )


async def _targets_are_the_folds(pool: asyncpg.Pool, session_id: UUID) -> None:
    """The bounded read of every version's state equals the full fold's (the reference)."""
    walk = fold(await lineage(pool, session_id, HistoryLimits()), with_changes=False)
    queries = PostgresGenesisQueries(pool)
    assert len(walk.targets) > 5
    for event_id, expected in walk.targets.items():
        found = await queries.version_target(session_id, event_id, expected.state.user_id)
        assert found is not None, event_id
        assert version_payload(found.state, found) == version_payload(expected.state, expected)
        for name in ("current_stage", "status", "novel_id", "last_result", "confirmed_data"):
            assert getattr(found.state, name) == getattr(expected.state, name), (event_id, name)
    assert await queries.version_target(session_id, uuid4(), uuid4()) is None


async def test_a_lineage_past_the_old_limits_pages_instead_of_a_413(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "a long one"})
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    start = await pool.fetchval(
        "SELECT max(aggregate_version) FROM domain_events WHERE aggregate_id = $1", str(session_id)
    )
    await pool.execute(  # 6,000 more proposals, as a writer asking again and again would write
        """
        INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, aggregate_version,
                                   payload)
        SELECT 'Genesis.Session.Concept.Proposed', 'GENESIS_SESSION', $1, v,
               jsonb_build_object('stage', 'CONCEPT_SELECTION',
                                  'result', jsonb_build_object('title', 'Take ' || v))
        FROM generate_series($2::int, $2::int + 5999) AS v
        """,
        str(session_id),
        start + 1,
    )
    with pytest.raises(HistoryTooLarge):  # what the history read before answered with a 413
        await lineage(pool, session_id, HistoryLimits())
    first = ok(await http.get(f"{BASE}/{session_id}/history"))
    newest = versions(first, "CONCEPT_SELECTION")
    assert len(newest) == 50 and newest[-1]["content"]["title"] == f"Take {start + 6000}"
    assert newest[-1]["changes"] == [
        {"path": "title", "before": f"Take {start + 5999}", "after": f"Take {start + 6000}"}
    ]
    assert newest[0]["changes"][0]["before"] == f"Take {start + 5950}"  # from the older page
    second = ok(
        await http.get(f"{BASE}/{session_id}/history", params={"before": first["next_before"]})
    )
    assert versions(second, "CONCEPT_SELECTION")[-1]["content"]["title"] == f"Take {start + 5950}"
    last = ok(await http.get(f"{BASE}/{session_id}/history", params={"before": "0.4", "limit": 9}))
    assert last["next_before"] is None
    assert [v["kind"] for v in versions(last, "CONCEPT_SELECTION")] == ["proposed"]


@pytest.mark.parametrize(
    "params",
    [
        {"before": "x"},
        {"before": "1"},
        {"before": "0.-1"},
        {"before": "0.²"},
        {"limit": 0},
        {"limit": 201},
        {"before": "1" * 30},
        {"before": "0.9999999999"},
        {"before": "9999999.1"},
    ],
)
async def test_a_cursor_or_limit_we_did_not_give_is_a_422(
    http: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "x"})
    response = await http.get(f"{BASE}/{session_id}/history", params=params)
    assert response.status_code == 422, response.text


async def test_a_branch_at_an_inherited_version_keeps_the_versions_before_it(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    source = await new_session(http, initial_user_input={"idea": "a salt mine"})
    await walk_stages(http, pool, settings, source, 2)
    story = versions(await history(http, source), "STORY_CONCEPTION")[-1]
    child = UUID(ok(await branch(http, source, story["event_id"]), 201)["session_id"])
    await ask(http, pool, settings, child, "WORLDVIEW")
    inherited = versions(await history(http, child), "CONCEPT_SELECTION")
    assert [v["session_id"] for v in inherited] == [str(source)] * 2
    grand = UUID(ok(await branch(http, child, inherited[-1]["event_id"]), 201)["session_id"])
    body = await history(http, grand)
    kinds = {s["stage"]: [v["kind"] for v in s["versions"]] for s in body["stages"]}
    assert kinds["CONCEPT_SELECTION"] == ["proposed", "confirmed", "branched"]
    assert kinds["STORY_CONCEPTION"] == kinds["WORLDVIEW"] == []  # after the branch point
    assert {v["session_id"] for s in body["stages"] for v in s["versions"]} == {
        str(source),
        str(grand),
    }
    ok(await rollback(http, grand, inherited[0]["event_id"]))  # the grandparent's proposal
    now = ok(await http.get(f"{BASE}/{grand}/state"))
    assert now["current_stage"] == "CONCEPT_SELECTION" and now["confirmed_data"] == {}


def test_the_migration_keeps_each_finish_bible_of_a_populated_database(
    fresh_database: object,
) -> None:
    url = str(fresh_database())  # type: ignore[operator]
    session_id, novel_id = uuid4(), uuid4()

    migrate.upgrade(url, "0025_chapter_rows")
    one_value(
        url,
        "INSERT INTO novels (id, user_id, title, story) VALUES ($1, $2, '雾港', "
        '\'{"premise": "信"}\'::jsonb)',
        novel_id,
        uuid4(),
    )
    one_value(
        url,
        "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, "
        "aggregate_version, payload) VALUES ('Genesis.Session.Finished', 'GENESIS_SESSION', "
        "$1, 12, jsonb_build_object('novel_id', $2::text))",
        str(session_id),
        str(novel_id),
    )
    migrate.upgrade(url)
    kept = one_value(
        url,
        "SELECT bible::text FROM session_finishes WHERE session_id = $1 AND seq = 12",
        session_id,
    )
    bible = json.loads(str(kept))
    assert bible["title"] == "雾港" and bible["story"] == {"premise": "信"}
    migrate.downgrade(url, "0025_chapter_rows")
    assert one_value(url, "SELECT to_regclass('session_finishes')") is None
