"""GET /metrics: the API's Prometheus series (no auth, outside the API prefix and the schema,
like every Prometheus target; the idempotency middleware only claims POST/PUT/PATCH)."""

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from infinite_scribe.api.deps import services_of

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    body = services_of(request.app).metrics.render()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
