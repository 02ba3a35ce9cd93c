"""Schemathesis fuzzes the app's own OpenAPI document over real HTTP: no request may get a 5xx."""

import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from infinite_scribe.config import Settings

from ..conftest import LiveServer, make_token

EXAMPLES_PER_OPERATION = 25


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzz_finds_no_server_error(
    live_server: LiveServer, settings: Settings, mode: GenerationMode
) -> None:
    token = make_token(settings, uuid.uuid4())
    auth = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{live_server.url}/api/v1/genesis/sessions", headers=auth, timeout=30)
    session_id = created.json()["session_id"]
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed = [op for op in operations if not op.path.endswith("/health")]
    assert len(fuzzed) >= 5
    for operation in fuzzed:
        fixed = {"session_id": session_id} if "{session_id}" in operation.path else None

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=live_server.url, headers=auth, timeout=30)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        try:
            run()
        except Unsatisfiable:
            # Negative mode cannot break some operations (nothing required to violate).
            assert mode is GenerationMode.NEGATIVE
    assert not failures, failures
    assert len(calls) >= 20
