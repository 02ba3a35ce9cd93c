"""The API as browsers and client generators see it: /docs and /redoc from local assets only,
the OpenAPI document (bearer scheme, typed commands with examples, stable operation ids,
declared error answers, /health schema), and the spec's own request still accepted."""

import re
from typing import Any

import httpx
import pytest

from infinite_scribe.api.schemas.commands import SPEC_EXAMPLE
from infinite_scribe.domain.commands import PAYLOAD_MODELS
from tests.conftest import LiveServer
from tests.support.genesis_client import BASE, new_session

ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*['"]([^'"]+)['"]""")
OPERATION_IDS = {
    ("get", "/api/v1/health"): "health",
    ("post", "/api/v1/genesis/sessions"): "create_session",
    ("get", "/api/v1/genesis/sessions"): "list_sessions",
    ("get", "/api/v1/genesis/sessions/{session_id}/state"): "session_state",
    ("post", "/api/v1/genesis/sessions/{session_id}/commands"): "send_command",
    ("get", "/api/v1/genesis/sessions/{session_id}/events"): "session_events",
    ("get", "/api/v1/events"): "events_by_correlation",
    ("get", "/api/v1/tasks/{task_id}"): "get_task",
    ("get", "/api/v1/novels/{novel_id}"): "get_novel",
}


@pytest.fixture
async def anonymous(live_server: LiveServer) -> Any:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def openapi(anonymous: httpx.AsyncClient) -> dict[str, Any]:
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_reference_only_local_assets_and_each_is_served(
    anonymous: httpx.AsyncClient, page: str
) -> None:
    response = await anonymous.get(page)
    assert response.status_code == 200
    html = response.text
    references = [a or b for a, b in ASSET_REFERENCE.findall(html)]
    assert any(ref.endswith(".js") for ref in references), html
    assert "http://" not in html and "https://" not in html and "//" not in "".join(references)
    for reference in references:
        assert reference.startswith("/"), reference
        asset = await anonymous.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 0


async def test_bearer_scheme_is_declared_and_required_by_user_routes(
    openapi: dict[str, Any],
) -> None:
    scheme = openapi["components"]["securitySchemes"]["BearerAuth"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for (method, path), _ in OPERATION_IDS.items():
        security = openapi["paths"][path][method].get("security")
        assert security == (None if path == "/api/v1/health" else [{"BearerAuth": []}]), path


async def test_operation_ids_are_stable_and_unique(openapi: dict[str, Any]) -> None:
    found = {
        (method, path): operation["operationId"]
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
    }
    assert {key: found[key] for key in OPERATION_IDS} == OPERATION_IDS
    assert len(set(found.values())) == len(found)


async def test_command_body_is_a_union_discriminated_on_command_type(
    openapi: dict[str, Any],
) -> None:
    operation = openapi["paths"]["/api/v1/genesis/sessions/{session_id}/commands"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    schema = resolve(openapi, body["schema"])
    assert schema["discriminator"]["propertyName"] == "command_type"
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(PAYLOAD_MODELS)
    for command_type, reference in mapping.items():
        variant = resolve(openapi, {"$ref": reference})
        assert variant["properties"]["command_type"]["const"] == command_type
        payload = resolve(openapi, variant["properties"]["payload"])
        assert payload["additionalProperties"] is False
        assert set(payload["properties"]) == set(PAYLOAD_MODELS[command_type].model_fields)
    confirm = resolve(openapi, {"$ref": mapping["ConfirmStage"]})
    assert "payload" in confirm["required"]  # its stage is required
    assert body["examples"]["spec"]["value"] == SPEC_EXAMPLE
    assert {example["value"]["command_type"] for example in body["examples"].values()} == set(
        PAYLOAD_MODELS
    )


async def test_route_specific_answers_are_declared_with_bodies(openapi: dict[str, Any]) -> None:
    paths = openapi["paths"]
    send = paths["/api/v1/genesis/sessions/{session_id}/commands"]["post"]["responses"]
    assert {"200", "202", "404", "409"} <= set(send)
    assert ref_name(send["202"]) == "CommandReply" and ref_name(send["200"]) == "CommandReply"
    conflict = send["409"]["content"]["application/json"]["schema"]
    assert {ref.split("/")[-1] for ref in refs(conflict)} == {"DuplicateCommandBody", "ErrorBody"}
    assert ref_name(paths["/api/v1/novels/{novel_id}"]["get"]["responses"]["404"]) == "ErrorBody"
    assert ref_name(paths["/api/v1/genesis/sessions"]["post"]["responses"]["201"]) == (
        "SessionCreated"
    )
    health = paths["/api/v1/health"]["get"]["responses"]
    assert ref_name(health["200"]) == ref_name(health["503"]) == "HealthOut"
    health_schema = openapi["components"]["schemas"]["HealthOut"]
    assert set(health_schema["properties"]) == {"status", "database", "kafka", "model", "exports"}


async def test_the_specs_own_request_is_accepted(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    response = await http.post(f"{BASE}/{session_id}/commands", json=SPEC_EXAMPLE)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "RECEIVED"
    events = (await http.get(f"{BASE}/{session_id}/events")).json()["events"]
    requested = events[-1]["payload"]
    assert requested["theme_preferences"] == ["科幻", "悬疑"]
    assert requested["style_preferences"] == ["快节奏", "第一人称"]


async def test_loose_requests_clients_send_today_keep_working(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    bare = await http.post(f"{BASE}/{session_id}/commands", json={"command_type": "AbandonSession"})
    assert bare.status_code == 200, bare.text
    other = await new_session(http)
    unknown = await http.post(f"{BASE}/{other}/commands", json={"command_type": "Nope"})
    assert unknown.status_code == 422 and unknown.json()["error_code"] == "UNKNOWN_COMMAND"
    typo = await http.post(
        f"{BASE}/{other}/commands",
        json={"command_type": "SubmitFeedback", "payload": {"feedbak": "x"}},
    )
    assert typo.status_code == 422 and typo.json()["error_code"] == "VALIDATION_ERROR"


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = document["components"]["schemas"][name]
    return schema


def ref_name(response: dict[str, Any]) -> str:
    return str(response["content"]["application/json"]["schema"]["$ref"].split("/")[-1])


def refs(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        found = [schema["$ref"]] if "$ref" in schema else []
        return found + [ref for value in schema.values() for ref in refs(value)]
    if isinstance(schema, list):
        return [ref for value in schema for ref in refs(value)]
    return []
