"""Flows without a database: the handle transitions, flow event names and payloads, the chain
tree builder, the routes in the OpenAPI document."""

import uuid
from pathlib import Path

import pytest

from infinite_scribe.application.event_chains import build_tree
from infinite_scribe.domain.errors import FlowAlreadyResumed, FlowHandleExpired, FlowHandleNotFound
from infinite_scribe.domain.event_names import validate_event_name
from infinite_scribe.domain.flows import (
    FLOW_EVENTS,
    LandingOutcome,
    ResumeOutcome,
    on_pause_landed,
    on_resume,
)
from infinite_scribe.domain.genesis import GenesisState, evolve
from shared_types.enums import HandleStatus
from shared_types.event_payloads import EVENT_PAYLOADS
from shared_types.schema_export import export_schemas
from tests.support.openapi import api_document

KEPT = {"command_type": "ConfirmStage"}


@pytest.mark.parametrize(
    ("status", "payload", "outcome"),
    [
        (HandleStatus.PAUSED, None, ResumeOutcome.RESUMED),
        (HandleStatus.PENDING_PAUSE, None, ResumeOutcome.KEPT),
    ],
)
def test_resume_of_a_waiting_handle(
    status: HandleStatus, payload: dict[str, str] | None, outcome: ResumeOutcome
) -> None:
    assert on_resume(status, payload) is outcome


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (None, None, FlowHandleNotFound),
        (HandleStatus.EXPIRED, None, FlowHandleExpired),
        (HandleStatus.RESUMED, KEPT, FlowAlreadyResumed),
        (HandleStatus.PENDING_PAUSE, KEPT, FlowAlreadyResumed),  # an early reply is kept
    ],
)
def test_resume_refusals(
    status: HandleStatus | None, payload: dict[str, str] | None, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        on_resume(status, payload)
    # An unknown flow is a 404 NOT_FOUND like reading it (issue 21); the others are 409 FLOW_*.
    code = raised.value.error_code  # type: ignore[attr-defined]
    assert code == "NOT_FOUND" if error is FlowHandleNotFound else code.startswith("FLOW_")


def test_landing_pause() -> None:
    assert on_pause_landed(HandleStatus.PENDING_PAUSE, None) is LandingOutcome.PAUSED
    assert on_pause_landed(HandleStatus.PENDING_PAUSE, KEPT) is LandingOutcome.RESUMED
    for status in (HandleStatus.PAUSED, HandleStatus.RESUMED, HandleStatus.EXPIRED, None):
        assert on_pause_landed(status, None) is LandingOutcome.NOTHING


def test_flow_events_are_valid_names_with_payload_models() -> None:
    for name in FLOW_EVENTS:
        assert validate_event_name(name) == name
        assert (name, 1) in EVENT_PAYLOADS


def test_flow_events_only_move_the_version() -> None:
    state = GenesisState(session_id=uuid.uuid4(), user_id=uuid.uuid4(), version=3)
    for name in FLOW_EVENTS:
        after = evolve(state, name, {"handle_id": str(uuid.uuid4())})
        assert after.version == 4 and after.pending_command_type is None
        assert after.current_stage is state.current_stage


def test_build_tree_nests_by_causation() -> None:
    root = {"event_id": "a", "causation_id": "cmd"}
    rows = [
        {"event_id": "b", "causation_id": "a"},
        {"event_id": "c", "causation_id": "a"},
        {"event_id": "d", "causation_id": "b"},
        {"event_id": "x", "causation_id": "elsewhere"},  # not reachable: left out
    ]
    tree = build_tree(root, rows)
    assert [child["event"]["event_id"] for child in tree["children"]] == ["b", "c"]
    assert tree["children"][0]["children"][0]["event"]["event_id"] == "d"


def test_openapi_lists_the_flow_routes_with_their_errors() -> None:
    paths = api_document()["paths"]
    resume = paths["/api/v1/flows/{correlation_id}/resume"]["post"]["responses"]
    assert {"200", "202", "401", "404", "409", "422"} <= resume.keys()
    assert "FLOW_HANDLE_EXPIRED" in resume["409"]["description"]
    chain = paths["/api/v1/events/{event_id}/chain"]["get"]
    assert {"401", "404", "422"} <= chain["responses"].keys()
    assert {p["name"] for p in chain["parameters"]} >= {"event_id", "depth", "limit"}


def test_schema_export_includes_the_flow_events(tmp_path: Path) -> None:
    written = {path.name for path in export_schemas(tmp_path)}
    for name in FLOW_EVENTS:
        assert f"{name}.v1.schema.json" in written
