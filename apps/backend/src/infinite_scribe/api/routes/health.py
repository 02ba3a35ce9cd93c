"""GET /api/v1/health: really asks PostgreSQL and Kafka, each with a short timeout."""

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import Services
from infinite_scribe.kafka.admin import broker_reachable

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 1.5


async def _database_status(services: ApiServices) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await services.database.ping()
    except Exception as error:  # any failure means "down"; the reason is reported
        return f"unavailable: {type(error).__name__}"
    return "ok"


async def _kafka_status(services: ApiServices) -> str:
    admin = services.kafka_admin
    if admin is None:
        return "unavailable: KAFKA_BOOTSTRAP_SERVERS not configured"
    reachable = await asyncio.to_thread(broker_reachable, admin, CHECK_TIMEOUT_SECONDS)
    return "ok" if reachable else "unavailable: broker did not answer"


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
    database, kafka = await asyncio.gather(_database_status(services), _kafka_status(services))
    healthy = database == "ok" and kafka == "ok"
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "kafka": kafka},
        status_code=200 if healthy else 503,
    )
