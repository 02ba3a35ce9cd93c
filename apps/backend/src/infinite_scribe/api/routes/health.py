"""GET /api/v1/health: really asks PostgreSQL and Kafka, each with a short timeout."""

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from infinite_scribe.api.deps import Services
from infinite_scribe.application.ports.storage import HealthProbe

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 1.5


async def _status(probe: HealthProbe | None, missing: str) -> str:
    if probe is None:
        return f"unavailable: {missing}"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe.ping()
    except ConnectionError as error:  # the probe's own words (e.g. "broker did not answer")
        return f"unavailable: {error}"
    except Exception as error:  # any failure means "down"; the reason is reported
        return f"unavailable: {type(error).__name__}"
    return "ok"


class HealthOut(BaseModel):
    """Whether the API can serve: both dependencies answered (200) or not (503)."""

    status: Literal["ok", "unavailable"]
    database: str = Field(description='"ok" or "unavailable: <reason>"', examples=["ok"])
    kafka: str = Field(
        description='"ok" or "unavailable: <reason>"',
        examples=["unavailable: broker did not answer"],
    )


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "PostgreSQL or Kafka is unavailable"}},
)
async def health(services: Services) -> JSONResponse:
    database, kafka = await asyncio.gather(
        _status(services.database, "DATABASE_URL not configured"),
        _status(services.kafka, "KAFKA_BOOTSTRAP_SERVERS not configured"),
    )
    healthy = database == "ok" and kafka == "ok"
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "kafka": kafka},
        status_code=200 if healthy else 503,
    )
