"""The console shows the story memory beside the chapters and each chapter's open findings
with their evidence, in the writer's language, and waives one (issue 48)."""

import uuid

import asyncpg
import httpx

from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.settings.settings import Settings
from shared_types import EventEnvelope
from tests.conftest import LiveServer
from tests.support.console import action, signed_in
from tests.support.continuity import confirm, continuity_work, findings, finished

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def test_the_chapters_page_shows_the_memory_and_a_finding_with_its_evidence(
    http: httpx.AsyncClient,
    clean_db: asyncpg.Pool,
    user_id: uuid.UUID,
    live_server: LiveServer,
    settings: Settings,
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, "Ilya was killed in the storm at Port Sable.")
    await confirm(clean_db, work, novel, 2, '"Go," said Ilya, and he opened the door.')
    [found] = await findings(http, novel_id)
    base = f"/console/novels/{novel_id}"
    async with signed_in(live_server.url, settings, user_id) as console:
        page = await console.get(f"{base}/chapters")
        assert page.status_code == 200
        assert f'data-finding="{found["id"]}"' in page.text and "A dead character acts" in page.text
        assert "Contradicts chapter 1" in page.text
        assert "Ilya was killed in the storm at Port Sable." in page.text
        assert 'data-character="Ilya Brandt" data-character-status="dead"' in page.text
        chinese = await console.get(f"{base}/chapters/panel", headers=ZH)
        assert "已死的角色又出场行动" in chinese.text and "与第1章矛盾" in chinese.text
        assert "故事记忆" in chinese.text and "已死" in chinese.text
        waived = await console.post(
            f"{base}/findings/waive",
            data={"action_id": action(), "finding_id": found["id"], "reason": "a ghost"},
        )
        assert waived.status_code == 303
        event = await clean_db.fetchrow(
            "SELECT event_id FROM domain_events WHERE event_type = $1 AND aggregate_id = $2",
            FINDING_WAIVED,
            str(novel_id),
        )
        assert event is not None
        stored = await _envelope(clean_db, event["event_id"])
        assert await work.handle(stored)
        after = await console.get(f"{base}/chapters/panel")
        assert f'data-finding="{found["id"]}"' not in after.text
        bad = await console.post(
            f"{base}/findings/waive", data={"action_id": action(), "finding_id": "nope"}
        )
        assert bad.status_code in (400, 422), bad.text
    [settled] = await findings(http, novel_id)
    assert (settled["status"], settled["reason"]) == ("waived", "a ghost")


async def _envelope(pool: asyncpg.Pool, event_id: uuid.UUID) -> EventEnvelope:
    row = await pool.fetchrow(
        "SELECT event_id, event_type, aggregate_type, aggregate_id, aggregate_version, payload, "
        "metadata, correlation_id, causation_id FROM domain_events WHERE event_id = $1",
        event_id,
    )
    return EventEnvelope(**dict(row))


REPEATED = "The lamps along the harbour wall guttered one by one as the tide came in."


async def test_repetitions_are_one_group_per_passage_waived_at_once(
    http: httpx.AsyncClient,
    clean_db: asyncpg.Pool,
    user_id: uuid.UUID,
    live_server: LiveServer,
    settings: Settings,
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, f"Ilya was killed in the storm. {REPEATED}")
    await confirm(clean_db, work, novel, 2, f"Night again. {REPEATED}")
    await confirm(clean_db, work, novel, 3, f"{REPEATED} Then morning. {REPEATED}")
    await confirm(clean_db, work, novel, 4, '"Go," said Ilya.')
    found = await findings(http, novel_id)
    # Ranked: the dead man acting first, the repetitions (one per chapter pair) after it.
    assert [f["kind"] for f in found] == ["dead_character_acts", "repetition", "repetition"]
    repeats = [f["id"] for f in found[1:]]
    base = f"/console/novels/{novel_id}"
    async with signed_in(live_server.url, settings, user_id) as console:
        page = await console.get(f"{base}/chapters")
        assert page.text.count("data-repeat-group=") == 1 and "All 2 are intended" in page.text
        assert "In chapter(s) 2, 3, repeating chapter(s) 1" in page.text
        form = {"action_id": action(), "finding_id": repeats, "reason": "a refrain"}
        for _ in range(2):  # a double submit sends each waiver once
            waived = await console.post(f"{base}/findings/waive-group", data=form)
            assert waived.status_code == 303
        # Again with a new form: both are waived already, nothing more is written.
        again = {"action_id": action(), "finding_id": repeats}
        assert (await console.post(f"{base}/findings/waive-group", data=again)).status_code == 303
        empty = await console.post(
            f"{base}/findings/waive-group", data={"action_id": action(), "finding_id": []}
        )
        assert empty.status_code in (400, 422)
    stored = await clean_db.fetch(
        "SELECT payload FROM domain_events WHERE event_type = $1 AND aggregate_id = $2",
        FINDING_WAIVED,
        str(novel_id),
    )
    assert sorted(r["payload"]["finding_id"] for r in stored) == sorted(repeats)
    assert {r["payload"]["reason"] for r in stored} == {"a refrain"}
