"""Read API over predictions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from app.core.dependencies import SessionDep
from app.predictions import service as prediction_service
from app.predictions.schemas import PredictionOut, PredictionPage

router = APIRouter(prefix="/v1", tags=["predictions"])


@router.get("/predictions", response_model=PredictionPage)
async def list_predictions(
    session: SessionDep,
    repository: str | None = Query(None, description="owner/name, e.g. vllm-project/vllm"),
    engine: str | None = Query(None, description="e.g. vLLM, llama.cpp"),
    symptom: str | None = Query(None, description="A symptom name, e.g. Crash"),
    root_cause: str | None = Query(None, description="A root-cause leaf, e.g. Incompatible Version"),
    root_cause_category: str | None = Query(None, description="e.g. Environment"),
    needs_review: bool | None = None,
    min_confidence: float | None = Query(None, ge=0, le=1, description="Lowest symptom confidence"),
    max_confidence: float | None = Query(None, ge=0, le=1, description="Highest symptom confidence"),
    since: datetime | None = Query(None, description="Created at or after (ISO 8601)"),
    until: datetime | None = Query(None, description="Created before (ISO 8601)"),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> PredictionPage:
    """List predictions, newest first."""
    filters = prediction_service.PredictionFilters(
        repository=repository,
        engine=engine,
        symptom=symptom,
        root_cause=root_cause,
        root_cause_category=root_cause_category,
        needs_review=needs_review,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        since=since,
        until=until,
    )
    rows, next_cursor = await prediction_service.list_predictions(session, filters, limit=limit, cursor=cursor)
    return PredictionPage(items=[PredictionOut.model_validate(row) for row in rows], next_cursor=next_cursor)
