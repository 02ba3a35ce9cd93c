"""A body's work is bounded before any work (issue 49): 215,000 empty lists in 0.86 MB, under
the body and depth limits, held the loop 0.8-1.5 s per request on 5af61bc; now a 413
`JSON_TOO_COMPLEX` before it is parsed, and nothing changes."""

import httpx
import orjson

from tests.support.genesis_client import BASE


async def test_a_body_of_many_small_values_is_413_and_changes_nothing(
    http: httpx.AsyncClient,
) -> None:
    session_id = (await http.post(BASE)).json()["session_id"]
    before = (await http.get(f"{BASE}/{session_id}/state")).json()["version"]
    wishes = {"theme_preferences": ["科幻"], "preferences": {"x": [[]] * 215_000}}
    body = orjson.dumps({"command_type": "RequestConceptGeneration", "payload": wishes})
    assert len(body) < 1024 * 1024  # under the body limit
    headers = {"Content-Type": "application/json"}
    reply = await http.post(f"{BASE}/{session_id}/commands", content=body, headers=headers)
    assert reply.status_code == 413, reply.text
    assert reply.json()["error_code"] == "JSON_TOO_COMPLEX"
    assert "values" in reply.json()["message"]
    assert (await http.get(f"{BASE}/{session_id}/state")).json()["version"] == before

    created = orjson.dumps({"initial_user_input": {"notes": ["a"] * 20_000}})
    refused = await http.post(BASE, content=created, headers=headers)
    assert refused.status_code == 413 and refused.json()["error_code"] == "JSON_TOO_COMPLEX"


async def test_a_large_ordinary_command_still_passes(http: httpx.AsyncClient) -> None:
    session_id = (await http.post(BASE)).json()["session_id"]
    # A real request's shape at a large size: wishes, a long text full of punctuation, and a
    # preferences object of about 1,500 values and keys.
    notes = {f"note{i}": {"weight": i, "tags": ["暗", "快"]} for i in range(300)}
    wishes = {
        "theme_preferences": ["科幻", "悬疑"],
        "user_input": "更黑暗, 更快: [更长]。" * 200,
        "preferences": notes,
    }
    reply = await http.post(
        f"{BASE}/{session_id}/commands",
        json={"command_type": "RequestConceptGeneration", "payload": wishes},
    )
    assert reply.status_code == 202, reply.text


async def test_a_body_nested_past_the_limit_is_413_not_500(http: httpx.AsyncClient) -> None:
    # Found by tests/integration/test_no_request_holds_the_loop.py: 1,000 levels in a field
    # validated against an enum made the error's repr recurse past Python's limit (a 500).
    session_id = (await http.post(BASE)).json()["session_id"]
    stage = b"[" * 1000 + b"]" * 1000
    body = b'{"command_type": "ConfirmStage", "payload": {"stage": ' + stage + b', "choice": 1}}'
    headers = {"Content-Type": "application/json"}
    reply = await http.post(f"{BASE}/{session_id}/commands", content=body, headers=headers)
    assert reply.status_code == 413, reply.text
    assert "nested deeper than the 64" in reply.json()["message"]
    at_the_limit = body.replace(stage, b"[" * 60 + b"]" * 60)
    reply = await http.post(f"{BASE}/{session_id}/commands", content=at_the_limit, headers=headers)
    assert reply.status_code == 422, reply.text
