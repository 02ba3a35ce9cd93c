# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The memory keeps what was established, in the writer's words (issue 78), on PostgreSQL and
through the API: "金色的短发" said against the bible's 乌黑 is a finding and the memory page
still shows 乌黑; once the writer waives the finding the page shows 金, and a rebuild agrees."""

import copy
import uuid
from typing import Any

import asyncpg
import httpx

from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.story_memory import AGGREGATE_TYPE as MEMORY
from shared_types import EventEnvelope
from tests.integration.test_novels import BIBLE
from tests.support.chapter_api import novel_command
from tests.support.continuity import confirm, continuity_work, findings, finished, memory


async def _waiver(pool: asyncpg.Pool, finding_id: str) -> EventEnvelope:
    row = await pool.fetchrow(
        "SELECT event_id, event_type, aggregate_type, aggregate_id, aggregate_version, payload, "
        "metadata, correlation_id, causation_id FROM domain_events "
        "WHERE event_type = $1 AND payload ->> 'finding_id' = $2",
        FINDING_WAIVED,
        finding_id,
    )
    return EventEnvelope(**dict(row))


async def test_a_contradicting_hair_colour_waits_for_the_writers_waiver(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    bible = copy.deepcopy(BIBLE)
    bible["CHARACTERS"]["characters"][0]["description"] = "林舟有一头乌黑的短发。"
    novel_id = await finished(http, bible)
    work = continuity_work(clean_db)
    await confirm(clean_db, work, (novel_id, user_id), 1, "林舟甩了甩金色的短发，走进雨里。")
    [hair] = await findings(http, novel_id)
    assert (hair["kind"], hair["was"], hair["value"]) == ("trait_changed", "black", "blond")
    [lin] = (await memory(http, novel_id))["characters"]
    assert lin["traits"] == {"hair": "乌黑"}

    reply = await novel_command(http, novel_id, "WaiveFinding", {"finding_id": hair["id"]})
    assert reply.status_code == 200, reply.text
    assert await work.handle(await _waiver(clean_db, hair["id"]))
    [lin] = (await memory(http, novel_id))["characters"]
    assert lin["traits"] == {"hair": "金"}
    assert (
        await clean_db.fetchval(
            "SELECT count(*) FROM domain_events WHERE aggregate_type = $1", MEMORY
        )
        == 2
    )  # the waiver is the novel's event: the memory stream did not grow
    checked = await scribe("projections", "rebuild", "--all", "--check")
    assert checked.exit_code == 0, checked.output
    assert "0 differ" in checked.output
