# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The writer's codex on the console's session page (issue 76), in both languages: shown with
the first proposal, each entry with its kind, role and where it came from."""

import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent import offline_answer
from tests.support.console import console, console_settings, signed_in, token

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings"]  # fixtures used below


@pytest.mark.parametrize(
    ("idea", "language", "shown"),
    [
        (
            "Isobel Reid, a pawnbroker's apprentice in Edinburgh, must find the ledger before "
            "Midsummer; her nemesis, Mr Dunbar, wants it too.",
            "en",
            ["What you named", "Isobel Reid", "hero", "Mr Dunbar", "rival", "from your idea"],
        ),
        (
            "民国二十三年的苏州，女法医沈清秋必须在中秋节前找到凶手，宿敌是上海来的古董商白三爷。",
            "zh-CN",
            ["你命名的", "沈清秋", "主角", "白三爷", "对手", "中秋节", "期限", "来自你的创意"],
        ),
    ],
)
async def test_the_session_page_shows_what_the_writer_named(
    console: LiveServer,
    console_settings: Settings,
    pool: asyncpg.Pool,
    idea: str,
    language: str,
    shown: list[str],
) -> None:
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        created = await api.post(
            "/api/v1/genesis/sessions", json={"initial_user_input": {"idea": idea}}
        )
        sid = created.json()["session_id"]
        async with signed_in(console.url, console_settings, user) as writer:
            before = (await writer.get(f"/console/sessions/{sid}")).text
            assert 'id="codex"' not in before  # read with the first proposal
        ask = {"command_type": "RequestConceptGeneration", "payload": {}}
        asked = await api.post(f"/api/v1/genesis/sessions/{sid}/commands", json=ask)
        assert asked.status_code == 202, asked.text
    await offline_answer(pool, console_settings.kafka_topic, uuid.UUID(asked.json()["command_id"]))
    async with signed_in(console.url, console_settings, user) as writer:
        page = (
            await writer.get(f"/console/sessions/{sid}", headers={"Accept-Language": language})
        ).text
    codex = page[page.index('id="codex"') : page.index("</details>", page.index('id="codex"'))]
    for text in shown:
        assert text in codex, text


async def test_the_writer_renames_from_the_session_page(
    console: LiveServer, console_settings: Settings, pool: asyncpg.Pool
) -> None:
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    idea = "Isobel Reid, a pawnbroker's apprentice in Edinburgh; her nemesis, Mr Dunbar."
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        created = await api.post(
            "/api/v1/genesis/sessions", json={"initial_user_input": {"idea": idea}}
        )
        sid = created.json()["session_id"]
        ask = {"command_type": "RequestConceptGeneration", "payload": {}}
        asked = await api.post(f"/api/v1/genesis/sessions/{sid}/commands", json=ask)
    await offline_answer(pool, console_settings.kafka_topic, uuid.UUID(asked.json()["command_id"]))
    async with signed_in(console.url, console_settings, user) as writer:
        page = (await writer.get(f"/console/sessions/{sid}")).text
        assert 'id="codex-edit"' in page
        form = {"action_id": str(uuid.uuid4()), "name": "Isobel Reid", "op": "rename"}
        done = await writer.post(f"/console/sessions/{sid}/codex", data=form | {"value": "Effie"})
        assert done.status_code == 303, done.text
        bad = await writer.post(f"/console/sessions/{sid}/codex", data=form | {"op": "explode"})
        assert bad.status_code == 422, bad.text
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        state = (await api.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
    assert "Isobel Reid" not in str(state["last_result"]) and "Effie" in str(state["last_result"])
    names = [entry["name"] for entry in state["codex"]["entries"]]
    assert "Effie" in names and "Isobel Reid" not in names


@pytest.mark.parametrize(
    ("idea", "feedback", "language", "offer", "words"),
    [
        (
            "Isobel Reid, a pawnbroker's apprentice in Edinburgh; her nemesis, Mr Dunbar.",
            "Make the rival Jonas Crane.",
            "en",
            {"op": "rename", "name": "Mr Dunbar", "to": "Jonas Crane"},
            "Your feedback asks to rename",
        ),
        (
            "民国二十三年的苏州，女法医沈清秋必须在中秋节前找到凶手，宿敌是上海来的古董商白三爷。",
            "把宿敌改成周老板。",
            "zh-CN",
            {"op": "rename", "name": "白三爷", "to": "周老板"},
            "你的反馈要把",
        ),
        (  # an idea with no rival: the codex has none, the person is offered as it
            "Maren Solberg, a ferry pilot on the Hardanger fjord, must bring a stolen church bell "
            "home before the midsummer fair.",
            "Make the rival Per Lunde.",
            "en",
            {"op": "add", "kind": "person", "name": "Per Lunde", "role": "rival"},
            "Your feedback names",
        ),
    ],
)
async def test_a_codex_edit_the_feedback_asks_is_offered_and_made_when_confirmed(
    console: LiveServer,
    console_settings: Settings,
    pool: asyncpg.Pool,
    idea: str,
    feedback: str,
    language: str,
    offer: dict[str, str],
    words: str,
) -> None:
    """Issue 76: a free-text change of who the rival is, of a person the writer named or in a
    role they gave, is not made by the reader; the draft keeps the codex's names, and the
    page offers the change as a codex edit."""
    new = offer.get("to") or offer["name"]
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    topic = console_settings.kafka_topic
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        created = await api.post(
            "/api/v1/genesis/sessions", json={"initial_user_input": {"idea": idea}}
        )
        sid = created.json()["session_id"]
        commands = f"/api/v1/genesis/sessions/{sid}/commands"
        ask = {"command_type": "RequestConceptGeneration", "payload": {}}
        asked = await api.post(commands, json=ask)
        await offline_answer(pool, topic, uuid.UUID(asked.json()["command_id"]))
        revise = {"command_type": "SubmitFeedback", "payload": {"feedback": feedback}}
        revised = await api.post(commands, json=revise)
        assert revised.status_code == 202, revised.text
        proposal = await offline_answer(pool, topic, uuid.UUID(revised.json()["command_id"]))
        state = (await api.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
    assert state["last_result"]["offered_edits"] == [offer]
    assert new in proposal["revision_note"]  # the note says it offered, not unread
    assert new not in str(proposal["concepts"])  # not made by the reader
    assert new not in [e["name"] for e in state["codex"]["entries"]]
    async with signed_in(console.url, console_settings, user) as writer:
        page = (
            await writer.get(f"/console/sessions/{sid}", headers={"Accept-Language": language})
        ).text
        assert 'id="offered-edit-0"' in page and words in page
        value = offer.get("to") or offer["role"]
        form = {"action_id": str(uuid.uuid4()), "op": offer["op"], "name": offer["name"]}
        done = await writer.post(f"/console/sessions/{sid}/codex", data=form | {"value": value})
        assert done.status_code == 303, done.text
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        state = (await api.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
    assert [e["name"] for e in state["codex"]["entries"] if e["role"] == "rival"] == [new]
    if offer["op"] == "rename":
        assert offer["name"] not in str(state["last_result"]["concepts"])
