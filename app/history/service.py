"""Aggregate queries over the triage history for dashboards.

Every aggregate runs in the database (GROUP BY), so the cost grows with the number of groups,
not with the number of predictions; the filters use the indexes declared on `predictions`.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, and_, case, cast, func, literal_column, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidPayload
from app.predictions.models import Prediction
from app.predictions.service import PredictionFilters
from app.review.models import Review

COUNTABLE_FIELDS = ("symptom", "root_cause_category", "root_cause", "phase", "component", "predictor", "engine")
REVIEWED_FIELDS = ("symptom", "root_cause_category", "root_cause", "phase", "component")
INTERVALS = ("day", "week", "month")


def bucket_expression(interval: str, dialect: str):
    """Build the SQL expression for the start of each prediction's day, week (Monday) or month, as 'YYYY-MM-DD'."""
    if interval not in INTERVALS:
        raise InvalidPayload(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}.")
    column = Prediction.created_at
    if dialect == "postgresql":
        return func.to_char(func.date_trunc(interval, column), "YYYY-MM-DD")
    if interval == "day":
        return func.strftime("%Y-%m-%d", column)
    if interval == "month":
        return func.strftime("%Y-%m-01", column)
    # SQLite: step back to Monday (strftime %w is 0 for Sunday).
    return func.date(column, func.printf("-%d days", (cast(func.strftime("%w", column), Integer) + 6) % 7))


async def counts(
    session: AsyncSession, filters: PredictionFilters, *, field_name: str, interval: str, by_repository: bool
) -> list[dict]:
    if field_name not in COUNTABLE_FIELDS:
        raise InvalidPayload(f"field must be one of {', '.join(COUNTABLE_FIELDS)}, not {field_name!r}.")
    bucket = bucket_expression(interval, session.bind.dialect.name).label("bucket")
    label = getattr(Prediction, field_name).label("label")
    columns = [bucket, label]
    if by_repository:
        columns.append(Prediction.repository.label("repository"))
    statement = filters.apply(select(*columns, func.count().label("count")))
    statement = statement.group_by(*columns).order_by(bucket, label)
    rows = await session.execute(statement)
    return [dict(row._mapping) for row in rows]


async def accuracy(session: AsyncSession, filters: PredictionFilters) -> dict:
    """Accuracy, per-class precision and recall, and the confusion matrix of each field against reviews."""
    result = {}
    for field_name in REVIEWED_FIELDS:
        predicted = getattr(Prediction, field_name)
        truth = getattr(Review, field_name)
        statement = (
            filters.apply(
                select(predicted.label("predicted"), truth.label("truth"), func.count().label("count"))
                .select_from(Prediction)
                .join(Review, and_(Review.prediction_id == Prediction.id, Review.is_current == true()))
            )
            .where(Review.verdict != "reject", truth.is_not(None))
            .group_by(predicted, truth)
        )
        cells = [(row.predicted, row.truth, row.count) for row in await session.execute(statement)]
        result[field_name] = _classification_summary(cells)
    return result


def _classification_summary(cells: list[tuple[str | None, str, int]]) -> dict:
    total = sum(count for _, _, count in cells)
    correct = sum(count for predicted, truth, count in cells if predicted == truth)
    labels = sorted({truth for _, truth, _ in cells} | {predicted or "(abstained)" for predicted, _, _ in cells})
    index = {label: position for position, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for predicted, truth, count in cells:
        matrix[index[truth]][index[predicted or "(abstained)"]] += count
    per_class = {}
    for label in labels:
        true_positive = matrix[index[label]][index[label]]
        predicted_total = sum(row[index[label]] for row in matrix)
        actual_total = sum(matrix[index[label]])
        per_class[label] = {
            "precision": true_positive / predicted_total if predicted_total else None,
            "recall": true_positive / actual_total if actual_total else None,
            "support": actual_total,
        }
    return {
        "reviewed": total,
        "accuracy": correct / total if total else None,
        "per_class": per_class,
        "confusion": {"labels": labels, "matrix": matrix},
    }


async def calibration(session: AsyncSession, filters: PredictionFilters, *, field_name: str, bins: int = 10) -> dict:
    """Reliability bins of a field's stored confidence against reviews, and the expected calibration error."""
    if field_name not in ("symptom", "root_cause", "root_cause_category"):
        raise InvalidPayload("field must be symptom, root_cause or root_cause_category.")
    confidence = getattr(Prediction, f"{field_name}_confidence")
    right = case((getattr(Prediction, field_name) == getattr(Review, field_name), 1.0), else_=0.0)
    bucket = func.least(cast(func.floor(confidence * bins), Integer), bins - 1) if session.bind.dialect.name == "postgresql" \
        else func.min(cast(confidence * bins, Integer), bins - 1)
    statement = (
        filters.apply(
            select(
                bucket.label("bin"),
                func.count().label("count"),
                func.avg(cast(confidence, Float)).label("confidence"),
                func.avg(right).label("accuracy"),
            )
            .select_from(Prediction)
            .join(Review, and_(Review.prediction_id == Prediction.id, Review.is_current == true()))
        )
        .where(Review.verdict != "reject", getattr(Review, field_name).is_not(None), confidence.is_not(None))
        .group_by(literal_column("bin"))
        .order_by(literal_column("bin"))
    )
    rows = [dict(row._mapping) for row in await session.execute(statement)]
    total = sum(row["count"] for row in rows)
    ece = sum(row["count"] / total * abs(row["confidence"] - row["accuracy"]) for row in rows) if total else None
    return {
        "field": field_name,
        "reviewed": total,
        "ece": ece,
        "bins": [
            {"lower": row["bin"] / bins, "upper": (row["bin"] + 1) / bins, "count": row["count"],
             "confidence": float(row["confidence"]), "accuracy": float(row["accuracy"])}
            for row in rows
        ],
    }


async def summary(session: AsyncSession, filters: PredictionFilters, *, prompt_price: float, completion_price: float) -> dict:
    """Totals: predictions, abstentions, review coverage, tokens, estimated cost and latency."""
    statement = filters.apply(
        select(
            func.count().label("predictions"),
            func.sum(case((Prediction.root_cause.is_(None), 1), else_=0)).label("abstained"),
            func.sum(case((Prediction.needs_review.is_(True), 1), else_=0)).label("needs_review"),
            func.sum(case((Prediction.predictor == "llm", 1), else_=0)).label("by_llm"),
            func.coalesce(func.sum(Prediction.prompt_tokens), 0).label("prompt_tokens"),
            func.coalesce(func.sum(Prediction.completion_tokens), 0).label("completion_tokens"),
            func.avg(Prediction.latency_ms).label("latency_ms_mean"),
        )
    )
    row = (await session.execute(statement)).one()._mapping
    reviewed = await session.scalar(
        filters.apply(
            select(func.count()).select_from(Prediction).join(
                Review, and_(Review.prediction_id == Prediction.id, Review.is_current == true())
            )
        )
    )
    total = row["predictions"] or 0
    return {
        "predictions": total,
        "by_llm": int(row["by_llm"] or 0),
        "abstention_rate": (row["abstained"] or 0) / total if total else None,
        "needs_review_rate": (row["needs_review"] or 0) / total if total else None,
        "reviewed": int(reviewed or 0),
        "prompt_tokens": int(row["prompt_tokens"]),
        "completion_tokens": int(row["completion_tokens"]),
        "estimated_cost": (int(row["prompt_tokens"]) * prompt_price + int(row["completion_tokens"]) * completion_price) / 1e6,
        "latency_ms_mean": float(row["latency_ms_mean"]) if row["latency_ms_mean"] is not None else None,
    }
