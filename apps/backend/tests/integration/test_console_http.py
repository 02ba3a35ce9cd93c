"""The console over real HTTP (no browser): sign-in, the CSP, who may open what, hostile
forms, the writer's novels and their downloads (operator actions: test_console_operator.py)."""

import re
import uuid
import zipfile
from io import BytesIO

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.api.console.web import COOKIE
from infinite_scribe.api.dev_credential import DEV_USER_ID, development_token
from infinite_scribe.settings.settings import DEV_JWT_SECRET, Settings
from tests.conftest import LiveServer, make_token
from tests.integration.test_novels import finished_novel
from tests.support.agent import answer_request
from tests.support.console import (
    action,
    console,
    console_settings,
    failed_row,
    operator,
    signed_in,
    token,
    writer,
)

pytestmark = pytest.mark.kafka

OPS_PAGES = (
    "/console/ops",
    "/console/ops/figures",
    "/console/ops/outbox",
    "/console/ops/dead-letters",
    "/console/ops/audit",
    "/console/ops/chain",
)


__all__ = ["console", "console_settings", "operator", "writer"]  # fixtures used below


async def test_pages_need_sign_in_and_carry_a_strict_csp(
    console: LiveServer, writer: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=console.url) as anonymous:
        reply = await anonymous.get("/console/sessions")
        homes = [await anonymous.get(path) for path in ("/console", "/console/")]
    assert reply.status_code == 303 and reply.headers["location"].startswith("/console/sign-in")
    # The home, with or without its slash, leads a visitor to the sign-in (it was a 404).
    assert [(home.status_code, home.headers["location"]) for home in homes] == [
        (303, "/console/sign-in")
    ] * 2
    cookie = writer.cookies.jar
    stored = next(iter(cookie))
    assert stored.name == "scribe_console" and stored.path == "/console"
    assert (
        stored.has_nonstandard_attr("HttpOnly")
        and stored.get_nonstandard_attr("SameSite") == "strict"
    )

    page = await writer.get("/console/sessions")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None  # no inline script
    assert " style=" not in page.text  # no inline style either
    for src in re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page.text):
        asset = await writer.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src


