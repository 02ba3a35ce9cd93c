"""Small helpers for the genesis API tests."""

from typing import Any
from uuid import UUID

import httpx

BASE = "/api/v1/genesis/sessions"


async def new_session(http: httpx.AsyncClient, **body: Any) -> UUID:
    response = await http.post(BASE, json=body or None)
    assert response.status_code == 201, response.text
    return UUID(response.json()["session_id"])


async def command(
    http: httpx.AsyncClient,
    session_id: UUID,
    command_type: str,
    payload: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await http.post(
        f"{BASE}/{session_id}/commands",
        json={"command_type": command_type, "payload": payload or {}},
        headers=headers,
    )


async def state(http: httpx.AsyncClient, session_id: UUID) -> dict[str, Any]:
    response = await http.get(f"{BASE}/{session_id}/state")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
