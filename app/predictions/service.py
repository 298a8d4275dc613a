"""Queries over stored predictions."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidPayload
from app.predictions.models import Prediction
from app.triage.schemas import TriageResult


@dataclass
class PredictionFilters:
    repository: str | None = None
    engine: str | None = None
    symptom: str | None = None
    root_cause: str | None = None
    root_cause_category: str | None = None
    needs_review: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    review_state: str | None = None  # unreviewed, accepted, corrected or rejected

    def apply(self, statement: Select) -> Select:
        conditions = {
            Prediction.repository: self.repository,
            Prediction.engine: self.engine,
            Prediction.symptom: self.symptom,
            Prediction.root_cause: self.root_cause,
            Prediction.root_cause_category: self.root_cause_category,
            Prediction.needs_review: self.needs_review,
        }
        for column, value in conditions.items():
            if value is not None:
                statement = statement.where(column == value)
        if self.min_confidence is not None:
            statement = statement.where(Prediction.symptom_confidence >= self.min_confidence)
        if self.max_confidence is not None:
            statement = statement.where(Prediction.symptom_confidence <= self.max_confidence)
        if self.since is not None:
            statement = statement.where(Prediction.created_at >= self.since)
        if self.until is not None:
            statement = statement.where(Prediction.created_at < self.until)
        if self.review_state is not None:
            statement = statement.where(_review_state_condition(self.review_state))
        return statement


REVIEW_STATES = {"accepted": "accept", "corrected": "correct", "rejected": "reject"}


def _review_state_condition(state: str):
    from app.review.models import Review

    # Correlated EXISTS, not IN: it stays an index lookup per row however many reviews there are.
    current = select(Review.id).where(Review.prediction_id == Prediction.id, Review.is_current == true())
    if state == "unreviewed":
        return ~current.exists()
    if state == "reviewed":
        return current.exists()
    if state not in REVIEW_STATES:
        raise InvalidPayload(
            f"review_state must be unreviewed, reviewed, {', '.join(REVIEW_STATES)}; not {state!r}."
        )
    return current.where(Review.verdict == REVIEW_STATES[state]).exists()


async def current_reviews(session: AsyncSession, prediction_ids: list[int]) -> dict[int, object]:
    """Return the current review of each given prediction that has one, keyed by prediction id."""
    from app.review.models import Review

    if not prediction_ids:
        return {}
    rows = await session.execute(
        select(Review).where(Review.prediction_id.in_(prediction_ids), Review.is_current == true())
    )
    return {review.prediction_id: review for review in rows.scalars()}


def select_predictions() -> Select:
    return select(Prediction)


def encode_cursor(prediction: Prediction) -> str:
    """Encode the last row of a page (its creation time and id) as an opaque cursor."""
    raw = f"{prediction.created_at.isoformat()}|{prediction.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, prediction_id = raw.rsplit("|", 1)
        return datetime.fromisoformat(created_at), int(prediction_id)
    except ValueError as exc:
        raise InvalidPayload(f"Invalid cursor {cursor!r}; pass the next_cursor value of the previous page.") from exc


async def list_predictions(
    session: AsyncSession, filters: PredictionFilters, *, limit: int, cursor: str | None
) -> tuple[list[Prediction], str | None]:
    """Newest first, keyset-paginated on (created_at, id).

    Ordering on the creation time lets the (column, created_at) indexes bound a time-filtered scan,
    so a deep page costs about as much as the first one.
    """
    statement = (
        filters.apply(select(Prediction))
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())
        .limit(limit + 1)
    )
    after = decode_cursor(cursor)
    if after is not None:
        statement = statement.where(tuple_(Prediction.created_at, Prediction.id) < tuple_(*after))
    rows = list((await session.execute(statement)).scalars())
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def for_issue(session: AsyncSession, issue_id: int) -> list[Prediction]:
    result = await session.execute(
        select(Prediction).where(Prediction.issue_id == issue_id).order_by(Prediction.id.desc())
    )
    return list(result.scalars())


async def find_existing(
    session: AsyncSession, *, issue_id: int, content_hash: str, prompt_version: str, model: str
) -> Prediction | None:
    """Return a prediction already made for this exact text with this prompt and model, if any."""
    result = await session.execute(
        select(Prediction)
        .where(
            Prediction.issue_id == issue_id,
            Prediction.content_hash == content_hash,
            Prediction.prompt_version == prompt_version,
            Prediction.model == model,
        )
        .limit(1)
    )
    return result.scalar_one_or_none()


async def store(session: AsyncSession, *, issue, job_id: int | None, result: TriageResult) -> Prediction:
    prediction = Prediction(
        issue_id=issue.id,
        job_id=job_id,
        repository=issue.repository,
        issue_number=issue.number,
        engine=issue.engine,
        content_hash=issue.content_hash,
        **result.as_row(),
    )
    session.add(prediction)
    await session.flush()
    return prediction
