"""`GET /metrics` in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.jobs import service as job_service
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Counters of this process, plus job counts by status read from the database."""
    state = request.app.state
    async with state.database.sessionmaker() as session:
        counts = await job_service.count_by_status(session)
    for status in (QUEUED, RUNNING, DONE, FAILED):
        state.metrics.jobs.labels(status=status).set(counts.get(status, 0))
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
