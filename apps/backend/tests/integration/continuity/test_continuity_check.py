# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The continuity check on PostgreSQL (issue 48): each kind of finding with its evidence, a
finding settled by an edit or a rollback, and the memory the API shows."""

import uuid

import asyncpg
import httpx

from tests.support.continuity import confirm, continuity_work, findings, finished, memory, roll_back

DIES = "The storm broke at midnight. Ilya was killed in the storm at Port Sable."
WALKS = 'Morning came grey over the water. "Go," said Ilya, and he opened the door.'


async def test_a_dead_character_who_acts_is_found_with_the_death_as_evidence(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    death = await confirm(clean_db, work, (novel_id, user_id), 1, DIES)
    walking = await confirm(clean_db, work, (novel_id, user_id), 2, WALKS)
    [found] = await findings(http, novel_id)
    assert (found["kind"], found["chapter"], found["status"]) == ("dead_character_acts", 2, "open")
    assert found["quote"] == '"Go," said Ilya, and he opened the door.'
    assert found["event_id"] == str(walking.event_id)
    assert found["evidence"] == [
        {
            "chapter": 1,
            "event_id": str(death.event_id),
            "quote": "Ilya was killed in the storm at Port Sable.",
        }
    ]
    ilya = next(
        c for c in (await memory(http, novel_id))["characters"] if c["name"] == "Ilya Brandt"
    )
    assert ilya["status"] == "dead" and ilya["aliases"] == ["Ilya"]
    assert ilya["chapters"] == [[1, 2]]
    assert ilya["evidence"][0]["quote"] == "Ilya was killed in the storm at Port Sable."


async def test_an_edit_that_removes_the_contradiction_resolves_the_finding(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, "Mara's red hair was soaked by the rain.")
    await confirm(clean_db, work, novel, 2, "Mara brushed her blonde hair out of her eyes.")
    [found] = await findings(http, novel_id)
    assert (found["kind"], found["attribute"], found["value"], found["was"]) == (
        "trait_changed", "hair", "blond", "red"
    )  # fmt: skip
    assert found["evidence"][0]["quote"] == "Mara's red hair was soaked by the rain."
    await confirm(clean_db, work, novel, 2, "Mara brushed her red hair out of her eyes.")
    [settled] = await findings(http, novel_id)
    assert (settled["id"], settled["status"]) == (found["id"], "resolved")
    assert await findings(http, novel_id, status="open") == []


async def test_a_rollback_that_takes_the_evidence_back_resolves_the_finding(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, DIES)
    await confirm(clean_db, work, novel, 2, WALKS)
    assert [f["status"] for f in await findings(http, novel_id)] == ["open"]
    await roll_back(clean_db, work, novel, {"chapters": {}, "removed": ["1"]})
    assert [f["status"] for f in await findings(http, novel_id)] == ["resolved"]
    ilya = next(
        c for c in (await memory(http, novel_id))["characters"] if c["name"] == "Ilya Brandt"
    )
    assert ilya["status"] == "alive" and ilya["chapters"] == [[2, 2]]


REPEATED = "The lamps along the harbour wall guttered one by one as the tide came in."


async def test_a_passage_repeated_from_an_earlier_chapter_is_one_finding_per_chapter_pair(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    first = await confirm(clean_db, work, novel, 1, f"Night fell. {REPEATED} Mara waited.")
    await confirm(clean_db, work, novel, 2, "A different chapter, with nothing said twice in it.")
    await confirm(clean_db, work, novel, 3, f"Again:   {REPEATED}\nThen silence.")
    [found] = await findings(http, novel_id)
    assert (found["kind"], found["chapter"]) == ("repetition", 3)
    assert REPEATED in found["quote"] and len(found["quote"]) >= 50
    assert found["evidence"][0]["chapter"] == 1
    assert found["evidence"][0]["event_id"] == str(first.event_id)
    twice = "Nobody on the quay would say where the ferry had gone that night, nobody at all."
    await confirm(clean_db, work, novel, 4, f"{REPEATED} {twice} Later. {twice} {REPEATED}")
    fourth = [f for f in await findings(http, novel_id) if f["chapter"] == 4]
    # One finding per passage and chapter pair, its earliest chapter as the evidence (chapter
    # 1, not 3): REPEATED said twice is one finding; `twice`, said twice in chapter 4 alone,
    # is none (a chapter never repeats itself).
    [repeat] = fourth
    assert (repeat["evidence"][0]["chapter"], twice in repeat["quote"]) == (1, False)
    assert repeat["quote"] == REPEATED  # whole sentences, not cut mid-word


async def test_a_vow_not_kept_three_chapters_past_its_due_chapter_is_overdue_until_kept(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, "Mara vowed to find the lost compass of her father.")
    [thread] = (await memory(http, novel_id))["threads"]
    assert (thread["planted_chapter"], thread["due_chapter"]) == (1, 11)
    await confirm(clean_db, work, novel, 13, "Rain, and nothing else.")
    assert await findings(http, novel_id) == []
    await confirm(clean_db, work, novel, 14, "Rain again, and the harbour asleep.")
    [found] = await findings(http, novel_id)
    assert (found["kind"], found["chapter"], found["thread"]) == (
        "thread_overdue",
        14,
        thread["id"],
    )
    assert found["evidence"][0]["chapter"] == 1
    await confirm(clean_db, work, novel, 15, "At last Mara found the lost compass of her father.")
    [settled] = await findings(http, novel_id)
    assert settled["status"] == "resolved"
    [kept] = (await memory(http, novel_id))["threads"]
    assert kept["resolved_chapter"] == 15


async def test_a_redelivered_confirmation_is_checked_once(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    novel_id = await finished(http)
    work = continuity_work(clean_db)
    event = await confirm(clean_db, work, (novel_id, user_id), 1, DIES)
    assert not await work.handle(event)
    checks = await clean_db.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_type = 'STORY_MEMORY' "
        "AND aggregate_id = $1",
        str(novel_id),
    )
    assert checks == 2  # Seeded, then the one ChapterChecked
    assert (await memory(http, novel_id))["version"] == 2


async def test_a_chinese_novel_remembers_its_dead(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    from tests.integration.test_novels import BIBLE

    novel_id = await finished(http, BIBLE)
    work = continuity_work(clean_db)
    novel = (novel_id, user_id)
    await confirm(clean_db, work, novel, 1, "潮水退去。林舟在灯塔下断了气。")
    await confirm(clean_db, work, novel, 2, "天亮了。林舟推开灯塔的门，笑着说：“我回来了。”")
    [found] = await findings(http, novel_id)
    assert found["kind"] == "dead_character_acts"
    assert found["evidence"][0]["quote"] == "林舟在灯塔下断了气。"
    [lin] = (await memory(http, novel_id))["characters"]
    assert (lin["name"], lin["status"]) == ("林舟", "dead")
    assert (await memory(http, novel_id))["places"][0]["name"] == "灯塔"


async def test_a_purged_novel_keeps_no_quote_of_its_chapters_in_its_memory_stream(
    http: httpx.AsyncClient, clean_db: asyncpg.Pool, user_id: uuid.UUID
) -> None:
    from tests.support.genesis_client import new_session, state
    from tests.support.trash import confirm_all, ok, purge, trash

    session_id = await new_session(http)
    await confirm_all(http, session_id)
    novel_id = uuid.UUID((await state(http, session_id))["novel_id"])
    work = continuity_work(clean_db)
    await confirm(clean_db, work, (novel_id, user_id), 1, DIES)
    # The confirmation was appended past the novel's projection: catch the projection up, as
    # the command would have, so the purge's tombstone takes the next version.
    await clean_db.execute(
        "UPDATE novels SET stream_version = (SELECT max(aggregate_version) FROM domain_events "
        "WHERE aggregate_type = 'NOVEL' AND aggregate_id = $1::text) WHERE id = $1",
        novel_id,
    )
    ok(await trash(http, session_id))
    ok(await purge(http, session_id))
    rows = await clean_db.fetch(
        "SELECT event_type, payload FROM domain_events "
        "WHERE aggregate_type = 'STORY_MEMORY' AND aggregate_id = $1 ORDER BY aggregate_version",
        str(novel_id),
    )
    assert [r["event_type"] for r in rows] == [
        "Novel.Memory.Seeded",
        "Novel.Memory.ChapterChecked",
        "Novel.Memory.Purged",
    ]
    assert all("killed" not in str(r["payload"]) for r in rows)
    for table in ("story_memory", "story_findings", "story_chapters", "story_marks"):
        assert (
            await clean_db.fetchval(f"SELECT count(*) FROM {table} WHERE novel_id = $1", novel_id)
            == 0
        )
    late = await confirm_late(clean_db, work, (novel_id, user_id))
    assert late is False  # a check that arrives after the purge remembers nothing


async def confirm_late(
    pool: asyncpg.Pool, work: object, novel: tuple[uuid.UUID, uuid.UUID]
) -> bool:
    from infinite_scribe.domain.chapters import CONFIRMED
    from tests.support.continuity import novel_event

    event = novel_event(*novel, CONFIRMED, {"chapter": 2, "text": WALKS, "edited": False})
    return await work.handle(event)  # type: ignore[attr-defined, no-any-return]
