"""Schemathesis fuzzes the app's own OpenAPI document over real HTTP against the real server
process (`scribe api`): no request may get a 5xx, nor a status the document does not list."""

import uuid
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.hostile_server import ApiProcess, api_process

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def live_server(settings: Settings) -> Iterator[ApiProcess]:
    with api_process(settings) as running:
        yield running


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzz_finds_no_server_error(
    live_server: ApiProcess, settings: Settings, mode: GenerationMode
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
        documented = set(operation.definition.raw["responses"])

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
            if str(response.status_code) not in documented:  # noqa: B023 - run() is called at once
                failures.append(
                    f"{case.method} {case.formatted_path}: undocumented {response.status_code}"
                )

        try:
            run()
        except Unsatisfiable:
            # Negative mode cannot break some operations (nothing required to violate).
            assert mode is GenerationMode.NEGATIVE
    assert not failures, failures
    assert len(calls) >= 20


def test_stateful_fuzz_finds_no_server_error(live_server: ApiProcess, settings: Settings) -> None:
    """Sequences along the links schemathesis infers (create a session, then read its state,
    send it commands, list its events): still no 5xx and no undocumented status."""
    token = make_token(settings, uuid.uuid4())
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    failures: list[str] = []
    calls: list[int] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": {"Authorization": f"Bearer {token}"}, "timeout": 30}

        def validate_response(self, response: object, case: schemathesis.Case, **_: object) -> None:
            status = response.status_code  # type: ignore[attr-defined]
            calls.append(status)
            documented = set(case.operation.definition.raw["responses"])
            if status >= 500 or str(status) not in documented:
                failures.append(f"{case.method} {case.formatted_path}: {status}")

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=15,
            stateful_step_count=5,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not failures, failures
    print("stateful statuses:", sorted(set(calls)), len(calls))
    assert len(calls) >= 15
