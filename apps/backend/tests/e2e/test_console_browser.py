"""The console in real headless Chromium with the network cut to loopback: a writer walks
Genesis to a finished novel with the offline generator, live over the page's stream; an
operator requeues a FAILED outbox row and replays a dead letter, and both show in the audit; a
writer cannot open operator pages or another writer's session. Skips without a browser.
SCRIBE_CONSOLE_SCREENSHOTS=<dir> saves a screenshot of each screen there (docs/img/)."""

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infinite_scribe.kafka.admin import ensure_topic
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.agent_stack import agent_stack, stack_settings
from tests.support.browser import (
    MISSING,
    chromium,
    console_errors,
    count,
    screenshot,
    submit,
    text_of,
    until,
    wait,
    wait_count,
)
from tests.support.console import dead_letter, failed_row, token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(400),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

LATER_STAGES = ("STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE")


def sign_in(driver: Any, url: str, jwt: str) -> None:
    driver.get(f"{url}/console/sign-in")
    wait(driver, "#token").send_keys(jwt)
    submit(driver, "#sign-in")
    wait(driver, "header nav")


def assert_page_is_whole(driver: Any) -> None:
    """Every vendored script ran (nothing came from outside loopback) and nothing broke the CSP."""
    loaded = driver.execute_script(
        "return [typeof window.htmx, typeof window.Alpine, !!htmx.ext && true]"
    )
    assert loaded[:2] == ["object", "object"], loaded
    assert console_errors(driver) == []


def record_draft_then_proposal(driver: Any) -> None:
    """Note, in order, when the page first shows a draft and when it first shows a proposal."""
    driver.execute_script(
        """
        window.__seen = [];
        const note = (what, selector) => {
          if (!window.__seen.includes(what) && document.querySelector(selector)) {
            window.__seen.push(what);
          }
        };
        const look = () => {
          note("draft", "[data-draft]");
          note("proposal", '#timeline li[data-event-type$="Proposed"]');
        };
        look();  // what the page already shows counts too (a proposal here fails the order)
        new MutationObserver(look).observe(document.body, {subtree: true, childList: true});
        """
    )


def walk_genesis(driver: Any, url: str, jwt: str) -> str:
    """Sign in, start a session, ask, revise, choose and confirm every stage; the novel title."""
    sign_in(driver, url, jwt)
    submit(driver, "#start-session")
    wait(driver, "#request-proposal")
    assert_page_is_whole(driver)
    wait(driver, "#themes").send_keys("mystery, science fiction")
    wait(driver, "#styles").send_keys("fast-paced, first person")
    submit(driver, "#request-proposal")
    # No reload from here on: the proposal arrives through the page's stream (htmx SSE).
    record_draft_then_proposal(driver)
    wait(driver, "#confirm-stage")
    wait_count(driver, '#timeline li[data-event-type$="Proposed"]', 1)
    # The offline generator streams: the model's draft showed before its proposal did.
    assert driver.execute_script("return window.__seen") == ["draft", "proposal"]
    screenshot(driver, "session")
    wait(driver, "#feedback").send_keys("darker, please")
    submit(driver, "#send-feedback")
    wait_count(driver, '#timeline li[data-event-type$="Proposed"]', 2)
    wait(driver, '#panel-state[data-pending="no"] input[name="choice"][value="1"]')
    title = driver.execute_script(
        "return document.querySelectorAll('.option strong')[1].textContent"
    )
    # The choice is clicked in the submit's own script: the live panel may be swapped between
    # two scripts, and a swapped-in panel has the first option checked (seen under load).
    choose = "document.querySelector('input[name=choice][value=\"1\"]').click();"
    submit(driver, "#confirm-stage", before=choose)
    for stage in LATER_STAGES:
        wait(driver, f'#panel-state[data-stage="{stage}"] #request-proposal')
        submit(driver, "#request-proposal")
        wait(driver, f'#panel-state[data-stage="{stage}"][data-pending="no"] #confirm-stage')
        submit(driver, "#confirm-stage")
    wait(driver, "#novel-link")
    submit(driver, "#novel-link")
    heading = wait(driver, "#novel-title").text
    # The novel's bible, rendered from its Markdown: every confirmed stage has its section.
    bible = wait(driver, "#novel-bible").text
    assert all(section in bible for section in ("Story", "World", "Characters", "Plot outline"))
    screenshot(driver, "novel")
    assert_page_is_whole(driver)
    driver.get(f"{url}/console/sessions")
    wait(driver, "tr[data-session]")
    screenshot(driver, "sessions")
    return f"{title}|{heading}"


