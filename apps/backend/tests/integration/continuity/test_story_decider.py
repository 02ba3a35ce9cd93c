"""The story memory as a Decider (issue 70) and rebuilds that agree (issue 71, P4 and P5): the
live projection stores what the one `evolve` computes, so `scribe projections rebuild --all
--check` finds nothing to say after double waivers and purges; a second waiver is refused from
the novel's own events before the consumer has projected the first; a purged novel's stream
is a tombstone the fold expects, and a novel whose events cannot be folded is a line of the
report while the others are still checked."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from infinite_scribe.domain.chapters import FINDING_WAIVED
from infinite_scribe.domain.story_memory import AGGREGATE_TYPE, CHAPTER_CHECKED
from shared_types import EventEnvelope, EventMetadata
from tests.support.chapter_api import error_code, novel_command
from tests.support.continuity import confirm, continuity_work, findings, finished, novel_event
from tests.support.events import append_events

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
WALKS = 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'
BLONDE = "Mara's blonde hair was wet with the rain."


async def _waiver_event(pool: asyncpg.Pool, finding_id: str) -> EventEnvelope:
    row = await pool.fetchrow(
        "SELECT event_id, event_type, aggregate_type, aggregate_id, aggregate_version, payload, "
        "metadata, correlation_id, causation_id FROM domain_events "
        "WHERE event_type = $1 AND payload ->> 'finding_id' = $2",
        FINDING_WAIVED,
        finding_id,
    )
    return EventEnvelope(**dict(row))


async def test_a_second_waiver_is_refused_from_the_events_and_the_rebuild_agrees(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    for chapter, text in enumerate((DIES, WALKS, BLONDE), start=1):
        await confirm(clean_db, work, novel, chapter, text)
    found = {f["kind"]: f for f in await findings(http, novel_id, status="open")}
    dead, hair = found.pop("dead_character_acts"), found.pop("trait_changed")
    assert not found

    # A waiver without a reason, then at once another: the projection still says "open" (the
    # consumer has not run), the novel's own events say "waived": refused.
    first = await novel_command(http, novel_id, "WaiveFinding", {"finding_id": dead["id"]})
    assert first.status_code == 200, first.text
    again = await novel_command(http, novel_id, "WaiveFinding", {"finding_id": dead["id"]})
    assert (again.status_code, error_code(again)) == (409, "INVALID_STATE")
    assert await work.handle(await _waiver_event(clean_db, dead["id"]))
    # Eight waivers of one finding sent at once: one is written, the others refused.
    at_once = await asyncio.gather(
        *(
            novel_command(http, novel_id, "WaiveFinding", {"finding_id": hair["id"], "reason": "x"})
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in at_once) == [200] + [409] * 7, [r.text for r in at_once]
    hair_waivers = await clean_db.fetchval(
        "SELECT count(*) FROM domain_events "
        "WHERE event_type = $1 AND payload ->> 'finding_id' = $2",
        FINDING_WAIVED,
        hair["id"],
    )
    assert hair_waivers == 1

    # Two more waivers of it in the log (as a race before this fix could leave them): the
    # first reason stays, live and in the fold alike.
    assert await work.handle(await _waiver_event(clean_db, hair["id"]))
    for reason in ("dyed for the funeral", "a later reason"):
        waiver = novel_event(*novel, FINDING_WAIVED, {"finding_id": hair["id"], "reason": reason})
        await append_events(clean_db, [waiver], wake=False)
        assert await work.handle(waiver)
    shown = {f["kind"]: (f["status"], f["reason"]) for f in await findings(http, novel_id)}
    assert shown == {
        "dead_character_acts": ("waived", None),
        "trait_changed": ("waived", "x"),
    }
    checked = await scribe("projections", "rebuild", "--all", "--check")
    assert checked.exit_code == 0, checked.output
    assert "checked 1 novel(s); 0 differ" in checked.output


async def test_a_rebuild_after_a_purge_checks_every_novel_and_reports_the_unfoldable(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    from tests.support.genesis_client import new_session, state
    from tests.support.trash import confirm_all, ok, purge, trash

    session_id = await new_session(http)
    await confirm_all(http, session_id)
    purged = uuid.UUID((await state(http, session_id))["novel_id"])
    work = continuity_work(clean_db)
    await confirm(clean_db, work, (purged, user_id), 1, DIES)
    await clean_db.execute(
        "UPDATE novels SET stream_version = (SELECT max(aggregate_version) FROM domain_events "
        "WHERE aggregate_type = 'NOVEL' AND aggregate_id = $1::text) WHERE id = $1",
        purged,
    )
    ok(await trash(http, session_id))
    ok(await purge(http, session_id))
    kept = await finished(http)
    await confirm(clean_db, work, (kept, user_id), 1, DIES)
    await confirm(clean_db, work, (kept, user_id), 2, WALKS)

    for args in (("--all", "--check"), ("--novel", str(purged), "--check"), ("--all",)):
        run = await scribe("projections", "rebuild", *args)
        assert run.exit_code == 0, (args, run.output)
        assert "Traceback" not in run.output
    assert (
        "checked 2 novel(s); 0 differ"
        in (await scribe("projections", "rebuild", "--all", "--check")).output
    )

    # A stream no fold can read (a check of chapter "one"): a line, and the loop goes on.
    broken = await finished(http)
    await confirm(clean_db, work, (broken, user_id), 1, WALKS)
    bad = EventEnvelope(
        event_type=CHAPTER_CHECKED,
        aggregate_type=AGGREGATE_TYPE,
        aggregate_id=str(broken),
        aggregate_version=3,
        payload={"chapter": "one", "source_event_id": str(uuid.uuid4()), "read": {}},
        metadata=EventMetadata(user_id=str(user_id), source_service="test"),
    )
    await append_events(clean_db, [bad], wake=False)
    run = await scribe("projections", "rebuild", "--all", "--check")
    assert run.exit_code == 1, run.output
    assert f"novel {broken}: not folded: ValueError" in run.output
    assert "checked 3 novel(s); 0 differ" in run.output


async def test_a_memory_a_writer_reads_bible_evidence_a_rename_and_an_archived_book(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    from tests.support.continuity import memory

    novel_id = await finished(http)
    work = continuity_work(clean_db)
    await confirm(clean_db, work, (novel_id, user_id), 1, DIES)
    shown = await memory(http, novel_id)
    bible = {c["name"]: c["evidence"] for c in shown["characters"]}
    # The bible's facts point at the event that confirmed it: its Genesis's `Finished`.
    finished_ids = await clean_db.fetch(
        "SELECT e.event_id::text FROM domain_events e JOIN genesis_sessions s "
        "ON e.aggregate_id = s.id::text WHERE s.novel_id = $1 "
        "AND e.event_type = 'Genesis.Session.Finished'",
        novel_id,
    )
    [source] = [row[0] for row in finished_ids]
    assert {"chapter": 0, "event_id": source, "quote": "An old doctor."} in bible["Ilya Brandt"]
    assert all(bible.values()) and shown["archived"] is False

    # The writer renames the doctor (as a Genesis finished anew does: the novel row's bible
    # and version move); the next check follows it, the old name an alias.
    await clean_db.execute(
        "UPDATE novels SET characters = jsonb_set(characters, '{characters,1,name}', "
        "'\"Ilya Varga\"'), version = version + 1 WHERE id = $1",
        novel_id,
    )
    await confirm(clean_db, work, (novel_id, user_id), 2, '"Go," said Ilya Varga.')
    shown = await memory(http, novel_id)
    ilya = next(c for c in shown["characters"] if c["name"] == "Ilya Varga")
    assert "Ilya Brandt" in ilya["aliases"] and ilya["status"] == "dead"
    assert ilya["chapters"] == [[1, 2]]
    [dead] = await findings(http, novel_id)
    assert dead["kind"] == "dead_character_acts"

    await clean_db.execute("UPDATE novels SET archived_at = now() WHERE id = $1", novel_id)
    assert (await memory(http, novel_id))["archived"] is True
    checked = await scribe("projections", "rebuild", "--novel", str(novel_id), "--check")
    assert checked.exit_code == 0, checked.output


PASSAGE = "The lamps along the harbour wall guttered one by one as the tide came in."


async def test_the_check_writes_its_move_in_one_statement_races_and_edits_included(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID, scribe: Any
) -> None:
    from infinite_scribe.domain import passages
    from infinite_scribe.domain.chapters import CONFIRMED

    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    texts = {1: f"Night. {PASSAGE}", 2: "Mara waited.", 3: "Rain all day at Port Sable."}
    events = [
        novel_event(*novel, CONFIRMED, {"chapter": n, "text": t, "edited": False})
        for n, t in texts.items()
    ]
    await append_events(clean_db, events, wake=False)
    # Three checks of one novel at once: the version check refuses the losers, they run again.
    assert await asyncio.gather(*(work.handle(e) for e in events)) == [True, True, True]
    assert (
        await clean_db.fetchval("SELECT version FROM story_memory WHERE novel_id = $1", novel_id)
        == 4
    )
    # Chapter 1 edited: its fingerprints are its new text's (the passage's are gone).
    edited = "Night, and nothing else said of the harbour that night at all, not a word more."
    await confirm(clean_db, work, novel, 1, edited)
    stored = await clean_db.fetch(
        "SELECT mark FROM story_marks WHERE novel_id = $1 AND chapter = 1", novel_id
    )
    assert sorted(r["mark"] for r in stored) == sorted({m for m, _ in passages.marks(edited)})
    await confirm(clean_db, work, novel, 4, f"Later. {PASSAGE}")
    assert [f for f in await findings(http, novel_id) if f["kind"] == "repetition"] == []
    checked = await scribe("projections", "rebuild", "--novel", str(novel_id), "--check")
    assert checked.exit_code == 0, checked.output
