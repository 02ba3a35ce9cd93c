"""The writer's codex through the real API and PostgreSQL (issue 76): read from the idea with
the first proposal and shown in the state; `EditCodex` renames a person in every confirmed
stage and the proposal and nothing else; bad edits are a 422 that changes nothing; confirmed
stages extend it; rollback, branch and the projection rebuild carry it; both languages."""

import json
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.codex import Codex
from infinite_scribe.domain.proposal_guard import Asked, check_stage
from infinite_scribe.settings.settings import Settings
from tests.support.agent import offline_answer
from tests.support.codex_ideas import IDEA, IDEA_ZH
from tests.support.genesis_client import command, new_session, state
from tests.support.history import (
    ask,
    branch,
    confirm,
    event_count,
    history,
    ok,
    revise,
    rollback,
    versions,
)


def _people(codex: dict[str, Any]) -> dict[str, str | None]:
    return {e["name"]: e["role"] for e in codex["entries"] if e["kind"] == "person"}


async def _edit(http: httpx.AsyncClient, sid: UUID, *edits: dict[str, Any]) -> httpx.Response:
    return await command(http, sid, "EditCodex", {"edits": list(edits)})


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def test_the_codex_is_read_once_shown_and_a_rename_is_made_everywhere(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, scribe: Any
) -> None:
    sid = await new_session(http, initial_user_input={"idea": IDEA})
    assert (await state(http, sid))["codex"] is None  # read with the first proposal
    await ask(http, pool, settings, sid, "CONCEPT_SELECTION")
    first = (await state(http, sid))["codex"]
    assert first["language"] == "en"
    assert _people(first) == {"Isobel Reid": "hero", "Mr Dunbar": "rival"}
    places = {e["name"]: e["role"] for e in first["entries"] if e["kind"] == "place"}
    assert places == {"Edinburgh": None, "Glasgow": "origin"}
    assert all(e["source"] == "idea" for e in first["entries"])

    for stage in ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS"):
        if stage != "CONCEPT_SELECTION":
            await ask(http, pool, settings, sid, stage)
        await confirm(http, sid, stage)
    await ask(http, pool, settings, sid, "PLOT_OUTLINE")
    before = await state(http, sid)
    assert before["codex"]["entries"][: len(first["entries"])] == first["entries"]  # read once
    staged = [e for e in before["codex"]["entries"] if e["source"] == "stage"]
    confirms = {
        str(r["event_id"]): r["payload"]["stage"]
        for r in await pool.fetch(
            "SELECT event_id, payload FROM domain_events WHERE aggregate_id = $1 "
            "AND event_type = 'Genesis.Session.StageConfirmed'",
            str(sid),
        )
    }
    assert staged and {confirms[e["event_id"]] for e in staged} <= {"WORLDVIEW", "CHARACTERS"}
    assert "Isobel Reid" in _text(before["confirmed_data"]) + _text(before["last_result"])

    reply = ok(await _edit(http, sid, {"op": "rename", "name": "Isobel Reid", "to": "Effie Reid"}))
    assert reply["status"] == "COMPLETED"
    after = await state(http, sid)
    for key in ("confirmed_data", "last_result"):
        assert "Isobel Reid" not in _text(after[key])
        assert _text(after[key]) == _text(before[key]).replace("Isobel Reid", "Effie Reid")
    assert _people(after["codex"])["Effie Reid"] == "hero"
    assert after["version"] == before["version"] + 1

    ok(await _edit(http, sid, {"op": "set_role", "name": "Mr Dunbar", "role": "mentor"}))
    roles = await state(http, sid)
    assert _people(roles["codex"])["Mr Dunbar"] == "mentor"
    assert roles["confirmed_data"] == after["confirmed_data"]
    assert roles["last_result"] == after["last_result"]

    checked = await scribe("projections", "rebuild", "--session", str(sid), "--check")
    assert checked.exit_code == 0, checked.output

    # Back to the first concept proposal: the codex as it was then; a branch the same.
    target = versions(await history(http, sid), "CONCEPT_SELECTION")[0]["event_id"]
    made = ok(await branch(http, sid, target), 201)
    ok(await rollback(http, sid, target))
    back = await state(http, sid)
    assert back["codex"] == first
    child = await state(http, UUID(made["session_id"]))
    assert child["codex"] == first
    checked = await scribe("projections", "rebuild", "--session", str(sid), "--check")
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("edits", "code"),
    [
        ([{"op": "rename", "name": "Nobody", "to": "X"}], "INVALID_EDIT"),
        ([{"op": "rename", "name": "沈清秋", "to": "白三爷"}], "INVALID_EDIT"),
        ([{"op": "explode", "name": "沈清秋"}], "VALIDATION_ERROR"),
        ([{"op": "add", "kind": "person", "name": "x" * 101}], "VALIDATION_ERROR"),
        ([{"op": "remove", "name": "沈清秋"}] * 21, "VALIDATION_ERROR"),
        ([], "VALIDATION_ERROR"),
    ],
)
async def test_bad_edits_are_a_422_that_changes_nothing_in_chinese_too(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    edits: list[dict[str, Any]],
    code: str,
) -> None:
    sid = await new_session(http, initial_user_input={"idea": IDEA_ZH})
    await ask(http, pool, settings, sid, "CONCEPT_SELECTION")
    before = await state(http, sid)
    assert before["codex"]["language"] == "zh"
    assert _people(before["codex"]) == {"沈清秋": "hero", "白三爷": "rival"}
    deadline = [e["name"] for e in before["codex"]["entries"] if e["role"] == "deadline"]
    assert deadline == ["中秋节"]
    count = await event_count(pool, sid)
    reply = await _edit(http, sid, *edits)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error_code"] == code
    assert await state(http, sid) == before
    assert await event_count(pool, sid) == count