async def test_a_writer_walks_genesis_to_a_novel_in_the_browser(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    user = uuid.uuid4()
    async with agent_stack(config) as server:

        def drive() -> str:
            with chromium(tmp_path / "profile") as driver:
                return walk_genesis(driver, server.url, token(config, user))

        chosen, shown = (await asyncio.to_thread(drive)).split("|")
    assert chosen and chosen == shown
    novel = await clean_db.fetchrow("SELECT title FROM novels WHERE user_id = $1", user)
    assert novel is not None and novel["title"] == chosen
    stages = await clean_db.fetchval(
        "SELECT count(*) FROM domain_events WHERE event_type = 'Genesis.Session.StageConfirmed'"
    )
    assert stages == 5


def operate(
    driver: Any, url: str, jwt: str, rows: tuple[str, str], letter_key: str, fail_one: Any
) -> None:
    row, other_row = rows
    sign_in(driver, url, jwt)
    until(driver, lambda d: text_of(d, '[data-figure="failed"]') == "2", within=5)
    assert_page_is_whole(driver)
    fail_one()  # a third row fails while the overview is open: it refreshes by itself
    until(driver, lambda d: text_of(d, '[data-figure="failed"]') == "3")
    driver.get(f"{url}/console/ops/outbox")
    screenshot(driver, "outbox")
    wait(driver, f'[data-requeue="{row}"]')
    submit(driver, f'[data-requeue="{row}"]')
    wait(driver, "[data-done]")
    assert (
        count(driver, f'[data-row="{row}"]') == 0
        and count(driver, f'[data-row="{other_row}"]') == 1
    )
    # One row's page: its payload; its discard asks first (decision 4003).
    submit(driver, f'[data-row-link="{other_row}"]')
    wait(driver, "[data-payload]")
    assert "Genesis.Session.Created" in (text_of(driver, "[data-payload]") or "")
    screenshot(driver, "outbox-row")
    driver.execute_script("document.querySelector('#discard-row-ask').click()")
    until(driver, lambda d: d.find_element("css selector", "#discard-row").is_displayed())
    submit(driver, "#discard-row")
    wait(driver, "[data-done]")
    assert count(driver, f'[data-row="{other_row}"]') == 0
    # The bulk action asks first (Alpine under the CSP), then requeues what the filter matches.
    wait(driver, "#requeue-all-ask").click()
    until(driver, lambda d: d.find_element("css selector", "#requeue-all").is_displayed())
    submit(driver, "#requeue-all")
    wait(driver, "[data-empty]")
    driver.get(f"{url}/console/ops/dead-letters")
    screenshot(driver, "dead-letters")
    letter = wait(driver, f'tr[data-letter] code[data-key="{letter_key}"]')
    position = letter.get_attribute("data-position")
    submit(driver, f'[data-replay="{position}"]')
    wait(driver, "[data-done]")
    driver.get(f"{url}/console/ops/audit")
    wait(driver, "tr[data-audit]")
    screenshot(driver, "audit")
    audit = [
        (r.get_attribute("data-audit"), r.get_attribute("data-rows"))
        for r in driver.find_elements("css selector", "tr[data-audit]")
    ]
    assert sorted(audit) == [
        ("dead_letters.replay", "1"),
        ("outbox.discard", "1"),
        ("outbox.requeue", "1"),
        ("outbox.requeue", "1"),
    ]


async def test_an_operator_requeues_and_replays_and_the_audit_shows_both(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    servers = config.resolved_kafka_servers() or ""
    ensure_topic(servers, f"{config.kafka_topic}.dlq", 3)
    row = await failed_row(clean_db, "elsewhere", "stuck-key", "Broker: Message size too large")
    other = await failed_row(clean_db, "elsewhere", "other-key")
    letter_key = f"letter-{uuid.uuid4().hex[:6]}"
    dead_letter(
        servers,
        config.kafka_topic,
        letter_key,
        {"event_id": str(uuid.uuid4()), "event_type": "Genesis.Session.ConceptGenerationRequested"},
    )
    operator = uuid.uuid4()
    loop = asyncio.get_running_loop()

    def fail_one() -> None:
        made = failed_row(clean_db, "elsewhere", "third-key")
        asyncio.run_coroutine_threadsafe(made, loop).result(10)

    async with agent_stack(config) as server:

        def drive() -> None:
            jwt = token(config, operator, operator=True)
            with chromium(tmp_path / "profile") as driver:
                operate(driver, server.url, jwt, (str(row), str(other)), letter_key, fail_one)

        await asyncio.to_thread(drive)
    audit = await clean_db.fetch("SELECT actor_id, action, row_count FROM operator_audit")
    assert {r["actor_id"] for r in audit} == {operator} and len(audit) == 4


def chain_screens(driver: Any, url: str, writer_jwt: str, operator_jwt: str) -> None:
    """The writer starts a session and asks for concepts; the operator draws that flow."""
    sign_in(driver, url, writer_jwt)
    submit(driver, "#start-session")
    wait(driver, "#request-proposal")
    submit(driver, "#request-proposal")
    wait(driver, "#confirm-stage")
    requested = text_of(driver, '#timeline li[data-event-type$="Requested"]', "data-event-id")
    assert requested
    driver.delete_all_cookies()
    sign_in(driver, url, operator_jwt)
    until(driver, lambda d: text_of(d, '[data-figure="relay"]') not in (None, "0.00"))
    # The stack's one agent worker, from its own beats (decision 4003).
    until(driver, lambda d: text_of(d, "[data-workers]", "data-workers") == "1")
    screenshot(driver, "overview")
    driver.get(f"{url}/console/ops/chain?id={requested}")
    node = wait(driver, f'svg a[data-node="{requested}"]')
    assert count(driver, "svg g.node") >= 3  # the command, its request, the proposal
    screenshot(driver, "chain")
    href = driver.execute_script("return arguments[0].getAttribute('href')", node)
    driver.get(url + href)  # the node links to its payload
    assert "ConceptGenerationRequested" in wait(driver, "h1").text
    wait(driver, "#payload")


async def test_an_operator_draws_a_flow_the_agents_answered(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server:

        def drive() -> None:
            with chromium(tmp_path / "profile") as driver:
                writer = token(config, uuid.uuid4())
                chain_screens(
                    driver, server.url, writer, token(config, uuid.uuid4(), operator=True)
                )

        await asyncio.to_thread(drive)


def trespass(driver: Any, url: str, writer_jwt: str, other_session: str) -> None:
    driver.get(f"{url}/console/sign-in")
    screenshot(driver, "sign-in")
    sign_in(driver, url, writer_jwt)
    for page in (
        "/console/ops",
        "/console/ops/outbox",
        "/console/ops/dead-letters",
        "/console/ops/audit",
    ):
        driver.get(url + page)
        assert wait(driver, "[data-error]").get_attribute("data-error") == "OPERATOR_ROLE_REQUIRED"
    driver.get(f"{url}/console/sessions/{other_session}")
    assert wait(driver, "[data-error]").get_attribute("data-error") == "NOT_FOUND"
    assert count(driver, "header nav a[href='/console/ops']") == 0


async def test_a_writer_cannot_open_operator_pages_or_another_writers_session(
    live_server: LiveServer, settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    from tests.support.console import signed_in

    async with signed_in(live_server.url, settings, uuid.uuid4()) as owner:
        other_session = (
            (await owner.post("/console/sessions")).headers["location"].rsplit("/", 1)[1]
        )

    def drive() -> None:
        with chromium(tmp_path / "profile") as driver:
            trespass(driver, live_server.url, token(settings, uuid.uuid4()), other_session)

    await asyncio.to_thread(drive)


DRAFTS = (
    {"task_id": "t-1", "sequence": 1, "text": "Once upon"},
    {"task_id": "t-1", "sequence": 2, "text": "Once upon a time <img src=x>"},
    {"task_id": "t-2", "sequence": 1, "text": "Chapter"},
    {"task_id": "t-2", "sequence": 2, "text": " one"},  # a delta, not the whole text
    # A model writes JSON: the page shows its string values, cut where the model is.
    {"task_id": "t-3", "sequence": 1, "text": '{"concepts": [{"stage": "X", "title": "星潮"'},
    {"task_id": "t-3", "sequence": 2, "text": ', "logline": "A tide \\"of\\" st'},
    {"task_id": "t-4", "sequence": 1, "text": '{"premise": "gone soon'},
)
#: After the drafts: t-4's proposal lands, which ends its draft (issue 29).
PROPOSED = {"event_type": "Genesis.Session.Concept.Proposed", "payload": {"task_id": "t-4"}}


def draft_stream_app(settings: Settings, drafts_seen: threading.Event) -> Any:
    """The API with a session stream that sends `draft` events as issue 18 will: this checks
    the page's generic draft renderer, not the server's drafts."""
    import json

    from fastapi.responses import StreamingResponse
    from starlette.routing import Route

    from infinite_scribe.api.app import create_app

    app = create_app(settings)

    async def frames() -> Any:
        yield b": stream open\nretry: 3000\n\n"
        for draft in DRAFTS:
            yield b"event: draft\ndata: " + json.dumps(draft).encode() + b"\n\n"
            await asyncio.sleep(0.05)
        # The test saw t-4's draft (a threading.Event: the test drives from another thread).
        await asyncio.to_thread(drafts_seen.wait, 60)
        yield b"event: domain_event\ndata: " + json.dumps(PROPOSED).encode() + b"\n\n"
        await asyncio.sleep(30)

    async def stream(request: Any) -> StreamingResponse:
        return StreamingResponse(frames(), media_type="text/event-stream")

    app.router.routes.insert(0, Route("/console/sessions/{session_id}/stream", stream))
    return app


async def test_drafts_render_as_text_per_task(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    drafts_seen = threading.Event()
    with LiveServer(draft_stream_app(settings, drafts_seen)) as server:

        def drive() -> list[str | None]:
            with chromium(tmp_path / "profile") as driver:
                sign_in(driver, server.url, token(settings, uuid.uuid4()))
                submit(driver, "#start-session")
                until(driver, lambda d: count(d, "[data-draft]") == 4)
                until(driver, lambda d: text_of(d, '[data-task="t-2"] pre') == "Chapter one")
                until(driver, lambda d: text_of(d, '[data-task="t-4"] pre') == "gone soon")
                drafts_seen.set()
                until(driver, lambda d: count(d, "[data-draft]") == 3)  # t-4's proposal landed
                assert count(driver, "#drafts img") == 0  # model text is never HTML
                assert_page_is_whole(driver)
                return [text_of(driver, f'[data-task="{t}"] pre') for t in ("t-1", "t-2", "t-3")]

        shown = await asyncio.to_thread(drive)
    assert shown == ["Once upon a time <img src=x>", "Chapter one", '星潮\nA tide "of" st']
