"""GET /api/v1/health: really asks PostgreSQL and Kafka, each with a short timeout, and says
whether the model server answers (runtime/model_health.py: cached; an unreachable model makes
the API `degraded`, still 200: it serves everything but new generations)."""

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from infinite_scribe.api.deps import Services
from infinite_scribe.application.ports.storage import HealthProbe
from infinite_scribe.runtime.deadlines import answered_within

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 1.5


async def _status(probe: HealthProbe | None, missing: str) -> str:
    if probe is None:
        return f"unavailable: {missing}"
    try:
        # Not asyncio.timeout: it would wait for the cancelled ping to unwind, which a frozen
        # database holds until it thaws (issue 21).
        await answered_within(probe.ping(), CHECK_TIMEOUT_SECONDS)
    except ConnectionError as error:  # the probe's own words (e.g. "broker did not answer")
        return f"unavailable: {error}"
    except Exception as error:  # any failure means "down"; the reason is reported
        return f"unavailable: {type(error).__name__}"
    return "ok"


class HealthOut(BaseModel):
    """Whether the API can serve: both dependencies answered (200) or not (503); `degraded`
    (200) when the model server does not answer (generations will fail until it does) or a
    novel's file cannot be built."""

    status: Literal["ok", "degraded", "unavailable"]
    database: str = Field(description='"ok" or "unavailable: <reason>"', examples=["ok"])
    kafka: str = Field(
        description='"ok" or "unavailable: <reason>"',
        examples=["unavailable: broker did not answer"],
    )
    model: str = Field(
        description='"ok", "ok: the offline generator (no model server)" or why the model '
        "server does not answer",
        examples=["the model server at 127.0.0.1:11434 cannot be reached (connection refused)"],
    )
    exports: str = Field(
        "ok",
        description='"ok", or why a novel\'s file cannot be built now (the API is `degraded`)',
        examples=["unavailable: the build process died, and so did its replacement"],
    )


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "PostgreSQL or Kafka is unavailable"}},
)
async def health(services: Services) -> JSONResponse:
    database, kafka, model = await asyncio.gather(
        _status(services.database, "DATABASE_URL not configured"),
        _status(services.kafka, "KAFKA_BOOTSTRAP_SERVERS not configured"),
        services.model.status(),
    )
    exports = services.exports.health()
    healthy = database == "ok" and kafka == "ok"
    whole = model.ok and exports == "ok"
    status = "unavailable" if not healthy else "ok" if whole else "degraded"
    body = {"status": status, "database": database, "kafka": kafka, "model": model.detail}
    body["exports"] = exports
    return JSONResponse(body, status_code=200 if healthy else 503)
