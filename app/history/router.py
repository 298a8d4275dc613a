"""Aggregates of the triage history for dashboards, all under `/v1/stats`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from app.auth.dependencies import ReadAccess
from app.core.dependencies import SessionDep
from app.history import service as history_service
from app.predictions.dependencies import FiltersDep

router = APIRouter(prefix="/v1/stats", tags=["history"])


@router.get("/counts")
async def class_counts(
    session: SessionDep,
    _: ReadAccess,
    filters: FiltersDep,
    field: str = Query("symptom", description="symptom, root_cause_category, root_cause, phase, component, predictor or engine"),
    interval: str = Query("week", description="day, week (starting Monday) or month"),
    by_repository: bool = Query(False, description="Also group by repository"),
) -> dict:
    """Predictions per class per day, week or month (bucket = the period's first day, UTC)."""
    rows = await history_service.counts(session, filters, field_name=field, interval=interval, by_repository=by_repository)
    return {"field": field, "interval": interval, "rows": rows}


@router.get("/accuracy")
async def accuracy(session: SessionDep, _: ReadAccess, filters: FiltersDep) -> dict:
    """Per field: accuracy, per-class precision and recall, and the confusion matrix (rows: reviewed truth)."""
    return await history_service.accuracy(session, filters)


@router.get("/calibration")
async def calibration(
    session: SessionDep,
    _: ReadAccess,
    filters: FiltersDep,
    field: str = Query("symptom", description="symptom, root_cause or root_cause_category"),
    bins: int = Query(10, ge=2, le=50),
) -> dict:
    """Reliability bins of stored confidence against reviews, and the expected calibration error."""
    return await history_service.calibration(session, filters, field_name=field, bins=bins)


@router.get("/summary")
async def summary(request: Request, session: SessionDep, _: ReadAccess, filters: FiltersDep) -> dict:
    """Totals: predictions, abstention and review rates, tokens, estimated cost, mean latency."""
    settings = request.app.state.settings
    return await history_service.summary(
        session,
        filters,
        prompt_price=settings.price_per_million_prompt_tokens,
        completion_price=settings.price_per_million_completion_tokens,
    )