async def test_a_bad_token_is_refused_and_a_cross_site_form_changes_nothing(
    console: LiveServer, writer: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(base_url=console.url, headers={"Origin": console.url}) as client:
        refused = await client.post("/console/sign-in", data={"token": "not-a-jwt"})
        assert refused.status_code == 401 and "scribe_console" not in refused.cookies
        assert "data-error" in refused.text
    forged = await writer.post("/console/sessions", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and "CROSS_SITE_REQUEST" in forged.text
    nothing = await writer.post("/console/sessions", headers={"Origin": ""})
    assert nothing.status_code == 403
    assert await clean_db.fetchval("SELECT count(*) FROM genesis_sessions") == 0


async def test_a_writer_cannot_open_operator_pages_or_act(
    writer: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    for path in OPS_PAGES:
        reply = await writer.get(path)
        assert reply.status_code == 403, path
        assert "OPERATOR_ROLE_REQUIRED" in reply.text
    row = await failed_row(clean_db, console_settings.kafka_topic, "k1")
    reply = await writer.post(
        "/console/ops/outbox/requeue", data={"action_id": action(), "row_id": str(row)}
    )
    assert reply.status_code == 403
    assert (
        await clean_db.fetchval("SELECT status::text FROM event_outbox WHERE id = $1", row)
        == "FAILED"
    )
    assert await clean_db.fetchval("SELECT count(*) FROM operator_audit") == 0


async def test_another_writers_session_is_a_404(
    console: LiveServer,
    console_settings: Settings,
    writer: httpx.AsyncClient,
    clean_db: asyncpg.Pool,
) -> None:
    started = await writer.post("/console/sessions")
    assert started.status_code == 303
    session_path = started.headers["location"]
    assert (await writer.get(session_path)).status_code == 200
    async with signed_in(console.url, console_settings, uuid.uuid4()) as other:
        for suffix in ("", "/panel", "/timeline", "/stream"):
            assert (await other.get(session_path + suffix)).status_code == 404, suffix
        form = {"action_id": action(), "themes": "x"}
        assert (await other.post(session_path + "/request", data=form)).status_code == 404
        assert session_path.rsplit("/", 1)[1] not in (await other.get("/console/sessions")).text
    assert await clean_db.fetchval("SELECT count(*) FROM command_inbox") == 0


async def test_hostile_forms_get_a_4xx_and_change_nothing(
    writer: httpx.AsyncClient, operator: httpx.AsyncClient, clean_db: asyncpg.Pool
) -> None:
    session_path = (await writer.post("/console/sessions")).headers["location"]
    cases = [
        (
            writer,
            session_path + "/request",
            {"content": b'{"themes": 1}', "headers": {"Content-Type": "application/json"}},
        ),
        (writer, session_path + "/request", {"data": {"themes": "x"}}),  # no action_id
        (writer, session_path + "/confirm", {"data": {"action_id": action(), "choice": "7"}}),
        (writer, session_path + "/confirm", {"data": {"action_id": action(), "choice": "x"}}),
        (
            writer,
            session_path + "/feedback",
            {"data": {"action_id": action(), "feedback": "no proposal yet"}},
        ),
        (writer, session_path + "/request", {"data": {"action_id": action(), "text": "\x00"}}),
        (
            operator,
            "/console/ops/outbox/requeue",
            {"data": {"action_id": action(), "row_id": "nope"}},
        ),
        (
            operator,
            "/console/ops/dead-letters/replay",
            {"data": {"action_id": action(), "position": "a:b"}},
        ),
        (operator, "/console/ops/dead-letters/burn", {"data": {"action_id": action()}}),
    ]
    for client, path, options in cases:
        reply = await client.post(path, **options)  # type: ignore[arg-type]
        assert 400 <= reply.status_code < 500, (path, options, reply.status_code, reply.text[:300])
        assert "text/html" in reply.headers["content-type"]
    assert (await writer.get("/console/sessions/not-a-uuid")).status_code == 422
    odd_reads = (
        "/console/ops/outbox?key=" + "k" * 600,
        "/console/ops/dead-letters?settled=maybe",
        "/console/ops/outbox?done=nope",
        "/console/ops/chain?id=",
        "/console/ops/events/00000000-0000-0000-0000-000000000000",
        "/console/sign-in?next=" + "x" * 400,
    )
    for path in odd_reads:
        reply = await operator.get(path)
        assert 400 <= reply.status_code < 500, (path, reply.status_code)
    raw = await writer.post(
        session_path + "/request",
        content=b"action_id=\xff\xfe&themes=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 422
    async with httpx.AsyncClient(
        base_url=writer.base_url, headers={"Cookie": "scribe_console=x.y.z"}
    ) as bad:
        assert (await bad.get("/console/sessions")).status_code == 303
    assert await clean_db.fetchval("SELECT count(*) FROM command_inbox") == 0
    assert await clean_db.fetchval("SELECT count(*) FROM operator_audit") == 0


async def test_operator_token_from_sign_in_lands_on_the_overview(
    console: LiveServer, console_settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=console.url, headers={"Origin": console.url}) as client:
        reply = await client.post(
            "/console/sign-in",
            data={"token": "Bearer " + token(console_settings, uuid.uuid4(), operator=True)},
        )
        assert reply.status_code == 303 and reply.headers["location"] == "/console/ops"
        page = await client.get("/console/sign-in")
        assert "dev-writer" not in page.text  # not the embedded default: no development token


async def test_the_embedded_default_offers_the_development_token(settings: Settings) -> None:
    """Only with the development secret (the embedded default): two buttons, no token typed."""
    embedded = settings.model_copy(update={"jwt_secret_key": SecretStr(DEV_JWT_SECRET)})
    with LiveServer(embedded) as server:
        async with httpx.AsyncClient(base_url=server.url, headers={"Origin": server.url}) as client:
            page = await client.get("/console/sign-in")
            assert 'id="dev-writer"' in page.text and 'id="dev-operator"' in page.text
            refused = await client.post("/console/sign-in", data={"dev": "operator"})
            assert refused.status_code == 401  # the operator needs the printed token
            dev_token = development_token(embedded)  # the one scribe up prints
            reply = await client.post(
                "/console/sign-in", data={"dev": "operator", "token": dev_token}
            )
            assert reply.status_code == 303 and reply.headers["location"] == "/console/ops"
            assert (await client.get("/console/ops/audit")).status_code == 200
            me = (await client.get("/console/sessions")).text
            assert str(DEV_USER_ID)[:12] in me and "operator" in me


async def test_the_development_operator_needs_the_printed_token_not_a_forged_one(
    settings: Settings,
) -> None:
    """Issue 41, C1: the writer's cookie, and tokens signed with the secret in the source, were
    taken as the development operator's credential."""
    embedded = settings.model_copy(update={"jwt_secret_key": SecretStr(DEV_JWT_SECRET)})
    forged_operator = create_access_token(embedded, DEV_USER_ID, roles=["operator"])
    with LiveServer(embedded) as server:
        async with httpx.AsyncClient(base_url=server.url, headers={"Origin": server.url}) as client:
            writer = await client.post("/console/sign-in", data={"dev": "writer"})
            assert writer.status_code == 303
            writer_cookie = client.cookies[COOKIE]
            client.cookies.clear()
            attacks = [
                {"dev": "operator", "token": writer_cookie},
                {"dev": "operator", "token": make_token(embedded, DEV_USER_ID)},
                {"dev": "operator", "token": forged_operator},
                {"token": forged_operator},
            ]
            for fields in attacks:
                refused = await client.post("/console/sign-in", data=fields)
                assert refused.status_code == 401, fields
                assert "set-cookie" not in refused.headers
            client.cookies.set(COOKIE, forged_operator, path="/console")
            assert (await client.get("/console/ops/audit")).status_code != 200
            client.cookies.clear()
            printed = development_token(embedded)
            signed = await client.post(
                "/console/sign-in", data={"dev": "operator", "token": printed}
            )
            assert signed.headers["location"] == "/console/ops"
            assert (await client.get("/console/ops/audit")).status_code == 200


async def test_the_writer_lists_and_takes_away_their_novels(
    console: LiveServer, console_settings: Settings
) -> None:
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        _, novel_id = await finished_novel(api)
    async with signed_in(console.url, console_settings, user) as writer:
        listed = await writer.get("/console/novels")
        assert listed.status_code == 200 and "雾港" in listed.text
        assert f"/console/novels/{novel_id}/download/epub" in listed.text
        page = await writer.get(f"/console/novels/{novel_id}")
        assert 'id="download-epub"' in page.text and "/api/v1/novels" not in page.text
        markdown = await writer.get(f"/console/novels/{novel_id}/download/md")
        assert markdown.status_code == 200 and markdown.text.startswith("# 雾港")
        named = markdown.headers["content-disposition"]  # the ASCII fallback, the title (55)
        assert named.endswith(f"novel-{novel_id}.md\"; filename*=UTF-8''%E9%9B%BE%E6%B8%AF.md")
        epub = await writer.get(f"/console/novels/{novel_id}/download/epub")
        assert epub.headers["content-type"] == "application/epub+zip"
        assert zipfile.ZipFile(BytesIO(epub.content)).read("mimetype") == b"application/epub+zip"
        as_json = await writer.get(f"/console/novels/{novel_id}/download/json")
        assert as_json.json()["title"] == "雾港"
        unknown = await writer.get(f"/console/novels/{novel_id}/download/pdf")
        assert unknown.status_code == 422 and unknown.headers["content-type"].startswith(
            "text/html"
        )
    async with signed_in(console.url, console_settings, uuid.uuid4()) as stranger:
        theirs = await stranger.get(f"/console/novels/{novel_id}/download/epub")
        assert theirs.status_code == 404
        assert "雾港" not in (await stranger.get("/console/novels")).text


async def test_sessions_by_title_and_a_timeline_in_the_browsers_language(
    console: LiveServer, console_settings: Settings
) -> None:
    """Issue 29: the list names a session by its working title; the timeline says what
    happened in words, in Chinese for a browser that prefers it."""
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        sid = (await api.post("/api/v1/genesis/sessions")).json()["session_id"]
        confirm = {"stage": "CONCEPT_SELECTION", "data": {"title": "雾港", "logline": "x"}}
        reply = await api.post(
            f"/api/v1/genesis/sessions/{sid}/commands",
            json={"command_type": "ConfirmStage", "payload": confirm},
        )
        assert reply.status_code == 200, reply.text
    async with signed_in(console.url, console_settings, user) as writer:
        listed = await writer.get("/console/sessions")
        assert f'href="/console/sessions/{sid}">雾港</a>' in listed.text
        english = await writer.get(f"/console/sessions/{sid}", headers={"Accept-Language": "en"})
        assert "Stage confirmed" in english.text and '<html lang="en">' in english.text
        chinese = await writer.get(
            f"/console/sessions/{sid}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
        )
        assert "阶段已确认" in chinese.text and "会话已开始" in chinese.text
        assert '<html lang="zh">' in chinese.text
        assert ">Genesis.Session.StageConfirmed<" not in chinese.text


async def test_a_stage_proposal_is_cards_the_writer_edits_before_confirming(
    console: LiveServer, console_settings: Settings, pool: asyncpg.Pool
) -> None:
    """Issue 29: the characters proposal shows one card per character with editable fields;
    what the writer changed there is what gets confirmed."""
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    cast = {
        "characters": [
            {"name": "林舟", "role": "protagonist", "description": "守灯人", "arc": "learns"},
            {"name": "苏晚", "role": "mentor", "description": "档案员", "arc": "lets go"},
        ],
        "relationships": ["林舟 owes 苏晚 a debt"],
    }
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        sid = (await api.post("/api/v1/genesis/sessions")).json()["session_id"]
        for stage in ("CONCEPT_SELECTION", "STORY_CONCEPTION", "WORLDVIEW"):
            confirm = {
                "command_type": "ConfirmStage",
                "payload": {"stage": stage, "data": {"title": "雾港"}},
            }
            assert (
                await api.post(f"/api/v1/genesis/sessions/{sid}/commands", json=confirm)
            ).is_success
        ask = {"command_type": "RequestStageGeneration", "payload": {"stage": "CHARACTERS"}}
        asked = await api.post(f"/api/v1/genesis/sessions/{sid}/commands", json=ask)
        assert asked.status_code == 202, asked.text
    await answer_request(
        pool, console_settings.kafka_topic, uuid.UUID(asked.json()["command_id"]), cast
    )
    async with signed_in(console.url, console_settings, user) as writer:
        page = (await writer.get(f"/console/sessions/{sid}")).text
        assert page.count('class="card-item"') == 2 and 'name="f:characters.1.name"' in page
        assert 'name="f:relationships"' in page and "<dl" not in page.split("stage-cards")[1]
        action_field = re.search(r'name="action_id" value="([^"]+)"', page)
        assert action_field is not None
        form = {
            "action_id": action_field.group(1),
            "choice": "0",
            "f:characters.1.name": "苏晚晴",
            "f:relationships": "林舟 owes 苏晚晴 a life",
        }
        confirmed = await writer.post(f"/console/sessions/{sid}/confirm", data=form)
        assert confirmed.status_code == 303, confirmed.text
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        state = (await api.get(f"/api/v1/genesis/sessions/{sid}/state")).json()
    characters = state["confirmed_data"]["CHARACTERS"]
    assert [c["name"] for c in characters["characters"]] == ["林舟", "苏晚晴"]
    assert characters["relationships"] == ["林舟 owes 苏晚晴 a life"]


async def test_the_novel_page_shows_the_bibles_history(
    console: LiveServer, console_settings: Settings, pool: asyncpg.Pool
) -> None:
    """Issue 29: every version of every stage from the event log: proposed, revised after the
    writer's feedback, confirmed, each with the fields that changed."""
    user = uuid.uuid4()
    bearer = {"Authorization": f"Bearer {token(console_settings, user)}"}
    topic = console_settings.kafka_topic
    async with httpx.AsyncClient(base_url=console.url, headers=bearer, timeout=30) as api:
        sid = (await api.post("/api/v1/genesis/sessions")).json()["session_id"]

        async def send(command_type: str, payload: dict[str, object]) -> httpx.Response:
            body = {"command_type": command_type, "payload": payload}
            reply = await api.post(f"/api/v1/genesis/sessions/{sid}/commands", json=body)
            assert reply.is_success, reply.text
            return reply

        asked = await send("RequestConceptGeneration", {})
        first = {"concepts": [{"title": "雾港", "logline": "旧信"}]}
        await answer_request(pool, topic, uuid.UUID(asked.json()["command_id"]), first)
        revise = await send("SubmitFeedback", {"feedback": "更黑暗一些"})
        darker = {"concepts": [{"title": "雾港", "logline": "血信"}]}
        await answer_request(pool, topic, uuid.UUID(revise.json()["command_id"]), darker)
        await send("ConfirmStage", {"stage": "CONCEPT_SELECTION", "choice": 0})
        for stage in ("STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"):
            await send("ConfirmStage", {"stage": stage, "data": {"title": "雾港"}})
        novel_id = (await api.get(f"/api/v1/genesis/sessions/{sid}/state")).json()["novel_id"]
    async with signed_in(console.url, console_settings, user) as writer:
        page = await writer.get(f"/console/novels/{novel_id}", headers={"Accept-Language": "zh"})
    history = page.text.split('id="bible-history"')[1]
    assert history.count('data-version="proposed"') == 1
    assert history.count('data-version="revised"') == 1 and "“更黑暗一些”" in history
    assert history.count('data-version="confirmed"') == 5
    assert "改动：创意" in history  # noqa: RUF001 - the revision changed the concepts (issue 38: named in Chinese)
