"""Machine predictions. Human decisions live in their own table (see `app.review`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, JSONType, UTCDateTime, utcnow


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        Index("ix_predictions_created_at_id", "created_at", "id"),
        Index("ix_predictions_repository_created_at", "repository", "created_at"),
        Index("ix_predictions_symptom_created_at", "symptom", "created_at"),
        Index("ix_predictions_root_cause_created_at", "root_cause", "created_at"),
        Index("ix_predictions_engine_created_at", "engine", "created_at"),
        Index("ix_predictions_category_created_at", "root_cause_category", "created_at"),
        # The review queue: predictions that need a human, least confident first.
        Index("ix_predictions_needs_review_confidence", "needs_review", "symptom_confidence"),
        # The newest prediction of each issue: max(id) per issue in the review queue, latest_prediction.
        Index("ix_predictions_issue_id_id", "issue_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # Copied from the issue so that dashboard queries need no join.
    repository: Mapped[str] = mapped_column(String(200))
    issue_number: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))

    predictor: Mapped[str] = mapped_column(String(20))  # "llm" or "local"
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(64))
    taxonomy_version: Mapped[str] = mapped_column(String(40))
    response_format: Mapped[str | None] = mapped_column(String(40))

    symptom: Mapped[str] = mapped_column(String(40))
    symptom_confidence: Mapped[float] = mapped_column(Float)
    symptom_confidence_raw: Mapped[float] = mapped_column(Float)
    root_cause_category: Mapped[str | None] = mapped_column(String(40))
    root_cause_category_confidence: Mapped[float | None] = mapped_column(Float)
    root_cause: Mapped[str | None] = mapped_column(String(60))  # None: abstained
    root_cause_confidence: Mapped[float | None] = mapped_column(Float)
    root_cause_confidence_raw: Mapped[float | None] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(40))
    phase_confidence: Mapped[float | None] = mapped_column(Float)
    component: Mapped[str | None] = mapped_column(String(40))
    component_confidence: Mapped[float | None] = mapped_column(Float)
    calibration: Mapped[str] = mapped_column(String(20), default="none")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True)

    rationale: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict] = mapped_column(JSONType, default=dict)
    examples: Mapped[list] = mapped_column(JSONType, default=list)
    raw_answer: Mapped[dict] = mapped_column(JSONType, default=dict)

    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_prefix_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
