"""Record human reviews, feed them back into the example pool, and serve the review queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.errors import InvalidPayload, NotFound
from app.examples import service as pool_service
from app.examples.models import SOURCE_REVIEW, PoolExample
from app.issues.models import Issue
from app.predictions.models import Prediction
from app.review.models import ACCEPT, CORRECT, REJECT, VERDICTS, Review
from app.triage.taxonomy import Taxonomy

LABEL_FIELDS = ("symptom", "root_cause", "phase", "component")


@dataclass
class ReviewInput:
    verdict: str
    reviewer: str
    note: str | None = None
    symptom: str | None = None
    root_cause: str | None = None
    root_cause_category: str | None = None
    phase: str | None = None
    component: str | None = None


def pool_key(issue: Issue) -> str:
    # One reviewed example per issue: a later review of the same issue replaces it.
    return f"review:{issue.repository}#{issue.number}"


def _resolve_labels(prediction: Prediction, data: ReviewInput, taxonomy: Taxonomy, *, exact: bool = False) -> dict:
    """The labels a review stands for: the prediction's (accept), the reviewer's (correct), none (reject).

    A correction normally keeps the predicted value of every field it leaves out; with `exact`,
    a field left out means the reviewer considers no label of it right.
    """
    if data.verdict not in VERDICTS:
        raise InvalidPayload(f"verdict must be one of {', '.join(VERDICTS)}, not {data.verdict!r}.")
    if data.verdict == REJECT:
        return {name: None for name in (*LABEL_FIELDS, "root_cause_category")}

    labels = {
        "symptom": prediction.symptom,
        "root_cause": prediction.root_cause,
        "phase": prediction.phase,
        "component": prediction.component,
    }
    if data.verdict == CORRECT:
        given = {name: getattr(data, name) for name in LABEL_FIELDS if getattr(data, name) is not None}
        if exact:
            labels = {name: None for name in LABEL_FIELDS}
        elif not given and data.root_cause_category is None:
            raise InvalidPayload("A 'correct' review needs at least one corrected label (symptom, root_cause, phase or component).")
        for name, value in given.items():
            if value not in taxonomy.names(name):
                raise InvalidPayload(f"{value!r} is not a {name}; GET /v1/taxonomy lists the allowed names.")
        labels.update(given)

    category = taxonomy.category_of.get(labels["root_cause"]) if labels["root_cause"] else None
    if data.root_cause_category is not None:
        if data.root_cause_category not in taxonomy.category_names:
            raise InvalidPayload(f"{data.root_cause_category!r} is not a root-cause category.")
        if category is not None and category != data.root_cause_category:
            raise InvalidPayload(f"root_cause {labels['root_cause']!r} belongs to {category!r}, not {data.root_cause_category!r}.")
        category = data.root_cause_category
    elif category is None and data.verdict == ACCEPT:
        category = prediction.root_cause_category
    labels["root_cause_category"] = category
    return labels


async def record_review(
    session: AsyncSession,
    prediction_id: int,
    data: ReviewInput,
    *,
    source: str,
    taxonomy: Taxonomy,
    exact: bool = False,
) -> Review:
    """Store a review as the prediction's current one and update the example pool to match."""
    prediction = await session.get(Prediction, prediction_id)
    if prediction is None:
        raise NotFound(f"Prediction {prediction_id} not found; list predictions with GET /v1/predictions.")
    labels = _resolve_labels(prediction, data, taxonomy, exact=exact)

    await session.execute(
        update(Review).where(Review.prediction_id == prediction.id, Review.is_current == true()).values(is_current=False)
    )
    review = Review(
        prediction_id=prediction.id,
        issue_id=prediction.issue_id,
        verdict=data.verdict,
        reviewer=data.reviewer,
        source=source,
        note=data.note,
        is_current=True,
        **labels,
    )
    session.add(review)
    await session.flush()

    issue = await session.get(Issue, prediction.issue_id)
    if data.verdict == REJECT or labels["symptom"] is None or labels["root_cause"] is None:
        # Not a bug, or no leaf to learn from: the issue must not teach the predictor.
        await session.execute(delete(PoolExample).where(PoolExample.key == pool_key(issue)))
    else:
        await pool_service.upsert(
            session,
            pool_key(issue),
            source=SOURCE_REVIEW,
            repository=issue.repository,
            number=issue.number,
            engine=issue.engine,
            title=issue.title,
            body=issue.body,
            symptom=labels["symptom"],
            root_cause=labels["root_cause"],
            phase=labels["phase"],
            component=labels["component"],
            rationale=f"Reviewed by {data.reviewer}" + (f": {data.note}" if data.note else "."),
            prediction_id=prediction.id,
        )
    return review


