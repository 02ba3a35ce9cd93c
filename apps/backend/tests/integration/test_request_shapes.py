"""One shape across the API: a body that is not JSON has its own code, payload errors' `loc`
starts at the body like every other validation error, confirming nothing is a 422 that says
what is missing."""

import httpx

from tests.support.genesis_client import BASE, command, new_session


async def test_a_body_that_is_not_json_is_a_415(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    form = await http.post(
        f"{BASE}/{session_id}/commands",
        content=b"command_type=ConfirmStage",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415, form.text
    assert form.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in form.json()["message"]
    broken = await http.post(
        f"{BASE}/{session_id}/commands",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["error_code"] == "MALFORMED_JSON"
    assert (await http.get(f"{BASE}/{session_id}/state")).json()["version"] == 1


async def test_every_validation_error_locates_from_the_body(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    payload_error = await command(http, session_id, "SubmitFeedback", {"feedback": ""})
    assert payload_error.json()["errors"][0]["loc"] == ["body", "payload", "feedback"]
    body_error = await http.post(f"{BASE}/{session_id}/commands", json={"payload": {}})
    assert body_error.json()["errors"][0]["loc"] == ["body", "command_type"]


async def test_confirming_nothing_says_what_is_missing(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    for payload, says in (
        ({"stage": "CONCEPT_SELECTION"}, "send `choice`"),
        ({"stage": "CONCEPT_SELECTION", "choice": 0}, "no proposal"),
        ({"stage": "CONCEPT_SELECTION", "choice": -1}, "greater than or equal to 0"),
    ):
        reply = await command(http, session_id, "ConfirmStage", payload)
        assert reply.status_code == 422, reply.text
        body = reply.json()
        assert body["error_code"] == "VALIDATION_ERROR"
        assert says in body["errors"][0]["msg"] and body["errors"][0]["loc"][-1] == "choice"
    current = (await http.get(f"{BASE}/{session_id}/state")).json()
    assert current["current_stage"] == "CONCEPT_SELECTION" and current["version"] == 1
