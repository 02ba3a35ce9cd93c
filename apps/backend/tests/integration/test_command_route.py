"""The command route's own raw ASGI handler (api/command_route.py) answers every request as
the FastAPI route does: two live servers on one database, one whose command route ends in its
raw handler and one whose ends in FastAPI's router, get the same requests and must give the
same answers; well-formed commands must really skip the router, the rest must reach it."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infinite_scribe.api import route_stacks
from infinite_scribe.api.app import create_app
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer, make_token
from tests.support.genesis_client import BASE

#: The ids and times of a reply differ between two runs; everything else must not.
VARYING = {"command_id", "correlation_id", "task_id", "duplicate_command_id"}


class Routed:
    """The app, noting for each HTTP request whether FastAPI's router handled it (the router
    leaves the matched endpoint in the request's scope)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.routed: list[bool] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.routed.append("endpoint" in scope)


@pytest.fixture
def servers(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    fast = Routed(create_app(settings))
    # The other server's command routes end in FastAPI's router like every route.
    monkeypatch.setattr(route_stacks, "COMMAND_ROUTES", {})
    routed = Routed(create_app(settings))
    with LiveServer(fast) as fast_server, LiveServer(routed) as routed_server:  # type: ignore[arg-type]
        yield {"fast": (fast, fast_server.url), "routed": (routed, routed_server.url)}


async def both(
    servers: dict[str, Any], settings: Settings, steps: list[dict[str, Any]]
) -> dict[str, list[httpx.Response]]:
    """Each server walks `steps` on a session of its own (a user of its own: idempotency keys
    are per user); the answers by server."""
    answers: dict[str, list[httpx.Response]] = {}
    for name, (_, url) in servers.items():
        headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            created = await http.post(BASE, json={})
            session = created.json()["session_id"]
            answers[name] = []
            for step in steps:
                path = step.get("path", f"{BASE}/{session}/commands")
                answers[name].append(
                    await http.post(
                        path,
                        content=step["body"],
                        headers={"Content-Type": "application/json", **step.get("headers", {})},
                    )
                )
    return answers


def comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body = response.json()
    if isinstance(body, dict):
        body = {k: ("<id>" if k in VARYING else v) for k, v in body.items()}
    kept = ("content-type", "www-authenticate", "idempotent-replayed", "retry-after")
    headers = {name: response.headers[name] for name in kept if name in response.headers}
    if "location" in response.headers:
        headers["location"] = "<task>"
    return response.status_code, body, headers


CONCEPTS = b'{"command_type": "RequestConceptGeneration", "payload": {"user_input": "a heist"}}'
CASES: dict[str, tuple[list[dict[str, Any]], list[bool]]] = {
    # steps, and for each step whether the router answers it where CommandRoute runs
    "accepted, then a duplicate while pending": (
        [{"body": CONCEPTS}, {"body": CONCEPTS}],
        [False, False],
    ),
    "a stage not reached": (
        [{"body": b'{"command_type": "ConfirmStage", "payload": {"stage": "WORLDVIEW"}}'}],
        [False],
    ),
    "an unknown command": ([{"body": b'{"command_type": "Nope", "payload": {}}'}], [False]),
    "a payload its command refuses": (
        [{"body": b'{"command_type": "ConfirmStage", "payload": {"stage": 7}}'}],
        [False],
    ),
    "no such session": (
        [{"body": CONCEPTS, "path": f"{BASE}/{uuid.uuid4()}/commands"}],
        [False],
    ),
    "a body the schema refuses": ([{"body": b'{"payload": {}}'}], [True]),
    "a body that is not an object": ([{"body": b"[1, 2]"}], [True]),
    "a session id FastAPI parses": (
        [{"body": CONCEPTS, "path": f"{BASE}/{uuid.uuid4().hex}/commands"}],
        [True],
    ),
    "a keyed command, then its replay, then the key reused": (
        [
            {"body": CONCEPTS, "headers": {"Idempotency-Key": "k-1"}},
            {"body": CONCEPTS, "headers": {"Idempotency-Key": "k-1"}},
            {"body": b'{"command_type": "Nope"}', "headers": {"Idempotency-Key": "k-1"}},
        ],
        [False, False, False],
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_both_ways_answer_alike(
    servers: dict[str, Any], settings: Settings, clean_db: Any, case: str
) -> None:
    steps, routed = CASES[case]
    answers = await both(servers, settings, steps)
    for fast, slow in zip(answers["fast"], answers["routed"], strict=True):
        assert comparable(fast) == comparable(slow)
    fast_app, _ = servers["fast"]
    routed_app, _ = servers["routed"]
    assert fast_app.routed == [True, *routed]  # the session's creation, then the steps
    assert routed_app.routed == [True] * (len(steps) + 1)


async def test_a_bad_token_is_refused_alike(
    servers: dict[str, Any], settings: Settings, clean_db: Any
) -> None:
    answers = {}
    for name, (_, url) in servers.items():
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            answers[name] = await http.post(
                f"{BASE}/{uuid.uuid4()}/commands",
                content=CONCEPTS,
                headers={"Content-Type": "application/json", "Authorization": "Bearer nope"},
            )
    assert answers["fast"].status_code == 401
    assert comparable(answers["fast"]) == comparable(answers["routed"])