async def history(session: AsyncSession, prediction_id: int) -> list[Review]:
    result = await session.execute(select(Review).where(Review.prediction_id == prediction_id).order_by(Review.id.desc()))
    return list(result.scalars())


async def queue(
    session: AsyncSession,
    *,
    repository: str | None,
    engine: str | None,
    symptom: str | None,
    root_cause: str | None,
    max_confidence: float | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Prediction, Issue]], int]:
    """Newest prediction of each issue that needs a human and has no review yet, least confident first."""
    # Correlated NOT EXISTS on (issue_id, id) and on the reviews' prediction_id: each candidate row
    # costs two index probes, so the first page does not group the whole table.
    newer = aliased(Prediction)
    has_newer = select(newer.id).where(newer.issue_id == Prediction.issue_id, newer.id > Prediction.id).exists()
    reviewed = select(Review.id).where(Review.prediction_id == Prediction.id, Review.is_current == true()).exists()
    conditions = [Prediction.needs_review == true(), ~has_newer, ~reviewed]
    filters = {
        Prediction.repository: repository,
        Prediction.engine: engine,
        Prediction.symptom: symptom,
        Prediction.root_cause: root_cause,
    }
    conditions += [column == value for column, value in filters.items() if value is not None]
    if max_confidence is not None:
        conditions.append(Prediction.symptom_confidence <= max_confidence)

    total = await session.scalar(select(func.count()).select_from(Prediction).where(*conditions))
    rows = await session.execute(
        select(Prediction, Issue)
        .join(Issue, Issue.id == Prediction.issue_id)
        .where(*conditions)
        .order_by(Prediction.symptom_confidence.asc(), Prediction.id.asc())
        .limit(limit)
        .offset(offset)
    )
    return [(prediction, issue) for prediction, issue in rows.all()], int(total or 0)


async def current_review(session: AsyncSession, prediction_id: int) -> Review | None:
    return await session.scalar(select(Review).where(Review.prediction_id == prediction_id, Review.is_current == true()))


async def latest_prediction(session: AsyncSession, issue_id: int) -> Prediction | None:
    return await session.scalar(select(Prediction).where(Prediction.issue_id == issue_id).order_by(Prediction.id.desc()).limit(1))


async def review_from_label_change(
    session: AsyncSession, *, issue_id: int, field_name: str, label: str, action: str, reviewer: str, taxonomy: Taxonomy
) -> Review | None:
    """Turn a person's label change on GitHub into a review of the issue's newest prediction.

    Adding "symptom: Crash" says Crash is right; removing a label we predicted says it is wrong.
    Returns None when the issue has no prediction yet or the label names no taxonomy class.
    """
    if label not in taxonomy.names(field_name):
        return None
    prediction = await latest_prediction(session, issue_id)
    if prediction is None:
        return None

    current = await current_review(session, prediction.id)
    base = current if current is not None and current.verdict != REJECT else prediction
    labels = {name: getattr(base, name) for name in LABEL_FIELDS}
    if action == "labeled":
        labels[field_name] = label
    elif labels[field_name] == label:
        labels[field_name] = None
    else:
        return None  # a label we never predicted was removed: nothing to learn

    predicted = {name: getattr(prediction, name) for name in LABEL_FIELDS}
    verdict = ACCEPT if labels == predicted else CORRECT
    data = ReviewInput(verdict=verdict, reviewer=reviewer, note=f"{action} '{label}' on GitHub", **labels)
    return await record_review(session, prediction.id, data, source="github_label", taxonomy=taxonomy, exact=True)
