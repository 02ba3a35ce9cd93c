"""Pure parts of the hostile-input defences: settings that must agree, the once-only headers,
strict JSON, absurd token expiries, the 500 that still carries X-Request-ID, and the OpenAPI
document listing the common error statuses."""

import uuid

import httpx
import jwt
import pytest

from infinite_scribe.api.app import create_app
from infinite_scribe.api.middleware.strict_json import strict_json_problems
from infinite_scribe.api.request_head import head_of
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import ConfigurationError, Settings, load_settings
from tests.support.openapi import api_document

SECRET = "unit-secret-that-is-long-enough-0123456789"


@pytest.mark.parametrize(
    "overrides",
    [
        {"event_max_bytes": 1_000_000},  # not below the producer's 1,000,000
        {"relay_max_message_bytes": 2_000_000},  # above the broker's 1,048,588
    ],
)
def test_message_limits_that_disagree_are_refused_at_start_up(overrides: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError, match="MESSAGE_BYTES"):
        load_settings(**overrides)


def test_the_default_limits_agree() -> None:
    settings = Settings()
    assert settings.event_max_bytes < settings.relay_max_message_bytes
    assert settings.relay_max_message_bytes <= settings.kafka_broker_max_message_bytes


@pytest.mark.parametrize(
    "headers",
    [
        [(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")],
        [(b"idempotency-key", b"k"), (b"idempotency-key", b"k")],
        [(b"idempotency-key", b"k"), (b"x-idempotency-key", b"k")],
    ],
)
def test_a_repeated_once_only_header_is_refused(headers: list[tuple[bytes, bytes]]) -> None:
    assert head_of({"headers": headers}).repeated is not None


def test_one_of_each_is_read() -> None:
    headers = [(b"x-idempotency-key", b"k 1"), (b"authorization", b"Bearer t"), (b"a", b"b")]
    head = head_of({"headers": headers})
    assert (head.authorization, head.key, head.repeated) == ("Bearer t", "k 1", None)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b'{"a": NaN}', ("a",)),
        (b'{"a": [1, Infinity]}', ("a", 1)),
        (b'{"a": {"b": -Infinity}}', ("a", "b")),
        (b'{"a": 1e400}', ("a",)),
        (b'{"a": -1e400}', ("a",)),
        (b'{"a": 123456789012345678901234567890}', ("a",)),
    ],
)
def test_numbers_json_cannot_carry_are_found_with_their_path(
    body: bytes, loc: tuple[object, ...]
) -> None:
    assert strict_json_problems(body)[0] == [loc]


@pytest.mark.parametrize(
    "body", [b'{"a": 1.5, "b": [1e300, -2]}', b'{"id": 12345678901234567890}', b"not json", b""]
)
def test_strict_json_and_non_json_pass(body: bytes) -> None:
    # Non-JSON is left to FastAPI's own answer (MALFORMED_JSON).
    assert strict_json_problems(body)[0] is None


@pytest.mark.parametrize("exp", [10**400, 2**64, 1e300])
def test_an_absurd_expiry_is_an_authentication_error(exp: float) -> None:
    settings = Settings(jwt_secret_key=SECRET)  # type: ignore[arg-type]
    token = jwt.encode({"sub": str(uuid.uuid4()), "exp": exp}, SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError):
        VerifiedTokens(settings).user_id(token)


def _app_with_a_failing_route() -> httpx.AsyncClient:
    settings = Settings(database_url="postgresql://unused/db")
    app = create_app(settings)

    async def fail() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/fail", fail)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def test_a_500_carries_the_request_id_and_the_error_body() -> None:
    async with _app_with_a_failing_route() as client:
        answer = await client.get("/fail", headers={"X-Request-ID": "req-500"})
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "req-500"
    assert answer.json() == {"error_code": "INTERNAL_ERROR", "message": "Internal server error"}


def test_every_operation_documents_the_common_error_statuses() -> None:
    document = api_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            missing = {"400", "401", "408", "413", "422", "431", "500", "503"} - declared
            assert not missing, (method, path, missing)
            schema = operation["responses"]["413"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("en;q=0.5, zh-TW", "zh"),
        ("fr, de", "en"),
        ("zh;q=oops, en", "en"),
        ("", "en"),
        ("x" * 10_000 + ",zh", "en"),  # bounded: only the first 500 characters are read
    ],
)
def test_the_console_follows_the_browsers_language(header: str, language: str) -> None:
    from starlette.requests import Request

    from infinite_scribe.api.console.labels import event_label, language_of

    scope = {
        "type": "http",
        "query_string": b"",
        "headers": [(b"accept-language", header.encode())],
    }
    assert language_of(Request(scope)) == language
    assert event_label("Genesis.Session.Finished", language) in ("Novel created", "小说已创建")
    assert event_label("Some.Unknown.Event", language) == "Some.Unknown.Event"
