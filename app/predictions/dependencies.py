"""Query parameters shared by the listing, export and aggregate endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from app.predictions.service import PredictionFilters


def prediction_filters(
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
    review_state: str | None = Query(None, description="unreviewed, reviewed, accepted, corrected or rejected"),
) -> PredictionFilters:
    return PredictionFilters(
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
        review_state=review_state,
    )


FiltersDep = Annotated[PredictionFilters, Depends(prediction_filters)]
