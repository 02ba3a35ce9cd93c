"""The continuity check on PostgreSQL (issue 48): each kind of finding with its evidence, a
finding settled by an edit or a rollback, and the memory the API shows."""

import uuid

import asyncpg
import httpx

from tests.support.continuity import confirm, continuity_work, finished, findings, memory, roll_back

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