async def test_a_chinese_rename_and_the_refusals_while_generating(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    sid = await new_session(http, initial_user_input={"idea": IDEA_ZH})
    early = await _edit(http, sid, {"op": "remove", "name": "沈清秋"})
    assert early.status_code == 409, early.text  # no codex before the first proposal
    await ask(http, pool, settings, sid, "CONCEPT_SELECTION")
    before = await state(http, sid)
    ok(await _edit(http, sid, {"op": "rename", "name": "白三爷", "to": "顾远山"}))
    after = await state(http, sid)
    assert "白三爷" not in _text(after["last_result"])
    assert _text(after["last_result"]) == _text(before["last_result"]).replace("白三爷", "顾远山")
    assert _people(after["codex"]) == {"沈清秋": "hero", "顾远山": "rival"}
    ok(await command(http, sid, "SubmitFeedback", {"feedback": "更紧张一些"}), 202)
    busy = await _edit(http, sid, {"op": "remove", "name": "沈清秋"})
    assert busy.status_code == 409, busy.text


@pytest.mark.parametrize(
    ("idea", "feedback", "person", "words"),
    [
        (IDEA, "Add a lighthouse inspector named Tom Baxter who suspects Isobel.", "Tom Baxter",
         "lighthouse inspector"),
        (IDEA_ZH, "加一个叫陆小川的助手。", "陆小川", "助手"),
    ],
)  # fmt: skip
async def test_a_feedback_naming_a_new_person_adds_them_and_the_cast_holds_them(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    idea: str,
    feedback: str,
    person: str,
    words: str,
) -> None:
    sid = await new_session(http, initial_user_input={"idea": idea})
    await ask(http, pool, settings, sid, "CONCEPT_SELECTION")
    read = (await state(http, sid))["codex"]
    await revise(http, pool, settings, sid, "Make Isobel a pawnbroker's apprentice.")
    assert (await state(http, sid))["codex"] == read  # unsure: nothing added
    await revise(http, pool, settings, sid, feedback)
    codex = (await state(http, sid))["codex"]
    assert codex["entries"][: len(read["entries"])] == read["entries"]
    added = codex["entries"][len(read["entries"]) :]
    feedback_ids = [
        str(row["event_id"])
        for row in await pool.fetch(
            "SELECT event_id FROM domain_events WHERE aggregate_id = $1 "
            "AND event_type = 'Genesis.Session.FeedbackSubmitted' ORDER BY id",
            str(sid),
        )
    ]
    assert [(e["name"], e["source"], e["event_id"], e["words"]) for e in added] == [
        (person, "feedback", feedback_ids[-1], [words])  # what the feedback described
    ]
    for stage in ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS"):
        if stage != "CONCEPT_SELECTION":
            proposal = await ask(http, pool, settings, sid, stage)
            # What the worker's guard reads: the offline writer keeps the new person too.
            asked = Asked(language=codex["language"])
            assert check_stage(stage, proposal, Codex.from_json(codex), asked) == [], stage
        await confirm(http, sid, stage)
    cast = (await state(http, sid))["confirmed_data"]["CHARACTERS"]
    card = next(card for card in cast["characters"] if card["name"] == person)
    assert words in card["description"], card


async def test_the_openapi_document_describes_the_codex_and_its_command(
    http: httpx.AsyncClient,
) -> None:
    document = ok(await http.get("/openapi.json"))
    schemas = document["components"]["schemas"]
    state_schema = schemas["SessionStateOut"]["properties"]["codex"]
    assert "CodexOut" in json.dumps(state_schema)
    assert {"kind", "name", "role", "words", "source", "event_id"} <= set(
        schemas["CodexEntryOut"]["properties"]
    )
    assert "EditCodexCommand" in schemas
    assert "edit_codex" in json.dumps(document)


async def test_a_blank_ideas_codex_is_in_the_writers_language(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    """The language the generators and the guard read (the writer's themes here), not the
    blank idea's script ("en" before)."""
    sid = await new_session(http, initial_user_input={})
    payload = {"theme_preferences": ["复仇", "悬疑"]}
    reply = ok(await command(http, sid, "RequestConceptGeneration", payload), 202)
    await offline_answer(pool, settings.kafka_topic, UUID(reply["command_id"]))
    codex = (await state(http, sid))["codex"]
    assert codex["language"] == "zh" and codex["entries"] == []
