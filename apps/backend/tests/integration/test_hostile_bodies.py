"""Hostile request bodies get a 4xx, never a 500."""

import httpx

from tests.support.genesis_client import BASE, new_session


async def test_deeply_nested_json_is_a_4xx(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    deep = b'{"command_type": "AbandonSession", "payload": {"reason": ' + b"[" * 100_000
    deep += b"]" * 100_000 + b"}}"
    for url in (f"{BASE}/{session_id}/commands", BASE):
        response = await http.post(url, content=deep, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["error_code"]


async def test_non_object_bodies_are_422(http: httpx.AsyncClient) -> None:
    session_id = await new_session(http)
    for body in (b"[]", b"null", b'"text"', b"1e999", b'{"command_type": 5}'):
        response = await http.post(
            f"{BASE}/{session_id}/commands",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422, (body, response.text)
