"""GET /api/v1/health: really asks PostgreSQL and Kafka, each with a short timeout."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import Services
from infinite_scribe.kafka_admin import broker_reachable

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


@router.get("/health")
async def health(services: Services) -> JSONResponse:
    database, kafka = await asyncio.gather(_database_status(services), _kafka_status(services))
    healthy = database == "ok" and kafka == "ok"
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "kafka": kafka},
        status_code=200 if healthy else 503,
    )
