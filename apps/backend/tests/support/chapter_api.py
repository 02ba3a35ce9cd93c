"""Helpers for the chapter tests (issue 39): a finished novel, its commands and its reads."""

from typing import Any
from uuid import UUID

import httpx

NOVELS = "/api/v1/novels"


async def novel_command(
    http: httpx.AsyncClient,
    novel_id: UUID | str,
    command_type: str,
    payload: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await http.post(
        f"{NOVELS}/{novel_id}/commands",
        json={"command_type": command_type, "payload": payload or {}},
        headers=headers,
    )


async def chapters(http: httpx.AsyncClient, novel_id: UUID | str) -> list[dict[str, Any]]:
    response = await http.get(f"{NOVELS}/{novel_id}")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["chapters"]
    return found


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error_code"]
    return code
