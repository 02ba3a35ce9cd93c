"""`scribe projections rebuild --novel` (issue 48): the story memory and the findings rebuilt
from the memory stream and the waivers alone equal what the live consumer projected (kinds,
statuses, an edit's resolution, a waiver); a corrupted projection is found by --check (exit
1), repaired by a rebuild, and the repaired projection still finds repeated passages."""

import uuid
from typing import Any

import asyncpg
import httpx

from infinite_scribe.domain.chapters import FINDING_WAIVED
from tests.support.continuity import (
    confirm,
    continuity_work,
    findings,
    finished,
    memory,
    novel_event,
)
from tests.support.events import append_events

PASSAGE = "The lamps along the harbour wall guttered one by one as the tide came in."


async def test_the_story_projection_is_rebuilt_from_its_events_alone(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, f"Ilya was killed in the storm. {PASSAGE}")
    await confirm(clean_db, work, novel, 2, '"Go," said Ilya.')
    await confirm(clean_db, work, novel, 3, "Mara's red hair was wet.")
    await confirm(clean_db, work, novel, 4, "Mara's blonde hair was wet.")
    await confirm(clean_db, work, novel, 4, "Mara's red hair was dry.")  # the edit resolves it
    [dead] = await findings(http, novel_id, status="open")
    waiver = novel_event(*novel, FINDING_WAIVED, {"finding_id": dead["id"], "reason": "a ghost"})
    await append_events(clean_db, [waiver], wake=False)
    assert await work.handle(waiver)
    live_memory, live_findings = await memory(http, novel_id), await findings(http, novel_id)
    assert sorted(f["status"] for f in live_findings) == ["resolved", "waived"]

    checked = await scribe("projections", "rebuild", "--novel", str(novel_id), "--check")
    assert checked.exit_code == 0, checked.output
    assert "checked 1 novel(s); 0 differ" in checked.output

    await clean_db.execute(
        "UPDATE story_memory SET memory = '{}'::jsonb WHERE novel_id = $1", novel_id
    )
    await clean_db.execute(
        "UPDATE story_findings SET status = 'open' WHERE novel_id = $1", novel_id
    )
    await clean_db.execute("DELETE FROM story_chapters WHERE novel_id = $1", novel_id)
    broken = await scribe("projections", "rebuild", "--novel", str(novel_id), "--check")
    assert broken.exit_code == 1 and "memory" in broken.output, broken.output

    rebuilt = await scribe("projections", "rebuild", "--all")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "checked 1 novel(s); 1 rewritten" in rebuilt.output
    assert await memory(http, novel_id) == live_memory
    assert await findings(http, novel_id) == live_findings
    # The fingerprints came back too: a later chapter repeating chapter 1 is found.
    await confirm(clean_db, work, novel, 5, f"Once more: {PASSAGE}")
    [repeated] = await findings(http, novel_id, status="open")
    assert (repeated["kind"], repeated["evidence"][0]["chapter"]) == ("repetition", 1)


async def test_rebuild_needs_a_target(scribe: Any) -> None:
    refused = await scribe("projections", "rebuild")
    assert refused.exit_code != 0
    assert "--novel" in refused.output
