"""Issue 37 in real headless Chromium with the network cut to loopback: a writer confirms three
stages, reads the session's history (content, diff, provenance), rolls back to the first
proposal, branches from the second, finishes the branch and the original again, and reads both
novels. Real API, outbox, relay, broker and agent worker (the offline generator). Skips without
a browser."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.e2e.test_console_browser import (
    assert_page_is_whole,
    count,
    sign_in,
    submit,
    text_of,
    until,
    wait,
)
from tests.support.agent_stack import agent_stack, stack_settings
from tests.support.browser import MISSING, chromium, screenshot
from tests.support.console import token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    pytest.mark.timeout(400),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

VERSION = "li.version"
PROPOSALS = f'{VERSION}[data-kind="proposed"]'


def session_id_of(driver: Any) -> str:
    return str(driver.current_url.rstrip("/").rsplit("/", 1)[1])


def ready(stage: str, wanted: str = "#confirm-stage") -> str:
    return f'#panel-state[data-stage="{stage}"][data-pending="no"] {wanted}'


def take_stage(driver: Any, stage: str, choice: int | None = None) -> None:
    """Ask for the stage's proposal (unless the page already shows one) and confirm it."""
    if choice is None and not count(driver, ready(stage)):
        wait(driver, ready(stage, "#request-proposal"))
        submit(driver, "#request-proposal")
    wait(driver, ready(stage))
    if choice is not None:
        driver.execute_script(
            "document.querySelector(`input[name=choice][value='${arguments[0]}']`).click()", choice
        )
    submit(driver, "#confirm-stage")


def finish(driver: Any, stages: tuple[str, ...]) -> str:
    """Take every stage left, open the novel; its id (from the page's link)."""
    for stage in stages:
        take_stage(driver, stage)
    href = wait(driver, "#novel-link").get_attribute("href")
    return str(href.rstrip("/").rsplit("/", 1)[1])


def act(driver: Any, button_css: str, fill: dict[str, str] | None = None) -> str:
    """Open a version's disclosure as a writer would, read what it says will happen, click its
    button and wait for the page it leads to; the explanation shown."""
    button = wait(driver, button_css)
    assert not button.is_displayed()  # behind its disclosure until the writer opens it
    summary = driver.execute_script(
        "return arguments[0].closest('details').firstElementChild", button
    )
    summary.click()
    until(driver, lambda d: button.is_displayed())
    said = str(
        driver.execute_script(
            "return arguments[0].closest('form').querySelector('p').innerText", button
        )
    )
    for name, value in (fill or {}).items():
        driver.execute_script(
            "return arguments[0].closest('form').querySelector(`[name='${arguments[1]}']`)",
            button,
            name,
        ).send_keys(value)
    driver.execute_script("window.__old_page = true")
    button.click()
    until(
        driver,
        lambda d: d.execute_script(
            "return window.__old_page === undefined && document.readyState === 'complete'"
        ),
    )
    return said


def versions(driver: Any) -> list[tuple[str, str]]:
    """(stage heading, kind) of every version the history page lists, in order."""
    shown: list[list[str]] = driver.execute_script(
        "return [...document.querySelectorAll('li.version')].map(v => ["
        " v.closest('ol').previousElementSibling.textContent.trim(), v.dataset.kind])"
    )
    return [(stage, kind) for stage, kind in shown]


def check_history(driver: Any, concept_titles: list[str]) -> None:
    """Three stages, each proposed then confirmed, with content, a diff and provenance."""
    wait(driver, VERSION)
    assert versions(driver) == [
        (stage, kind)
        for stage in ("concept selection", "story conception", "worldview")
        for kind in ("proposed", "confirmed")
    ]
    # Each version's content, readable once its disclosure is opened.
    contents = driver.execute_script(
        "return [...document.querySelectorAll('li.version > details:not(.act)')]"
        ".map(d => d.textContent)"
    )
    assert len(contents) == 6 and all(len(c.strip()) > len("Content") + 20 for c in contents)
    assert all(title in contents[0] for title in concept_titles)  # every concept proposed
    assert concept_titles[0] in contents[1] and concept_titles[1] not in contents[1]
    # The confirmed concept against its proposal, side by side.
    diff = f'{VERSION}[data-kind="confirmed"] table.diff'
    assert count(driver, f"{diff} td.before") and count(driver, f"{diff} td.after")
    assert concept_titles[0] in (text_of(driver, f"{diff} tbody") or "")
    # Where each proposal came from: the offline generator, its model and its inputs.
    provenance = driver.execute_script(
        f"return [...document.querySelectorAll('{PROPOSALS} .provenance')].map(p => p.textContent)"
    )
    assert len(provenance) == 3
    assert all(
        "offline" in p and "offline-generator" in p and "attempts 1" in p for p in provenance
    )
    assert count(driver, f'{VERSION}[data-kind="confirmed"] .provenance') == 0


