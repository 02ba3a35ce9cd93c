"""GET .../history over real HTTP and PostgreSQL: every version of every stage with its
content, its changes and, on proposals, its provenance (issue 37)."""

from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.genesis_client import BASE, new_session
from tests.support.history import ask, confirm, history, revise, versions
from tests.support.history_limits import HistoryLimits, HistoryTooLarge
from tests.support.lineage import lineage
from tests.support.trash import stranger


async def test_every_version_with_content_changes_provenance_and_how_it_was_taken(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "a lighthouse"})
    first = await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    # A tone the draft does not have, so the revision changes something: the offline draft's
    # tones are drawn by the session's id, all "brooding" in about one session in 125.
    brooding = all(concept["tone"] == "brooding" for concept in first["concepts"])
    feedback = "lighter, please" if brooding else "darker, please"
    second = await revise(http, pool, settings, session_id, feedback)
    await confirm(http, session_id, "CONCEPT_SELECTION", choice=1)
    story = await ask(http, pool, settings, session_id, "STORY_CONCEPTION")
    await confirm(http, session_id, "STORY_CONCEPTION", data={"premise": "My own premise"})

    body = await history(http, session_id)
    assert body["session_id"] == str(session_id)
    assert [s["stage"] for s in body["stages"]] == [
        "CONCEPT_SELECTION",
        "STORY_CONCEPTION",
        "WORLDVIEW",
        "CHARACTERS",
        "PLOT_OUTLINE",
        "FINISHED",
    ]
    concept = versions(body, "CONCEPT_SELECTION")
    assert [v["kind"] for v in concept] == ["proposed", "revised", "confirmed"]
    assert concept[0]["content"] == first and concept[1]["content"] == second
    assert concept[0]["changes"] == []  # a first version
    assert concept[1]["feedback"] == feedback
    assert concept[1]["changes"] and all(
        c["path"].startswith("concepts[") for c in concept[1]["changes"]
    )
    assert concept[2]["confirmation"] == {"how": "choice", "choice": 1, "edited": []}
    assert concept[2]["content"] == second["concepts"][1]
    assert concept[2]["provenance"] is None

    provenance = concept[0]["provenance"]
    assert provenance["provider"] == "offline" and provenance["model"] == "offline-generator"
    assert provenance["prompt_version"] and provenance["attempts"] == 1
    assert provenance["tokens_in"] is None and provenance["tokens_out"] is None
    events = await pool.fetch(
        "SELECT event_id, event_type FROM domain_events WHERE aggregate_id = $1 "
        "ORDER BY aggregate_version",
        str(session_id),
    )
    ids = {row["event_type"]: str(row["event_id"]) for row in events}  # the last of each type
    created = ids["Genesis.Session.Created"]
    assert provenance["inputs"][0] == created  # the idea the writer gave
    assert concept[1]["provenance"]["inputs"][-1] == ids["Genesis.Session.FeedbackSubmitted"]

    story_versions = versions(body, "STORY_CONCEPTION")
    assert [v["kind"] for v in story_versions] == ["proposed", "edited"]
    concept_confirmed = concept[2]["event_id"]
    assert story_versions[0]["provenance"]["inputs"][0] == concept_confirmed
    edited = story_versions[1]
    assert edited["confirmation"]["how"] == "edited"
    assert edited["confirmation"]["edited"][0] == "premise"
    premise = next(c for c in edited["changes"] if c["path"] == "premise")
    assert premise == {"path": "premise", "before": story["premise"], "after": "My own premise"}
    assert versions(body, "WORLDVIEW") == [] and versions(body, "FINISHED") == []


async def test_another_writers_history_is_a_404(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    session_id = await new_session(http)
    async with stranger(live_server.url, settings) as other:
        response = await other.get(f"{BASE}/{session_id}/history")
        assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    missing = await http.get(f"{BASE}/{UUID(int=7)}/history")
    assert missing.status_code == 404
    assert (await http.get(f"{BASE}/not-a-uuid/history")).status_code == 422


async def test_a_history_past_its_limits_is_refused(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "x" * 500})
    await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    whole = await lineage(pool, session_id, HistoryLimits())
    assert len(whole) == 3
    with pytest.raises(HistoryTooLarge):
        await lineage(pool, session_id, HistoryLimits(max_events=2))
    with pytest.raises(HistoryTooLarge):
        await lineage(pool, session_id, HistoryLimits(max_bytes=400))


async def test_the_openapi_document_describes_history_and_branches(
    http: httpx.AsyncClient,
) -> None:
    document = (await http.get("/openapi.json")).json()
    paths = document["paths"]
    history_get = paths["/api/v1/genesis/sessions/{session_id}/history"]["get"]
    schema = history_get["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/HistoryOut")
    branch_post = paths["/api/v1/genesis/sessions/{session_id}/branches"]["post"]
    created = branch_post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/BranchCreated")
    assert "422" in branch_post["responses"] and "404" in branch_post["responses"]
    version = document["components"]["schemas"]["VersionOut"]["properties"]["kind"]
    assert set(version["enum"]) == {
        "proposed",
        "revised",
        "confirmed",
        "edited",
        "rolled_back",
        "branched",
    }
