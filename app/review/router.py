"""Review endpoints: record a verdict, read a prediction's reviews, and the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.auth.dependencies import Principal, ReadAccess, require_scope
from app.auth.models import REVIEW
from app.core.dependencies import SessionDep
from app.predictions.schemas import PredictionOut
from app.review import service as review_service
from app.review.models import SOURCE_API
from app.review.schemas import QueueIssue, QueueItem, ReviewIn, ReviewOut, ReviewQueue
from app.triage.taxonomy import load_taxonomy

router = APIRouter(prefix="/v1", tags=["review"])
ReviewAccess = Annotated[Principal, Depends(require_scope(REVIEW))]


@router.post("/predictions/{prediction_id}/review", response_model=ReviewOut, status_code=201)
async def review_prediction(
    prediction_id: int, body: ReviewIn, request: Request, session: SessionDep, principal: ReviewAccess
) -> ReviewOut:
    """Accept, correct or reject a prediction. The newest review of a prediction is its current one."""
    data = review_service.ReviewInput(**body.model_dump(exclude={"reviewer"}), reviewer=body.reviewer or principal.name)
    source = request.headers.get("X-Review-Source", SOURCE_API)
    review = await review_service.record_review(
        session,
        prediction_id,
        data,
        source=source if source in ("api", "web") else SOURCE_API,
        taxonomy=load_taxonomy(request.app.state.settings.prompts_dir),
    )
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.reviews.labels(verdict=review.verdict, source=review.source).inc()
    return ReviewOut.model_validate(review)


@router.get("/predictions/{prediction_id}/reviews", response_model=list[ReviewOut])
async def list_reviews(prediction_id: int, session: SessionDep, _: ReadAccess) -> list[ReviewOut]:
    """List all reviews of a prediction, newest (current) first."""
    return [ReviewOut.model_validate(row) for row in await review_service.history(session, prediction_id)]


@router.get("/review-queue", response_model=ReviewQueue)
async def review_queue(
    session: SessionDep,
    _: ReadAccess,
    repository: str | None = None,
    engine: str | None = None,
    symptom: str | None = None,
    root_cause: str | None = None,
    max_confidence: float | None = Query(None, ge=0, le=1),
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> ReviewQueue:
    """Predictions that need a human (newest per issue, not yet reviewed), least confident first."""
    rows, total = await review_service.queue(
        session, repository=repository, engine=engine, symptom=symptom, root_cause=root_cause,
        max_confidence=max_confidence, limit=limit, offset=offset,
    )
    return ReviewQueue(
        items=[QueueItem(prediction=PredictionOut.model_validate(p), issue=QueueIssue.model_validate(i)) for p, i in rows],
        total=total,
    )