def walk(driver: Any, url: str, api: httpx.Client, jwt: str) -> dict[str, Any]:
    sign_in(driver, url, jwt)
    submit(driver, "#start-session")
    origin = session_id_of(driver)
    # 1. Three stages confirmed: the first concept, then STORY_CONCEPTION and WORLDVIEW.
    submit(driver, "#request-proposal")
    wait(driver, ready("CONCEPT_SELECTION"))
    concept_titles: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('.option strong')].map(s => s.textContent)"
    )
    assert len(concept_titles) >= 2 and len(set(concept_titles)) == len(concept_titles)
    take_stage(driver, "CONCEPT_SELECTION", choice=0)
    take_stage(driver, "STORY_CONCEPTION")
    take_stage(driver, "WORLDVIEW")
    wait(driver, ready("CHARACTERS", "#request-proposal"))

    # 2. The history: every version with its content, a diff and each proposal's provenance.
    submit(driver, "#history-link")
    check_history(driver, concept_titles)
    assert_page_is_whole(driver)
    screenshot(driver, "history")
    first, second = driver.execute_script(
        f"return [...document.querySelectorAll('{PROPOSALS}')].map(v => v.dataset.eventId)"
    )[:2]

    # 3. Roll back to the first proposal: the session is back at choosing a concept, with the
    # same concepts to choose from.
    said = act(driver, f'[data-rollback="{first}"]')
    assert "goes back" in said and "Nothing is deleted" in said
    assert session_id_of(driver) == origin
    wait(driver, ready("CONCEPT_SELECTION"))
    assert (
        driver.execute_script(
            "return [...document.querySelectorAll('.option strong')].map(s => s.textContent)"
        )
        == concept_titles
    )
    state = api.get(f"/api/v1/genesis/sessions/{origin}/state").json()
    assert (state["status"], state["current_stage"]) == ("IN_PROGRESS", "CONCEPT_SELECTION")
    assert state["confirmed_data"] == {} and state["novel_id"] is None

    # 4. From the history, branch from the second proposal (the story's); the branch is at
    # that proposal and links back to its origin, and the origin's history links to it.
    submit(driver, "#history-link")
    wait(driver, f'{VERSION}[data-kind="rolled_back"]')
    said = act(driver, f'[data-branch="{second}"]', {"title": "The other story"})
    assert "new session" in said and "stays as it is" in said
    branch = session_id_of(driver)
    assert branch != origin
    wait(driver, ready("STORY_CONCEPTION"))
    assert text_of(driver, "#branch-origin a", "href") == f"/console/sessions/{origin}"
    # The title given is the branch's own: shown as its name, never as the origin's link.
    assert "The other story" not in (text_of(driver, "#branch-origin a") or "")
    assert "The other story" in (text_of(driver, "#branch-origin strong") or "")
    driver.get(f"{url}/console/sessions/{origin}/history")
    submit(driver, f'[data-branch-link="{branch}"]')
    assert session_id_of(driver) == branch
    submit(driver, "#history-link")
    assert text_of(driver, "#branch-origin a", "href") == f"/console/sessions/{origin}/history"
    assert "The other story" not in (text_of(driver, "#branch-origin a") or "")
    # The branch's history: the origin's versions up to the branch point, then its own.
    assert [kind for _, kind in versions(driver)] == [
        "proposed",
        "confirmed",
        "proposed",
        "branched",
    ]
    screenshot(driver, "history-branch")

    # 5. Finish the branch (its concept is the first one), then the original with the second.
    driver.get(f"{url}/console/sessions/{branch}")
    branch_novel = finish(driver, ("STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"))
    driver.get(f"{url}/console/sessions/{origin}")
    take_stage(driver, "CONCEPT_SELECTION", choice=1)
    origin_novel = finish(driver, ("STORY_CONCEPTION", "WORLDVIEW", "CHARACTERS", "PLOT_OUTLINE"))
    assert branch_novel != origin_novel

    # 6. Both novels readable, in the console and over the API.
    novels: dict[str, Any] = {"titles": concept_titles, "sessions": (origin, branch)}
    for name, novel in (("origin", origin_novel), ("branch", branch_novel)):
        driver.get(f"{url}/console/novels/{novel}")
        shown = wait(driver, "#novel-title").text
        bible = wait(driver, "#novel-bible").text
        assert all(s in bible for s in ("Story", "World", "Characters", "Plot outline")), bible
        assert_page_is_whole(driver)
        reply = api.get(f"/api/v1/novels/{novel}")
        assert reply.status_code == 200, reply.text
        novels[name] = {"id": novel, "page": shown, **reply.json()}
    return novels


async def test_a_writer_rolls_back_and_branches_in_the_browser(
    settings: Settings, clean_db: asyncpg.Pool, tmp_path: Path
) -> None:
    config = stack_settings(settings)
    user = uuid.uuid4()
    jwt = token(config, user)
    async with agent_stack(config) as server:

        def drive() -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {jwt}"}
            with (
                httpx.Client(base_url=server.url, headers=headers, timeout=30) as api,
                chromium(tmp_path / "profile") as driver,
            ):
                return walk(driver, server.url, api, jwt)

        novels = await asyncio.to_thread(drive)
    origin, branch = novels["sessions"]
    first_title, second_title = novels["titles"][:2]
    # The branch kept the first concept; the original, rolled back, took the second.
    assert (novels["branch"]["page"], novels["branch"]["title"]) == (first_title, first_title)
    assert (novels["origin"]["page"], novels["origin"]["title"]) == (second_title, second_title)
    assert novels["branch"]["genesis_session_id"] == branch
    assert novels["origin"]["genesis_session_id"] == origin
    assert all(novels[n]["story"] and novels[n]["outline"] for n in ("origin", "branch"))
    owned = await clean_db.fetch("SELECT id FROM novels WHERE user_id = $1", user)
    assert {str(r["id"]) for r in owned} == {novels["origin"]["id"], novels["branch"]["id"]}
