"""The console's history page over real HTTP (issue 37): versions with content, a side-by-side
diff and provenance in the writer's language; rolling back and branching from the page."""

import re
from uuid import UUID

import asyncpg
import httpx

from infinite_scribe.api.field_names import path_label
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.console import action, signed_in
from tests.support.genesis_client import new_session, state
from tests.support.history import ask, history, revise, versions, walk


async def test_the_history_page_rolls_back_and_branches(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    live_server: LiveServer,
    user_id: UUID,
) -> None:
    session_id = await new_session(http, initial_user_input={"idea": "bells"})
    drafted = await ask(http, pool, settings, session_id, "CONCEPT_SELECTION")
    # A revision changes only what it asks (issue 69): a tone the draft does not have, so the
    # page has a diff. The offline draft's tones are drawn by the session's id: about one session
    # in 125 draws "brooding" for every concept, and "darker" would then change nothing.
    brooding = all(concept["tone"] == "brooding" for concept in drafted["concepts"])
    tone = "lighter" if brooding else "darker"
    await revise(http, pool, settings, session_id, f"more bells, and {tone}")
    await walk(http, pool, settings, session_id, 0)
    body = await history(http, session_id)
    first, revised = versions(body, "CONCEPT_SELECTION")
    page_url = f"/console/sessions/{session_id}/history"
    async with signed_in(live_server.url, settings, user_id) as console:
        page = await console.get(page_url)
        assert page.status_code == 200 and "script-src" in page.headers["content-security-policy"]
        html = page.text
        assert f'data-event-id="{first["event_id"]}"' in html and 'data-kind="revised"' in html
        assert "offline-generator" in html and "more bells" in html
        assert '<table class="diff">' in html
        # The changed field as the writer reads it ("concepts[0].tone": "Concepts 1, Tone").
        assert path_label(revised["changes"][0]["path"]) in html
        chinese = await console.get(page_url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert "回滚到这个版本" in chinese.text and "从这里创建分支" in chinese.text

        version = (await state(http, session_id))["version"]
        rolled = await console.post(
            f"/console/sessions/{session_id}/rollback",
            data={
                "action_id": action(),
                "event_id": first["event_id"],
                "expected_version": str(version),
            },
        )
        assert rolled.status_code == 303, rolled.text
        now = await state(http, session_id)
        assert now["version"] == version + 1
        assert now["last_result"]["concepts"] == first["content"]["concepts"]
        stale = await console.post(
            f"/console/sessions/{session_id}/rollback",
            data={"action_id": action(), "event_id": first["event_id"], "expected_version": "1"},
        )
        assert stale.status_code == 409  # the page was older than the session

        branched = await console.post(
            f"/console/sessions/{session_id}/branch",
            data={"action_id": action(), "event_id": revised["event_id"], "title": "Bells II"},
        )
        assert branched.status_code == 303, branched.text
        branch_id = UUID(re.sub(r".*/sessions/", "", branched.headers["location"]))
        child = await state(http, branch_id)
        assert child["branched_from"]["session_id"] == str(session_id)
        session_page = await console.get(f"/console/sessions/{branch_id}")
        assert f'href="/console/sessions/{session_id}"' in session_page.text  # to its origin
        assert "Bells II" in session_page.text
        origin_history = await console.get(page_url)
        assert f'data-branch-link="{branch_id}"' in origin_history.text  # and back
        listed = await console.get("/console/sessions")
        assert f'data-branch-of="{session_id}"' in listed.text  # the list shows the origin
        bad = await console.post(
            f"/console/sessions/{session_id}/branch",
            data={"action_id": action(), "event_id": "not-an-id"},
        )
        assert bad.status_code == 422
