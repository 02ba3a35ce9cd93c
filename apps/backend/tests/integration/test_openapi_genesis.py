"""What a client developer reads: typed per-stage proposals discriminated by `stage` (state and
task result), the stream's event catalogue, the "How Genesis works" description, `GET /`."""

from typing import Any

import httpx
import pytest

from infinite_scribe.api.schemas.stream import STREAM_EVENTS
from infinite_scribe.domain.proposals import PROPOSAL_MODELS
from tests.conftest import LiveServer

STAGE_SCHEMAS = {
    "CONCEPT_SELECTION": "ConceptSelectionProposal",
    "STORY_CONCEPTION": "StoryConceptionProposal",
    "WORLDVIEW": "WorldviewProposal",
    "CHARACTERS": "CharactersProposal",
    "PLOT_OUTLINE": "PlotOutlineProposal",
}


@pytest.fixture
async def anonymous(live_server: LiveServer) -> Any:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def openapi(anonymous: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await anonymous.get("/openapi.json")).json()
    return document


def union_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The one non-null branch of `X | None`."""
    branches = [item for item in schema.get("anyOf", [schema]) if item.get("type") != "null"]
    assert len(branches) == 1, schema
    return branches[0]


@pytest.mark.parametrize(
    ("model", "field"), [("SessionStateOut", "last_result"), ("TaskOut", "result")]
)
def test_proposals_are_typed_per_stage_and_discriminated_by_stage(
    openapi: dict[str, Any], model: str, field: str
) -> None:
    schemas = openapi["components"]["schemas"]
    union = union_of(schemas[model]["properties"][field])
    assert union["discriminator"]["propertyName"] == "stage"
    mapping = union["discriminator"]["mapping"]
    assert mapping == {
        stage: f"#/components/schemas/{name}" for stage, name in STAGE_SCHEMAS.items()
    }
    assert set(STAGE_SCHEMAS) == {stage.value for stage in PROPOSAL_MODELS}
    concept = schemas["ConceptSelectionProposal"]
    assert concept["properties"]["stage"]["const"] == "CONCEPT_SELECTION"
    assert concept["properties"]["concepts"]["items"]["$ref"].endswith("/ConceptOption")
    assert "acts" in schemas["PlotOutlineProposal"]["required"]


def test_the_stream_event_catalogue_is_in_components(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    answer = openapi["paths"]["/api/v1/events/stream"]["get"]["responses"]["200"]
    assert answer["content"]["text/event-stream"]["schema"] == {
        "$ref": "#/components/schemas/StreamFrame"
    }
    frame = schemas["StreamFrame"]
    assert frame["discriminator"]["propertyName"] == "event"
    assert (
        set(frame["discriminator"]["mapping"])
        == set(STREAM_EVENTS)
        >= {
            "domain_event",
            "task_progress",
        }
    )
    for name, model in STREAM_EVENTS.items():
        target = frame["discriminator"]["mapping"][name].rsplit("/", 1)[-1]
        data_ref = schemas[target]["properties"]["data"]["$ref"]
        assert data_ref.endswith(f"/{model.__name__}")
    assert {"id", "event_type", "occurred_at", "payload"} <= set(
        schemas["DomainEventData"]["properties"]
    )


async def test_the_description_explains_genesis_and_root_points_to_docs(
    openapi: dict[str, Any], anonymous: httpx.AsyncClient
) -> None:
    description = openapi["info"]["description"]
    assert "## How Genesis works" in description
    for word in ("ConfirmStage", "choice", "SubmitFeedback", "next_cursor", "text/markdown"):
        assert word in description, word
    root = await anonymous.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/docs"
    docs = await anonymous.get("/", follow_redirects=True)
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
