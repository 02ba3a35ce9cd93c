"""Issue 21, defect 8, against the real server process: what schemathesis found where the
OpenAPI document and the server disagreed. `OPTIONS` (and any method a path lacks) is a 405
whose `Allow` lists every documented method; no token is a 401 before any 400 about other
headers; the document lists one idempotency key header; a NUL gets a declared status."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process

pytestmark = pytest.mark.slow

SESSIONS = "/api/v1/genesis/sessions"


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings) as running:
        yield running


@pytest.fixture(scope="module")
def document(server: ApiProcess) -> dict[str, Any]:
    schema: dict[str, Any] = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    return schema


#: A fixed id in test parameters: the test processes (pytest-xdist) must collect the same ids.
ANY_ID = uuid.UUID("0b5e1d2c-4f6a-4c3b-9d8e-7a6b5c4d3e2f")


def _template_of(document: dict[str, Any], path: str) -> str:
    return next(t for t in document["paths"] if t.split("/")[-1] == path.split("/")[-1])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("OPTIONS", SESSIONS),
        ("PUT", SESSIONS),
        ("OPTIONS", f"{SESSIONS}/{ANY_ID}/commands"),
        ("DELETE", f"{SESSIONS}/{ANY_ID}/state"),
        ("HEAD", "/api/v1/health"),
    ],
)
def test_a_method_the_path_lacks_is_405_with_every_documented_method(
    server: ApiProcess, document: dict[str, Any], method: str, path: str
) -> None:
    answer = httpx.request(method, f"{server.url}{path}", timeout=10)
    assert answer.status_code == 405, answer.text
    template = _template_of(document, path)
    documented = {verb.upper() for verb in document["paths"][template]}
    assert set(answer.headers["allow"].split(", ")) == documented
    if method != "HEAD":
        assert answer.json()["error_code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "path",
    [SESSIONS, f"{SESSIONS}/{ANY_ID}/commands", f"/api/v1/flows/{ANY_ID}/resume"],
)
def test_no_token_is_401_before_the_400_of_two_key_headers(server: ApiProcess, path: str) -> None:
    headers = [("Idempotency-Key", "a"), ("X-Idempotency-Key", "b")]
    answer = httpx.post(f"{server.url}{path}", headers=headers, json={}, timeout=10)
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error_code"] == "MISSING_TOKEN"


def test_the_document_lists_one_idempotency_key_header(
    server: ApiProcess, settings: Settings, document: dict[str, Any]
) -> None:
    for template, methods in document["paths"].items():
        for operation in methods.values():
            headers = {p["name"].lower() for p in operation.get("parameters", [])}
            assert "x-idempotency-key" not in headers, template
    # ... and the server still reads the older name.
    auth = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    session = httpx.post(f"{server.url}{SESSIONS}", headers=auth, timeout=10).json()["session_id"]
    command = {"command_type": "RequestConceptGeneration", "payload": {}}
    url = f"{server.url}{SESSIONS}/{session}/commands"
    first = httpx.post(url, headers=auth | {"X-Idempotency-Key": "old"}, json=command)
    again = httpx.post(url, headers=auth | {"X-Idempotency-Key": "old"}, json=command)
    assert first.status_code == again.status_code == 202, again.text
    assert again.headers["idempotent-replayed"] == "true"


COMMANDS = f"{SESSIONS}/{{session_id}}/commands"
CONFIRM_NUL = {"stage": "CONCEPT_SELECTION", "data": {"title": "\u0000"}}


@pytest.mark.parametrize(
    ("method", "path", "template", "body"),
    [
        ("POST", SESSIONS, SESSIONS, {"initial_user_input": {"text": "a\u0000b"}}),
        ("POST", COMMANDS, COMMANDS, {"command_type": "SubmitFeedback\u0000"}),
        ("POST", COMMANDS, COMMANDS, {"command_type": "ConfirmStage", "payload": CONFIRM_NUL}),
        ("GET", f"{SESSIONS}?cursor=%00", SESSIONS, None),
        ("GET", f"{SESSIONS}/%00/state", f"{SESSIONS}/{{session_id}}/state", None),
        ("GET", "/api/v1/events?correlation_id=%00", "/api/v1/events", None),
    ],
)
def test_a_nul_gets_a_documented_status(
    server: ApiProcess,
    settings: Settings,
    document: dict[str, Any],
    method: str,
    path: str,
    template: str,
    body: Any,
) -> None:
    auth = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    session = httpx.post(f"{server.url}{SESSIONS}", headers=auth, timeout=10).json()["session_id"]
    url = server.url + path.replace("{session_id}", session)
    answer = httpx.request(method, url, headers=auth, json=body, timeout=10)
    assert 400 <= answer.status_code < 500, answer.text
    documented = document["paths"][template][method.lower()]["responses"]
    assert str(answer.status_code) in documented, (template, answer.status_code, answer.text)
