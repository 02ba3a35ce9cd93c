"""Authentication and ownership on every genesis route."""

import time
from uuid import UUID, uuid4

import httpx
import jwt
import pytest

from infinite_scribe.settings.settings import Settings
from tests.conftest import TEST_JWT_SECRET, LiveServer, make_token
from tests.support.genesis_client import BASE, new_session

SESSION = "00000000-0000-4000-8000-0000000000aa"
ROUTES = [
    ("POST", BASE),
    ("GET", f"{BASE}/{SESSION}/state"),
    ("POST", f"{BASE}/{SESSION}/commands"),
    ("GET", f"{BASE}/{SESSION}/events"),
    ("GET", f"/api/v1/events?correlation_id={SESSION}"),
]


def tokens(user: UUID) -> dict[str, str | None]:
    now = int(time.time())
    unsigned = jwt.encode({"sub": str(user), "exp": now + 60}, key="", algorithm="none")
    return {
        "missing": None,
        "malformed": "Bearer not-a-jwt",
        "wrong scheme": f"Basic {jwt.encode({'sub': str(user), 'exp': now + 60}, TEST_JWT_SECRET)}",
        "bad signature": "Bearer "
        + jwt.encode({"sub": str(user), "exp": now + 60}, "another-secret-of-sufficient-length"),
        "expired": "Bearer " + jwt.encode({"sub": str(user), "exp": now - 10}, TEST_JWT_SECRET),
        "no sub": "Bearer " + jwt.encode({"exp": now + 60}, TEST_JWT_SECRET),
        "no exp": "Bearer " + jwt.encode({"sub": str(user)}, TEST_JWT_SECRET),
        "sub not a uuid": "Bearer " + jwt.encode({"sub": "bob", "exp": now + 60}, TEST_JWT_SECRET),
        "alg none": f"Bearer {unsigned}",
        "alg HS512": "Bearer "
        + jwt.encode({"sub": str(user), "exp": now + 60}, TEST_JWT_SECRET * 2, algorithm="HS512"),
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_auth_failure_is_401(live_server: LiveServer, method: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        for case, header in tokens(uuid4()).items():
            headers = {"Authorization": header} if header else {}
            response = await client.request(
                method, path, headers=headers, json={"command_type": "AbandonSession"}
            )
            assert response.status_code == 401, (case, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error_code"] in (
                "MISSING_TOKEN",
                "INVALID_TOKEN",
                "TOKEN_EXPIRED",
            )
            assert response.json()["message"]


async def test_another_users_session_is_404(
    http: httpx.AsyncClient, live_server: LiveServer, settings: Settings
) -> None:
    session_id = await new_session(http)
    stranger = {"Authorization": f"Bearer {make_token(settings, uuid4())}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=stranger) as client:
        for method, path in ROUTES[1:4]:
            path = path.replace(SESSION, str(session_id))
            response = await client.request(
                method, path, json={"command_type": "AbandonSession", "payload": {}}
            )
            assert response.status_code == 404, response.text
            missing = await client.request(
                method,
                path.replace(str(session_id), str(uuid4())),
                json={"command_type": "AbandonSession", "payload": {}},
            )
            assert missing.status_code == 404 and missing.json() == response.json()
    own = await http.get(f"{BASE}/{session_id}/state")
    assert own.json()["status"] == "IN_PROGRESS"
